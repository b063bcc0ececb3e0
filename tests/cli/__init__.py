"""Tests of skillcast.cli."""
