"""Kept so that models registered before the layered layout still load.

A pyfunc logged by skillcast 0.1 carries its "model from code" file, which imports
``SkillcastModel`` from this module path; MLflow runs that file when such a model is
loaded (``mlflow.pyfunc.load_model``). New models use ``skillcast.mlops.pyfunc``.
"""

from skillcast.mlops.pyfunc import SkillcastModel

__all__ = ["SkillcastModel"]
