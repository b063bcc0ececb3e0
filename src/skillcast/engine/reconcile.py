"""Coherent forecasts: categories add up to their total, sub-groups to their group.

Each series is forecast on its own, so SOC major groups need not add up to all
employment, nor RQF levels, nor qualification levels to bands. Reconciliation finds the
smallest weighted change to the forecasts that makes every known identity hold:

    minimise (y - f)' W^-1 (y - f)   subject to   C y = 0
    =>       y = f - W C' (C W C')^-1 C f

with one row of ``C`` per identity (e.g. ``total - sum(majors) = 0``). ``W`` is diagonal:
each series' error variance proxy (its squared scale), so noisy series move more than
steady ones (the "WLS" member of the MinT family). Because identities, not a tree, are
used, grouped hierarchies (occupation *and* qualification both splitting the same total)
are handled alike. Intervals move with their point (widths are kept). Negative results
are set to zero afterwards, which can leave a small incoherence; how much is reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from skillcast.data.qualifications import BAND_OF_LEVEL
from skillcast.data.schema import CLASSIFICATIONS, SERIES_KEY
from skillcast.engine.base import Forecaster
from skillcast.engine.fanout import fan_out
from skillcast.engine.matrix import SeriesMatrix

# Classifications whose codes, when all present, add up to the area total.
EXHAUSTIVE = ("soc2020_major", "soc2010_major", "rqf", "nvq", "qualification_level", "qualification_band")
# A child classification and how a child code names its parent code.
NESTED = {
    ("soc2020_submajor", "soc2020_major"): lambda code: code[:1],
    ("soc2020_minor", "soc2020_submajor"): lambda code: code[:2],
    ("soc2020_unit", "soc2020_minor"): lambda code: code[:3],
    ("soc2010_submajor", "soc2010_major"): lambda code: code[:1],
    ("qualification_level", "qualification_band"): lambda code: BAND_OF_LEVEL.get(code, ""),
}


def identities(keys: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per (area, measure): the rows involved and a constraint matrix over them.

    Returns a list of ``(rows, C)`` with ``rows`` indexing ``keys`` and ``C`` of shape
    (identities, len(rows)); groups with no identity are left out. Plain arrays and dicts,
    not pandas rows: this runs at every fit of a reconciled model.
    """
    area_id, measure_id = pd.factorize(keys["area"])[0], pd.factorize(keys["measure"])[0]
    group_of = area_id.astype(np.int64) * (measure_id.max(initial=0) + 1) + measure_id
    order = np.argsort(group_of, kind="stable")
    bounds = np.flatnonzero(np.diff(group_of[order])) + 1
    classification = keys["classification"].to_numpy(dtype=object)
    code = keys["code"].astype(str).to_numpy(dtype=object)
    systems = []
    for rows in np.split(order, bounds) if len(order) else []:
        by_class: dict[str, dict[str, int]] = {}
        for index, (name, value) in enumerate(zip(classification[rows], code[rows], strict=True)):
            by_class.setdefault(name, {})[value] = index
        constraints = []
        total = by_class.get("all", {}).get("all")
        if total is not None:
            for name in EXHAUSTIVE:
                members = by_class.get(name, {})
                closed = CLASSIFICATIONS.get(name)
                if members and (closed is None or set(members) == set(closed)):
                    constraints.append({total: 1.0, **{index: -1.0 for index in members.values()}})
        for (child, parent), parent_of in NESTED.items():
            parents = by_class.get(parent, {})
            if not parents or child not in by_class:
                continue
            children: dict[str, list[int]] = {}
            for value, index in by_class.get(child, {}).items():
                children.setdefault(parent_of(value), []).append(index)
            for parent_code, members in children.items():
                if parent_code in parents:
                    constraints.append({parents[parent_code]: 1.0, **{member: -1.0 for member in members}})
        if constraints:
            matrix = np.zeros((len(constraints), len(rows)))
            for row, coefficients in enumerate(constraints):
                for column, value in coefficients.items():
                    matrix[row, column] = value
            systems.append((rows, matrix))
    return systems


def _correction(system: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """W C' (C W C')^-1 C f for one group: the change that makes its identities hold."""
    constraints, weights, forecasts = system[1], system[2], system[3]
    weighted = constraints * weights[None, :]  # C W
    gram = weighted @ constraints.T  # C W C'
    return weighted.T @ np.linalg.lstsq(gram, constraints @ forecasts, rcond=None)[0]


def reconcile_matrix(forecasts: np.ndarray, keys: pd.DataFrame, variances: np.ndarray, n_jobs: int = 1) -> np.ndarray:
    """Reconciled copy of ``forecasts`` (series x horizons), rows aligned with ``keys``."""
    result = forecasts.copy()
    systems = [
        (rows, constraints, np.maximum(variances[rows], 1e-9), forecasts[rows])
        for rows, constraints in identities(keys.reset_index(drop=True))
    ]
    for system, correction in zip(systems, fan_out(_correction, systems, n_jobs), strict=True):
        result[system[0]] = system[3] - correction
    return result


def sum_children_into_parents(forecasts: np.ndarray, keys: pd.DataFrame, area_parents: dict[str, str]) -> np.ndarray:
    """Bottom-up across areas: a parent area's series becomes the sum of its children's.

    Applied deepest level first, and only where every child of the parent has that series,
    so regions sum their areas and the nation its regions. Sums of coherent children are
    coherent, so this keeps the category identities too.
    """
    result = forecasts.copy()
    keys = keys.reset_index(drop=True)
    children_of: dict[str, list[str]] = {}
    for child, parent in area_parents.items():
        children_of.setdefault(parent, []).append(child)

    def depth(area: str) -> int:
        steps = 0
        while area in area_parents and steps < 50:
            area, steps = area_parents[area], steps + 1
        return steps

    row_of = {tuple(key): index for index, key in enumerate(keys[SERIES_KEY].itertuples(index=False, name=None))}
    for parent in sorted(children_of, key=depth, reverse=True):
        for index in np.flatnonzero(keys["area"].to_numpy() == parent):
            _, measure, classification, code = keys.loc[index, SERIES_KEY]
            rows = [row_of.get((child, measure, classification, code)) for child in children_of[parent]]
            if all(row is not None for row in rows):
                result[index] = result[rows].sum(axis=0)
    return result


def reconcile_frame(frame: pd.DataFrame, variances: pd.Series) -> pd.DataFrame:
    """Reconcile a forecast frame (``SERIES_KEY, period, forecast, lo_*, hi_*``).

    ``variances`` is indexed by SERIES_KEY. Interval bounds shift with their point.
    """
    wide = frame.set_index(SERIES_KEY + ["period"])["forecast"].unstack("period")
    keys = wide.index.to_frame(index=False)
    weights = variances.reindex(wide.index).fillna(variances.median() if len(variances) else 1.0).to_numpy()
    reconciled = reconcile_matrix(wide.to_numpy(), keys, weights)
    shift = pd.DataFrame(reconciled - wide.to_numpy(), index=wide.index, columns=wide.columns).stack().rename("shift")
    out = frame.join(shift, on=SERIES_KEY + ["period"])
    bounds = [column for column in out.columns if column.startswith(("lo_", "hi_"))]
    for column in ["forecast", *bounds]:
        out[column] = np.maximum(out[column] + out["shift"].fillna(0.0), 0.0)
    return out.drop(columns="shift")


def incoherence(frame: pd.DataFrame) -> float:
    """Largest relative gap between a total and the sum of a complete set of its parts."""
    wide = frame.set_index(SERIES_KEY + ["period"])["forecast"].unstack("period")
    keys = wide.index.to_frame(index=False)
    worst = 0.0
    for rows, constraints in identities(keys):
        values = wide.to_numpy()[rows]
        gaps = np.abs(constraints @ values)
        scale = np.maximum(np.abs(values).max(axis=0), 1.0)
        worst = max(worst, float((gaps / scale).max()))
    return worst


class ReconciledForecaster(Forecaster):
    """Another forecaster's points made coherent (``skillcast.engine.reconcile``) before intervals.

    Within each area, categories are reconciled to their totals; with ``area_parents``
    (child area -> parent area), parents are then the sums of their children (bottom-up).
    Reconciling inside ``_predict_point`` means the conformal calibration sees, and the
    intervals describe, the forecasts as they are finally published.
    """

    def __init__(
        self,
        base: Forecaster | None = None,
        calibration_windows: int = 5,
        levels: tuple[int, ...] = (80, 95),
        area_parents: tuple[tuple[str, str], ...] = (),
    ):
        super().__init__(calibration_windows=calibration_windows, levels=levels)
        self.base = base
        self.area_parents = area_parents

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"reconciled:{self.base.name}"

    def _fit_point(self, matrix: SeriesMatrix) -> None:
        self.base_ = clone(self.base)
        self.base_._fit_point(matrix)

    def _national_quantiles(self, matrix: SeriesMatrix, horizon: int):
        return self.base_._national_quantiles(matrix, horizon)

    def _predict_point(self, matrix: SeriesMatrix, horizon: int) -> np.ndarray:
        point = reconcile_matrix(self.base_._predict_point(matrix, horizon), matrix.keys, matrix.scales() ** 2)
        if self.area_parents:
            point = sum_children_into_parents(point, matrix.keys, dict(self.area_parents))
        return point
