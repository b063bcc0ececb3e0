"""Readers that turn published files into panels in the data contract, one module a source."""
