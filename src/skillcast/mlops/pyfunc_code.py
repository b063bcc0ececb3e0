"""MLflow "model from code" entry point: MLflow runs this file to build the served model.

Logging the model by code (not by pickling an object) means loading it runs nothing but
skillcast's own, installed, code.
"""

import mlflow.models

from skillcast.mlops.pyfunc import SkillcastModel

mlflow.models.set_model(SkillcastModel())
