"""Tests of skillcast.skills."""
