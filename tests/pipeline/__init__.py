"""Tests of skillcast.pipeline and the layer it builds on: skillcast.bundle and skillcast.config."""
