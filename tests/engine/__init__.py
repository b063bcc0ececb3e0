"""Tests of skillcast.engine."""
