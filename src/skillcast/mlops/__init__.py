"""Model operations: MLflow tracking, the registry and its aliases, the MLflow pyfunc and
the quarterly retraining job. The only layer that imports ``mlflow``.
"""
