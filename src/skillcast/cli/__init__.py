"""The ``skillcast`` command: one module per command group, ``main`` assembles them."""

from skillcast.cli.main import app

__all__ = ["app"]
