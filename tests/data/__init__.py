"""Tests of skillcast.data."""
