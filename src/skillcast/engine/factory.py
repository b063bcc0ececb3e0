"""Models by name: what the configuration, the CLI and the registry tags call them.

What shapes a model is an argument of the model, given when it is made (as in
hierarchicalforecast): ``area_parents`` (child area -> parent area) makes a reconciled
model's parents the sums of their children; ``mix_signal`` (``engine.nowcast``) gives every
national_mix inside the model the survey's national mix; ``national_signal``
(``engine.national_total``) England's total from the national labour market, known
``nowcast_years`` past the last local year. Nobody sets them afterwards.
"""

from __future__ import annotations

from skillcast.engine.base import Forecaster
from skillcast.engine.baselines import DriftForecaster, NaiveForecaster
from skillcast.engine.ensemble import MeanEnsembleForecaster
from skillcast.engine.ets import DampedETSForecaster
from skillcast.engine.global_lightgbm import GlobalLightGBMForecaster
from skillcast.engine.national_mix import MixSignal, NationalMixForecaster
from skillcast.engine.national_share import NationalShareForecaster
from skillcast.engine.national_total import NationalSignal
from skillcast.engine.reconcile import ReconciledForecaster

BASE_MODELS: frozenset[str] = frozenset({"naive", "drift", "lightgbm", "national_share", "national_mix", "ets", "ensemble"})
ENSEMBLE_MEMBERS: tuple[str, ...] = ("national_share", "lightgbm", "naive")
RECONCILED = "reconciled:"


def is_model_name(name: str) -> bool:
    return name in BASE_MODELS or (name.startswith(RECONCILED) and name[len(RECONCILED) :] in BASE_MODELS)


def make_forecaster(
    name: str,
    calibration_windows: int = 5,
    levels: tuple[int, ...] = (80, 95),
    seed: int = 0,
    area_parents: tuple[tuple[str, str], ...] = (),
    mix_signal: MixSignal = (),
    national_signal: NationalSignal = (),
    nowcast_years: int = 0,
) -> Forecaster:
    """A forecaster by its registered name: one of ``BASE_MODELS``, or ``reconciled:NAME``."""
    common = {"calibration_windows": calibration_windows, "levels": levels}
    signals = {"mix_signal": mix_signal, "national_signal": national_signal, "nowcast_years": nowcast_years}
    if name.startswith(RECONCILED) and is_model_name(name):
        base = make_forecaster(name[len(RECONCILED) :], calibration_windows, levels, seed, **signals)
        return ReconciledForecaster(base=base, area_parents=tuple(area_parents), **common)
    if name == "naive":
        return NaiveForecaster(**common)
    if name == "drift":
        return DriftForecaster(**common)
    if name == "lightgbm":
        return GlobalLightGBMForecaster(seed=seed, **common)
    if name == "national_share":
        return NationalShareForecaster(**common)
    if name == "national_mix":
        return NationalMixForecaster(
            mix_signal=tuple(mix_signal), national_signal=tuple(national_signal), nowcast_years=nowcast_years, **common
        )
    if name == "ets":
        return DampedETSForecaster(**common)
    if name == "ensemble":
        members = tuple(make_forecaster(member, calibration_windows, levels, seed, **signals) for member in ENSEMBLE_MEMBERS)
        return MeanEnsembleForecaster(members=members, **common)
    raise ValueError(f"unknown model {name!r}; expected one of {sorted(BASE_MODELS)}, optionally prefixed '{RECONCILED}'")
