"""Tests of skillcast.mlops."""
