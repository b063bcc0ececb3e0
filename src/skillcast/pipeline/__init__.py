"""The main job (``pipeline.job.run_job``) and what it reads (``pipeline.inputs``)."""

from skillcast.pipeline.inputs import JobInputs, TrainingData, demo_inputs, store_inputs
from skillcast.pipeline.job import CHAMPION_MODEL, STAGES, JobResult, run_job

__all__ = ["CHAMPION_MODEL", "STAGES", "JobInputs", "JobResult", "TrainingData", "demo_inputs", "run_job", "store_inputs"]
