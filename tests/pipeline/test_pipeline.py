import pytest

from skillcast.config import Config
from skillcast.engine.backtest import PRODUCTION_NAME
from skillcast.pipeline import demo_inputs, run_job


def test_pipeline_produces_forecasts_to_2035_for_every_target(demo_result):
    forecasts = demo_result.forecasts
    assert forecasts["period"].min() == 2025 and forecasts["period"].max() == 2035
    targets = demo_result.panel.groupby(["area", "measure", "classification", "code"]).ngroups
    assert forecasts.groupby(["area", "measure", "classification", "code"]).ngroups == targets
    assert (forecasts[["forecast", "lo_80", "lo_95"]] >= 0).all().all()


def test_production_model_beats_naive_on_the_demo(demo_result):
    metrics = demo_result.metrics.set_index("model")
    assert metrics.at[PRODUCTION_NAME, "mase"] < metrics.at["naive", "mase"]
    assert 0.70 <= metrics.at[PRODUCTION_NAME, "coverage_80"] <= 0.90
    assert 0.88 <= metrics.at[PRODUCTION_NAME, "coverage_95"] <= 0.99


def test_bundle_metadata_says_synthetic_and_names_the_model(demo_result):
    metadata = demo_result.bundle.metadata
    assert metadata["synthetic"] is True and metadata["model"] == "reconciled:national_mix"
    assert metadata["backtest"]["cutoffs"] == [2017, 2018, 2019, 2020]


def test_end_year_must_be_after_the_data(demo):
    panel, geography = demo
    with pytest.raises(ValueError, match="not after the last observed year 2024"):
        run_job(demo_inputs(panel, geography), Config(end_year=2024))


def test_production_forecasts_are_coherent_and_never_negative(demo_result):
    from skillcast.engine.reconcile import incoherence

    forecasts = demo_result.forecasts
    assert incoherence(forecasts) < 1e-6  # SOC majors, RQF levels, levels->bands all add up to totals
    assert (forecasts[["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]] >= 0).all().all()


def test_regions_and_the_nation_are_the_sums_of_their_areas(demo_result):
    forecasts = demo_result.forecasts.set_index(["area", "measure", "classification", "code", "period"])["forecast"]
    geography = demo_result.bundle.geography
    for parent in ("DM_R1", "DM_R2", "DM_EN"):
        children = geography.children(parent)
        summed = sum(forecasts.loc[child] for child in children)
        assert ((summed - forecasts.loc[parent]).abs() / forecasts.loc[parent].clip(lower=1)).max() < 1e-9, parent
