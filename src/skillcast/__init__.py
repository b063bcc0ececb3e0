"""skillcast: local skills supply-and-demand forecasting."""

__version__ = "0.1.0"
