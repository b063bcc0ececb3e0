"""Tests of skillcast.api."""
