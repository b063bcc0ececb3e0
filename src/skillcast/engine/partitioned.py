"""Forecasting a panel area partition by area partition, with exactly one machine's answers.

A cluster engine cannot hand every worker the whole panel, so the panel is cut into
partitions of whole areas (a series is never split) and each partition is fitted where
it is read. The forecasts are identical to ``model.fit(panel).predict(horizon)`` on one
machine, to the last bit, because every step that looks beyond one area is rebuilt
exactly:

* **The years.** A partition's series-by-year matrix spans the whole panel's years, not
  just its own, so calibration windows, trend lengths and "years since the last
  observation" are the same.
* **Other areas' series.** ``national_share`` reads each category's national series; a
  model says which areas it needs through ``partition_context(totals)`` and every
  partition carries those areas' series as *context*: used for fitting, never reported.
* **Areas linked to each other.** A reconciled model with ``area_parents`` makes parents
  the sums of their children; linked areas always share a partition.
* **Intervals.** Their quantiles pool scaled one-step errors over *all* series; each
  partition returns its own series' errors per calibration window and they are pooled
  before the quantiles are taken (quantiles depend on the set of errors, not their order).
* **Global parts** (``trains_on_all_series``: LightGBM; national_mix's choice of share
  smoothing, validated on every series): each partition builds its training rows for
  every calibration window; one task per window merges them into the rows one machine
  would have built (the leaf's ``merge_training_rows``: series order) and trains; the
  partitions then forecast with that result (``pretrained``).
* **Order.** Partitions come back in any order; series are put in ``SeriesMatrix``'s
  sorted order before the frame is built.

Everything here is pure and runs the same through any executor: ``run_in_process`` (a
reference, used in tests) or the Dask engine, which passes its ``client.submit``. Only
``PartitionTask.read`` does I/O: a worker reading its areas from the run's Parquet file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn.base import clone

from skillcast.data.atomic import atomic_file
from skillcast.data.schema import SERIES_KEY
from skillcast.engine.base import Forecaster, interval_columns
from skillcast.engine.fanout import Forecast, ForecastRequest
from skillcast.engine.intervals import IntervalQuantiles, ReplayWindow, quantiles_from_windows, replay_backs
from skillcast.engine.matrix import SeriesMatrix

PANEL_COLUMNS = SERIES_KEY + ["period", "value"]
MAX_SERIES_PER_PARTITION = 20_000  # at least one partition per this many series
MIN_SERIES_PER_PARTITION = 1_000  # below this a task is mostly fixed costs (reading, pandas)
PARTITIONS_PER_WORKER = 4  # enough to balance uneven areas and to show progress


# -- the model tree -------------------------------------------------------------------
def _children(model: Forecaster) -> dict[str, Forecaster | tuple[Forecaster, ...]]:
    """Parameters that are forecasters themselves (``reconciled``'s base, ``ensemble``'s members)."""
    children: dict[str, Forecaster | tuple[Forecaster, ...]] = {}
    for name, value in model.get_params(deep=False).items():
        if isinstance(value, Forecaster):
            children[name] = value
        elif isinstance(value, (tuple, list)) and value and all(isinstance(item, Forecaster) for item in value):
            children[name] = tuple(value)
    return children


def _nodes(model: Forecaster) -> list[Forecaster]:
    """Every forecaster in the tree, depth first, parameters in name order."""
    found = [model]
    for child in _children(model).values():
        for item in child if isinstance(child, tuple) else (child,):
            found.extend(_nodes(item))
    return found


def global_leaves(model: Forecaster) -> list[Forecaster]:
    """The parts of a model that learn from all series together (trained once per window)."""
    if getattr(model, "trains_on_all_series", False):
        return [model]
    leaves = []
    for child in _children(model).values():
        for item in child if isinstance(child, tuple) else (child,):
            leaves.extend(global_leaves(item))
    return leaves


def with_trained(model: Forecaster, trained: Sequence[Any]) -> Forecaster:
    """An unfitted copy of ``model`` whose global leaves (in ``global_leaves`` order) adopt
    ``trained`` instead of training on the partition they are fitted on.

    This assumes, as every wrapper here does, that a wrapper fits its children on the
    matrix it is given; the leaves' training rows are built from that same matrix."""
    remaining = iter(trained)

    def rebuild(node: Forecaster) -> Forecaster:
        if getattr(node, "trains_on_all_series", False):
            return clone(node).set_params(pretrained=next(remaining))
        children = _children(node)
        copy = clone(node)
        if children:
            copy.set_params(
                **{
                    name: tuple(rebuild(item) for item in child) if isinstance(child, tuple) else rebuild(child)
                    for name, child in children.items()
                }
            )
        return copy

    return rebuild(model)


def context_areas(model: Forecaster, totals: SeriesMatrix | None) -> set[str]:
    """Areas whose series every partition must carry for ``model`` (see ``partition_context``)."""
    areas: set[str] = set()
    for node in _nodes(model):
        if hasattr(node, "partition_context"):
            areas |= set(node.partition_context(totals))
    return areas


def area_links(model: Forecaster) -> list[tuple[str, str]]:
    """(child, parent) area pairs the model reconciles across: they must share a partition."""
    return [tuple(pair) for node in _nodes(model) for pair in (getattr(node, "area_parents", None) or ())]


def calibration_backs(model: Forecaster, n_periods: int) -> list[int]:
    """The calibration windows ``Forecaster._replay_errors`` replays, as years before the end."""
    return replay_backs(n_periods, model.calibration_windows)


# -- partitions -----------------------------------------------------------------------
def partition_count(series: int, worker_threads: int, requested: int | None = None) -> int:
    """``requested``, else enough partitions to keep every worker thread busy (four each)
    and none above 20,000 series, but none so small that fixed costs dominate (1,000)."""
    if requested:
        return requested
    wanted = max(PARTITIONS_PER_WORKER * max(worker_threads, 1), -(-series // MAX_SERIES_PER_PARTITION))
    return max(1, min(wanted, series // MIN_SERIES_PER_PARTITION))


def plan_partitions(series_per_area: pd.Series, count: int, links: Sequence[tuple[str, str]] = ()) -> list[tuple[str, ...]]:
    """Areas into at most ``count`` partitions with about equal numbers of series.

    Whole areas only; areas linked by ``links`` (child, parent) go together; otherwise
    areas stay in sorted order, so each partition is a contiguous run of area codes (one
    Parquet row group, read with a single range of the file)."""
    areas = sorted(series_per_area.index.astype(str))
    group_of = {area: area for area in areas}

    def root(area: str) -> str:
        while group_of[area] != area:
            group_of[area] = group_of[group_of[area]]
            area = group_of[area]
        return area

    for child, parent in links:
        if child in group_of and parent in group_of:
            first, second = sorted((root(child), root(parent)))
            group_of[second] = first
    groups: dict[str, list[str]] = {}
    for area in areas:
        groups.setdefault(root(area), []).append(area)
    units = sorted(groups.values(), key=lambda members: members[0])
    sizes = np.array([int(series_per_area.loc[members].sum()) for members in units])
    count = max(1, min(count, len(units)))
    if count == len(units):
        return [tuple(members) for members in units]
    middles = (np.cumsum(sizes) - sizes / 2) / max(sizes.sum(), 1) * count  # each unit's middle, in partitions
    partitions: list[list[str]] = [[] for _ in range(count)]
    for members, middle in zip(units, middles, strict=True):
        partitions[min(int(middle), count - 1)].extend(members)
    return [tuple(sorted(members)) for members in partitions if members]


def write_panel(observed: pd.DataFrame, path: Path, partitions: Sequence[tuple[str, ...]]) -> None:
    """The panel as Parquet, one row group per partition, so a worker's area filter reads
    its own row group and skips the rest (by the row groups' min/max statistics)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = observed[PANEL_COLUMNS]
    partition_of = {area: index for index, areas in enumerate(partitions) for area in areas}
    order = frame["area"].map(partition_of)
    if order.isna().any():
        raise ValueError(f"area {frame.loc[order.isna(), 'area'].iloc[0]!r} is in no partition")
    frame = frame.assign(_partition=order).sort_values(["_partition", *SERIES_KEY, "period"], kind="stable")
    schema = pa.Schema.from_pandas(frame[PANEL_COLUMNS].head(0), preserve_index=False)
    with atomic_file(path) as staging, pq.ParquetWriter(staging, schema) as writer:
        for _, rows in frame.groupby("_partition", sort=True):
            writer.write_table(pa.Table.from_pandas(rows[PANEL_COLUMNS], schema=schema, preserve_index=False))


def matrix_of(frame: pd.DataFrame, first: int, last: int) -> SeriesMatrix:
    """``SeriesMatrix.from_panel`` over the whole panel's years ``first..last``, not only
    the years this partition happens to have."""
    periods = np.arange(first, last + 1)
    if frame.empty:
        return SeriesMatrix(keys=frame[SERIES_KEY].iloc[:0].reset_index(drop=True), periods=periods, values=np.empty((0, len(periods))))
    wide = frame.set_index(SERIES_KEY + ["period"])["value"].unstack("period").reindex(columns=periods)
    wide = wide.loc[wide.notna().any(axis=1)]
    return SeriesMatrix(keys=wide.index.to_frame(index=False), periods=periods, values=wide.to_numpy(dtype="float64"))


@dataclass(frozen=True)
class PartitionTask:
    """What a worker needs to build one partition's matrix for one request."""

    path: str  # the run's Parquet panel (a folder every worker can read)
    areas: tuple[str, ...]  # the partition's own areas: forecast and reported
    context: tuple[str, ...]  # other areas' series the model reads (national series)
    first: int  # the whole panel's first and last year up to the cutoff
    last: int
    cutoff: int | None = None
    index: int = 0
    count: int = 1

    def read(self) -> tuple[SeriesMatrix, np.ndarray]:
        """The matrix of own and context series, and which rows are own."""
        import pyarrow.parquet as pq

        filters = [("area", "in", list(self.areas + self.context))]
        if self.cutoff is not None:
            filters.append(("period", "<=", self.cutoff))
        frame = pq.read_table(self.path, columns=PANEL_COLUMNS, filters=filters).to_pandas()
        matrix = matrix_of(frame, self.first, self.last)
        return matrix, matrix.keys["area"].isin(self.areas).to_numpy()


# -- what a partition computes ----------------------------------------------------------
# Each task measures its own compute time and returns it with its result: the engine then
# reports seconds per model the same way on any executor, without a scheduler plugin.
@dataclass(frozen=True)
class PartitionPoints:
    keys: pd.DataFrame  # own series, SERIES_KEY, in the partition's matrix order
    point: np.ndarray  # series x horizon, floored at 0
    scales: np.ndarray  # each series' scale (SeriesMatrix.scales)
    last_period: int
    seconds: float = 0.0  # compute time of the partition's calibration, fit and forecast


@dataclass(frozen=True)
class PartitionForecast:
    points: PartitionPoints
    errors: list[ReplayWindow] = field(default_factory=list)  # per calibration window: own series' scaled one-step errors


@dataclass(frozen=True)
class PartitionRows:
    rows: dict[int, list[Any]]  # per window (0 = the final fit): each global leaf's TrainingRows
    seconds: float = 0.0


@dataclass(frozen=True)
class TrainedLeaf:
    model: Any  # the global leaf's TrainedModel for one window
    seconds: float = 0.0


def forecast_partition(
    task: PartitionTask, model: Forecaster, horizon: int, trained: dict[int, list[TrainedLeaf]] | None = None
) -> PartitionForecast:
    """Calibrate, fit and forecast one partition, keeping only its own series.

    Mirrors ``Forecaster.fit`` + ``predict`` step for step; ``trained`` holds, per
    calibration window (0 = the final fit), the global leaves' models trained on every
    partition."""
    started = time.perf_counter()
    matrix, own = task.read()
    if not own.any():
        empty = PartitionPoints(matrix.keys.iloc[:0], np.empty((0, horizon)), np.empty(0), task.last, time.perf_counter() - started)
        return PartitionForecast(points=empty, errors=[])
    models = None if trained is None else {back: [leaf.model for leaf in leaves] for back, leaves in trained.items()}
    replica = None if models is None else (lambda back: with_trained(model, models[back]))
    errors = [ReplayWindow(years, scaled[own[rows]]) for years, rows, scaled in model._replay_errors(matrix, replica)]
    fitted = clone(model) if models is None else with_trained(model, models[0])
    fitted._fit_point(matrix)
    point = np.maximum(fitted._predict_point(matrix, horizon), 0.0)
    points = PartitionPoints(
        keys=matrix.keys.loc[own].reset_index(drop=True),
        point=point[own],
        scales=matrix.scales()[own],
        last_period=matrix.last_period,
        seconds=time.perf_counter() - started,
    )
    return PartitionForecast(points=points, errors=errors)


def training_rows_partition(task: PartitionTask, model: Forecaster, backs: Sequence[int]) -> PartitionRows:
    """Per window (0 = the final fit, b = b years before the end), the training rows each
    global leaf of ``model`` gets from this partition's own series."""
    started = time.perf_counter()
    matrix, own = task.read()
    leaves = global_leaves(model)
    rows_by_back: dict[int, list[Any]] = {}
    for back in backs:
        history, rows = (matrix, np.arange(len(matrix.keys))) if back == 0 else matrix.truncate(matrix.last_period - back)
        mine = own[rows]
        rows_by_back[back] = [leaf.training_rows(history, mine) if mine.any() else None for leaf in leaves]
    return PartitionRows(rows=rows_by_back, seconds=time.perf_counter() - started)


def pick(rows: PartitionRows, back: int, leaf: int) -> Any:
    return rows.rows[back][leaf]


def train_leaf(leaf: Forecaster, parts: list[Any]) -> TrainedLeaf:
    """Merge every partition's training rows for one window (None: a partition with none of
    its own series there) and train the global leaf once."""
    started = time.perf_counter()
    model = leaf.train(leaf.merge_training_rows([part for part in parts if part is not None]))
    return TrainedLeaf(model=model, seconds=time.perf_counter() - started)


def take(result: Any, name: str) -> Any:
    return getattr(result, name)


def pool_quantiles(errors: list[list[ReplayWindow]], levels: tuple[int, ...]) -> IntervalQuantiles:
    """Interval quantiles from every partition's errors: ``Forecaster._calibrate`` over all series."""
    by_window: dict[int, list[np.ndarray]] = {}
    for part in errors:
        for window in part:
            by_window.setdefault(window.history_years, []).append(window.errors)
    pooled = [ReplayWindow(years, np.concatenate(parts)) for years, parts in sorted(by_window.items())]
    return quantiles_from_windows(pooled, tuple(levels))


def assemble(
    parts: Sequence[PartitionPoints],
    quantiles: IntervalQuantiles,
    levels: tuple[int, ...],
    horizon: int,
    key_dtypes: pd.Series | None = None,
) -> pd.DataFrame:
    """The ``predict`` frame from every partition's points, in ``SeriesMatrix`` order."""
    parts = [part for part in parts if len(part.keys)]
    if not parts:
        raise ValueError("no partition had a series to forecast")
    keys = pd.concat([part.keys for part in parts], ignore_index=True)
    if key_dtypes is not None:
        keys = keys.astype(key_dtypes.to_dict())
    order = keys.sort_values(SERIES_KEY, kind="stable").index.to_numpy()
    keys = keys.loc[order].reset_index(drop=True)
    point = np.vstack([part.point for part in parts])[order]
    scales = np.concatenate([part.scales for part in parts])[order]
    last = parts[0].last_period
    periods = np.arange(last + 1, last + horizon + 1)
    columns = interval_columns(point, scales, quantiles, levels, horizon)
    return SeriesMatrix(keys=keys, periods=periods, values=np.empty((len(keys), 0))).to_long(periods, columns)


# -- the graph of one request, for any executor ---------------------------------------
class Submit(Protocol):
    """``client.submit``-like: run ``function(*args)`` somewhere; handles in ``args``
    (also inside lists and dicts) stand for the results of earlier submissions."""

    def __call__(self, function: Callable[..., Any], *args: Any, label: str, visible: bool = True) -> Any: ...


@dataclass(frozen=True)
class PendingForecast:
    request: ForecastRequest
    parts: list[Any]  # handles of PartitionPoints
    quantiles: Any  # handle of IntervalQuantiles
    seconds: list[Any] = field(default_factory=list)  # handles of the other tasks' compute seconds (global models)

    def handles(self) -> list[Any]:
        """Everything the client gathers for this request."""
        return [*self.parts, self.quantiles, *self.seconds]


def submit_forecast(submit: Submit, request: ForecastRequest, tasks: Sequence[PartitionTask]) -> PendingForecast:
    """Submit one request's tasks: (training rows → one training per window →) partition
    forecasts → pooled quantiles. Nothing waits; the executor runs the graph."""
    model, label = request.model, request.label
    trained, seconds = None, []
    leaves = global_leaves(model)
    if leaves:
        backs = [0, *calibration_backs(model, tasks[0].last - tasks[0].first + 1)]
        rows = [
            submit(training_rows_partition, task, model, backs, label=f"{label}: training rows, partition {task.index + 1}/{task.count}")
            for task in tasks
        ]
        trained = {
            back: [
                submit(
                    train_leaf,
                    leaf,
                    [submit(pick, part, back, number, label="pick", visible=False) for part in rows],
                    label=f"{label}: train {leaf.name}" + (f" (window -{back})" if back else ""),
                )
                for number, leaf in enumerate(leaves)
            ]
            for back in backs
        }
        seconds = [
            submit(take, handle, "seconds", label="take", visible=False)
            for handle in [*rows, *(leaf for leaves_of in trained.values() for leaf in leaves_of)]
        ]
    outputs = [
        submit(forecast_partition, task, model, request.horizon, trained, label=f"{label}: partition {task.index + 1}/{task.count}")
        for task in tasks
    ]
    parts = [submit(take, output, "points", label="take", visible=False) for output in outputs]
    errors = [submit(take, output, "errors", label="take", visible=False) for output in outputs]
    quantiles = submit(pool_quantiles, errors, tuple(model.levels), label=f"{label}: intervals", visible=False)
    return PendingForecast(request=request, parts=parts, quantiles=quantiles, seconds=seconds)


def finish(pending: PendingForecast, results: Callable[[Any], Any], key_dtypes: pd.Series | None = None) -> Forecast:
    """The request's ``Forecast`` from its gathered results (``results(handle)``)."""
    parts = [results(handle) for handle in pending.parts]
    request = pending.request
    frame = assemble(parts, results(pending.quantiles), tuple(request.model.levels), request.horizon, key_dtypes)
    seconds = sum(part.seconds for part in parts) + sum(results(handle) for handle in pending.seconds)
    return Forecast(frame=frame, seconds=seconds)


def tasks_for(
    request: ForecastRequest, path: str, partitions: Sequence[tuple[str, ...]], periods: np.ndarray, totals: SeriesMatrix | None
) -> list[PartitionTask]:
    """The partition tasks of one request: its years, and the context its model needs."""
    known = periods if request.cutoff is None else periods[periods <= request.cutoff]
    if len(known) == 0:
        raise ValueError(f"cutoff {request.cutoff} is before the first observed year {int(periods.min())}")
    context = context_areas(request.model, totals)
    return [
        PartitionTask(
            path=path,
            areas=areas,
            context=tuple(sorted(context - set(areas))),
            first=int(known.min()),
            last=int(known.max()),
            cutoff=request.cutoff,
            index=index,
            count=len(partitions),
        )
        for index, areas in enumerate(partitions)
    ]


def totals_matrix(observed: pd.DataFrame) -> SeriesMatrix | None:
    """The areas' totals (classification ``all``), which decide the national area."""
    totals = observed.loc[observed["classification"] == "all"]
    return SeriesMatrix.from_panel(totals) if not totals.empty else None


def run_in_process(observed: pd.DataFrame, requests: Sequence[ForecastRequest], folder: Path, partitions: int = 4) -> list[Forecast]:
    """The partitioned computation without a cluster: the reference the Dask engine is
    tested against, and a way to check a new model is partition-safe."""
    links = [link for request in requests for link in area_links(request.model)]
    plan = plan_partitions(observed.drop_duplicates(SERIES_KEY).groupby("area").size(), partitions, links)
    path = folder / "panel.parquet"
    write_panel(observed, path, plan)
    periods = np.sort(observed["period"].unique())
    totals = totals_matrix(observed)

    def submit(function, *args, label: str, visible: bool = True):
        return function(*args)

    answers = []
    for request in requests:
        pending = submit_forecast(submit, request, tasks_for(request, str(path), plan, periods, totals))
        answers.append(finish(pending, lambda value: value, observed[SERIES_KEY].dtypes))
    return answers
