"""The forecasting engine: one estimator contract, the models, reconciliation, conformal
intervals, rolling-origin backtests and where the work runs (this process or Dask).

Imports only ``skillcast.data``.
"""
