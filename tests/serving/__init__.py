"""Tests of serving/ (the BentoML service), started in process or as real servers."""
