"""Tests of skillcast.reports."""
