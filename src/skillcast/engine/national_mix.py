"""Local series as a smoothed share of the same category nationally, times England's total and
England's category mix, each extrapolated on its own.

Forecast for series i (area a, category c) at h years past the last observed year L:

    f_i(L + h) = s_i  x  N_c(L) x exp(h x g_c + d_c)
    g_c        = w_T x slope(log national total) + w_m x slope(log national mix of c)

* ``N_c``: the national series of the same measure, classification and code; its *mix* is
  N_c / the national total of the measure. Slopes are least squares over every observed
  year. ``w_T`` and ``w_m`` are 0.5 each (Theta(2)'s fixed halving, as ``national_share``).
* A nested category (a SOC sub-major group; a minor group; a unit group) takes its
  **parent's** mix slope, not its own.
* ``s_i``: an exponentially weighted mean of the area's share of the national category,
  its smoothing ``alpha`` chosen by rolling-origin validation on the years handed to
  ``fit`` (one ``alpha`` for every series).
* ``d_c``: the *nowcast*. When a newer survey gives the national mix one year past L
  (``mix_signal``: England's occupational mix from the Annual Population Survey), the
  national path of that category is moved so that its mix change from L to L + 1 is the
  survey's, and its children (sub-majors) move with it; a child the survey knows too also
  moves within its parent by a weight measured on the years before L
  (``within_parent_weight``); years after L + 1 follow the trend.

Why (measured on the Skills Imperative 2035 panel; BENCHMARKS.md, docs/forecasting.md):

* Most of the error is England's own path (lever 1): with England's actual path per
  category, MASE at cutoffs 2013-16 would be 0.96; with every local share exact but the
  model's national path, 1.30. Splitting that path into total x mix is what lets each part
  be treated on its own terms.
* Within the mix, sub-major groups are noise on their own: the sign of a sub-major's
  slope *within* its major group predicts the sign of its later within-major change for
  only 15-50% of groups at every cutoff 2013-2020 (split inside the training window),
  while the major group's slope predicts the sub-major's later mix change for 35-88%.
  Pooling moved "faster than the area total right" from 0.62 to 0.68 (h 4) and 0.63 to
  0.79 (h 7). Shrinking the within-major slope by empirical Bayes instead kept too much of
  it (MASE 1.611 against 1.590 pooled) and was dropped.
* Local shares are noisy and their changes mean-revert (the correlation of 3-6 year share
  trends with the next 4-5 years is -0.47 to +0.10), so a smoothed level beats the last
  one, and no local trend is kept: local share trends shrunk by empirical Bayes lost on
  both tests (MASE 1.650-1.662 against 1.590 at cutoffs 2013-16). One ``alpha`` for all
  series: per classification, the 49 area totals would choose theirs alone (worse).
* The trend weights are fixed, not validated: with 4-7 observed years, validation picked
  no mix trend at all (the 2010-12 mix changes reversed) and lost (MASE 1.725).
* The nowcast uses the survey only for England's *mix*, never for levels or areas:
  APS counts residents (16-64, where they live), SI2035 counts jobs (where they are, any
  age), and their levels and local shares disagree (year-on-year changes of areas' shares
  correlate -0.05 to +0.02). England's occupational mix, though, moves together in both
  (year-on-year correlation 0.79-0.95). SOC 2010 major group m stands in for SOC 2020
  major group m; changes are only ever taken within one classification of the survey.

Everything is vectorised over series (row look-ups through pandas indexes, no per-series
Python loop). The smoothing choice is the one part that looks at every series at once:
for area partitions (``skillcast.engine.partitioned``) it follows the global-model
protocol (``training_rows`` per partition, ``merge_training_rows``, ``train``, then
``pretrained``), so a cluster gives one machine's forecasts exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from skillcast.data.schema import SERIES_KEY
from skillcast.engine.base import Forecaster
from skillcast.engine.matrix import SeriesMatrix, forward_fill
from skillcast.engine.national_share import log_slopes, national_areas, national_context
from skillcast.engine.national_total import NationalSignal, TotalPath, cached_total_path
from skillcast.engine.reconcile import NESTED

_TINY = 1e-9
SIGNAL_MEASURE = "employment"  # what the national signal counts (jobs), so whose national total it moves
CATEGORY = ["measure", "classification", "code"]
# A nested SOC classification -> its parent classification and how a code names its parent.
# (Qualification levels inside bands are not pooled: nothing measured says they should be.)
PARENT_OF = {child: (parent, rule) for (child, parent), rule in NESTED.items() if child.startswith("soc")}
MixSignal = tuple[tuple[str, str, str, int, float], ...]  # (measure, classification, code, year, log share of the national total)


def ewma_last(values: np.ndarray, alpha: float) -> np.ndarray:
    """Exponentially weighted level at the last column of each row (alpha 1: the last value).

    The first column carries the weight of everything before it; missing points are left out
    and the weights of the rest renormalised."""
    if alpha >= 1.0:
        return forward_fill(values)[:, -1]
    n = values.shape[1]
    weights = alpha * (1 - alpha) ** np.arange(n - 1, -1, -1, dtype=float)
    weights[0] = (1 - alpha) ** (n - 1)
    known = np.isfinite(values)
    total = (np.where(known, values, 0.0) * weights).sum(axis=1)
    mass = (known * weights).sum(axis=1)
    return np.where(mass > 0, total / np.where(mass > 0, mass, 1.0), np.nan)


class Layout:
    """Which rows each series needs, found once per matrix.

    ``national``: the row of the same category in the national area (-1: none);
    ``national_total``: the national total of the series' measure (-1: none);
    ``national_parent``: the national row of its parent category (sub-major -> major; -1: none);
    ``is_national``: the series is in the national area.
    Look-ups are integer keys sorted once and searched (``np.searchsorted``): no per-series Python."""

    def __init__(self, keys: pd.DataFrame, values: np.ndarray, national_area: str | None):
        self.n = n = len(keys)
        measure, classification, code = (keys[column].to_numpy(dtype=object) for column in CATEGORY)
        national_of = national_areas(keys, values, national_area)
        self.is_national = keys["area"].to_numpy(dtype=object) == pd.Series(measure).map(national_of).to_numpy(dtype=object)
        parent_class = np.full(n, "", dtype=object)
        parent_code = np.full(n, "", dtype=object)
        present = set(np.unique(classification))
        for child, (parent, rule) in PARENT_OF.items():
            if child in present and parent in present:  # a parent classification the panel does not have pools nothing
                rows = np.flatnonzero(classification == child)
                parent_class[rows] = parent
                parent_code[rows] = [rule(str(value)) for value in code[rows]]
        # one integer id per (classification, code) value, shared by every look-up
        class_id, classes = pd.factorize(np.concatenate([classification, parent_class, ["all"]]))
        code_id, codes = pd.factorize(np.concatenate([code.astype(str), parent_code, ["all"]]))
        measure_id = pd.factorize(measure)[0]

        def key(classes_at: np.ndarray, codes_at: np.ndarray) -> np.ndarray:
            return (measure_id.astype(np.int64) * (len(classes) + 1) + classes_at) * (len(codes) + 1) + codes_at

        own = key(class_id[:n], code_id[:n])
        national_rows = np.flatnonzero(self.is_national)
        order = np.argsort(own[national_rows], kind="stable")
        known, rows_of = own[national_rows][order], national_rows[order]

        def find(wanted: np.ndarray) -> np.ndarray:
            if len(known) == 0:
                return np.full(len(wanted), -1)
            at = np.minimum(np.searchsorted(known, wanted), len(known) - 1)
            return np.where(known[at] == wanted, rows_of[at], -1)

        self.national = find(own)
        self.national_total = find(key(np.full(n, class_id[-1]), np.full(n, code_id[-1])))
        self.national_parent = np.where(parent_class != "", find(key(class_id[n : 2 * n], code_id[n : 2 * n])), -1)


@dataclass(frozen=True)
class NationalPath:
    """Per row, the yearly log growth of its national path and the nowcast's one-off move
    (both meaningful on national rows and rows without a national counterpart)."""

    growth: np.ndarray
    shift: np.ndarray
    total_growth: np.ndarray  # the part of ``growth`` that is the national total's own trend


def national_path(
    logs: np.ndarray,
    layout: Layout,
    keys: pd.DataFrame,
    periods: np.ndarray,
    total_weight: float,
    mix_weight: float,
    mix_signal: dict[tuple[str, str, str], dict[int, float]],
    survey_years: int = 1,
) -> NationalPath:
    """Growth of every national row: ``total_weight`` x the national total's slope +
    ``mix_weight`` x its mix slope (a nested category: its parent's); a series with no
    national counterpart: ``mix_weight`` x its own slope (Theta, as ``national_share``).
    The nowcast moves a national row by the signal's mix change over each of the
    ``survey_years`` years after the last of ``periods`` (the years of ``logs``' columns)
    whose change the signal knows (both ends in one coding), in place of the trend for that
    year, and its children with it; a child the signal knows too also moves within its
    parent, by ``within_parent_weight``. ``shift`` holds the cumulative move per step."""
    last_year = int(periods[-1])
    rows = np.flatnonzero(layout.is_national | (layout.national < 0))
    total = layout.national_total[rows]
    has_total = (total >= 0) & layout.is_national[rows]
    totals = np.unique(total[has_total])  # a handful of national totals, one slope each
    total_slope = np.zeros(len(rows))
    total_slope[has_total] = log_slopes(logs[totals])[np.searchsorted(totals, total[has_total])]
    mix_slope = np.zeros(len(rows))
    mix_slope[has_total] = log_slopes(logs[rows[has_total]] - logs[total[has_total]])
    position = np.full(layout.n, -1)
    position[rows] = np.arange(len(rows))
    parent = layout.national_parent[rows]
    parent_position = np.where(parent >= 0, position[np.maximum(parent, 0)], -1)
    pooled = (parent_position >= 0) & has_total
    mix_slope = np.where(pooled, mix_slope[np.maximum(parent_position, 0)], mix_slope)
    mix_slope = np.where((rows == total) | ~has_total, 0.0, mix_slope)
    growth = np.zeros(layout.n)
    total_growth = np.zeros(layout.n)
    total_growth[rows[has_total]] = total_weight * total_slope[has_total]
    growth[rows[has_total]] = total_growth[rows[has_total]] + mix_weight * mix_slope[has_total]
    growth[rows[~has_total]] = mix_weight * log_slopes(logs[rows[~has_total]])
    steps = max(1, survey_years)
    shift = np.zeros((layout.n, steps))
    if mix_signal:
        category = list(zip(*(keys[column].astype(str).to_numpy()[rows] for column in CATEGORY), strict=True))
        survey = np.array([[_survey_change(mix_signal.get(key), last_year + step) for step in range(steps)] for key in category])
        survey = survey.reshape(len(rows), steps)
        own_shift = np.where(has_total[:, None] & np.isfinite(survey), survey - mix_weight * mix_slope[:, None], 0.0)
        parent_at = np.maximum(parent_position, 0)
        within = np.where(pooled[:, None], survey - survey[parent_at], np.nan)  # NaN: the survey lacks the child or its parent
        weight = np.zeros(len(rows))
        classification = keys["classification"].astype(str).to_numpy()[rows]
        known_within = np.isfinite(within).any(axis=1)
        for child in np.unique(classification[known_within]):
            members = np.flatnonzero(known_within & (classification == child))
            parents = [category[at] for at in parent_at[members]]
            children = [category[at] for at in members]
            weight[members] = within_parent_weight(logs, rows[members], rows[parent_at[members]], periods, children, parents, mix_signal)
        nudge = np.where(np.isfinite(within), weight[:, None] * np.nan_to_num(within), 0.0)
        yearly = np.where(pooled[:, None], own_shift[parent_at] + nudge, own_shift)
        shift[rows] = np.cumsum(yearly, axis=1)
    return NationalPath(growth=growth, shift=shift, total_growth=total_growth)


def within_parent_weight(
    logs: np.ndarray,
    child_rows: np.ndarray,
    parent_rows: np.ndarray,
    periods: np.ndarray,
    children: list[tuple[str, str, str]],
    parents: list[tuple[str, str, str]],
    mix_signal: dict[tuple[str, str, str], dict[int, float]],
) -> float:
    """How far the nowcast follows the survey's change of a child category *within* its parent
    (a SOC sub-major within its major group): the least-squares slope, through the origin and
    pooled over children and years, of the history's own within-parent log changes on the
    survey's, over the years of ``periods`` both cover (so only what was known at the last of
    them), kept in [0, 1]; 1 with no such year (a major group's change is taken whole too).

    Why: a survey's smaller groups carry more sampling noise than its major groups, so how
    much of their year-on-year movement is real is measured, not assumed (on SI2035 and the
    APS it was 0.81-1.02 at cutoffs 2016-2019; BENCHMARKS.md). A switch of coding that broke
    the link would show as a slope near 0 and switch the nudge off."""
    column_of = {int(year): column for column, year in enumerate(periods)}
    products = squares = 0.0
    for child_row, parent_row, child, parent in zip(child_rows, parent_rows, children, parents, strict=True):
        child_years, parent_years = mix_signal.get(child) or {}, mix_signal.get(parent) or {}
        for year in column_of:
            if year - 1 not in column_of or not all(y in child_years and y in parent_years for y in (year - 1, year)):
                continue
            survey = (child_years[year] - child_years[year - 1]) - (parent_years[year] - parent_years[year - 1])
            now, before = column_of[year], column_of[year - 1]
            history = (logs[child_row, now] - logs[child_row, before]) - (logs[parent_row, now] - logs[parent_row, before])
            if np.isfinite(survey) and np.isfinite(history):
                products += survey * history
                squares += survey * survey
    return float(np.clip(products / squares, 0.0, 1.0)) if squares > 0 else 1.0


def _survey_change(years: dict[int, float] | None, last_year: int) -> float:
    """The signal's log mix change from ``last_year`` to the year after (NaN: not both known;
    a signal holds a year only where its coding is one with the year before, ``engine.nowcast``)."""
    if not years or last_year not in years or last_year + 1 not in years:
        return np.nan
    return years[last_year + 1] - years[last_year]


@dataclass(frozen=True)
class SmoothingRows:
    """What some series say about each share smoothing: their summed scaled absolute errors
    (series x ``share_alphas``) over the validation origins, ``keys`` in matrix order."""

    keys: pd.DataFrame
    loss: np.ndarray


@dataclass(frozen=True)
class ChosenSmoothing:
    """The share smoothing validation chose (not an estimator: ``clone`` keeps it as it is)."""

    alpha: float


class NationalMixForecaster(Forecaster):
    """Local share x national total x national mix (see the module docstring for why).

    Constants fixed by hand (docs/forecasting.md): ``total_trend_weight`` and
    ``mix_trend_weight`` (0.5, Theta's halving), the ``share_alphas`` grid, validation
    from origins with at least ``min_fit_years`` (3) years, the last ``max_origins`` (4).
    ``mix_signal``: England's mix from a newer survey (``skillcast.engine.nowcast``), used
    only one year past the last observed year, as it would be known at forecast time.
    ``pretrained`` is internal: the smoothing chosen on every area partition at once.
    """

    name = "national_mix"
    trains_on_all_series = True  # the share smoothing is validated on every series together

    def __init__(
        self,
        calibration_windows: int = 5,
        levels: tuple[int, ...] = (80, 95),
        national_area: str | None = None,
        total_trend_weight: float = 0.5,
        mix_trend_weight: float = 0.5,
        share_alphas: tuple[float, ...] = (1.0, 0.7, 0.5, 0.3),
        min_fit_years: int = 3,
        max_origins: int = 4,
        mix_signal: MixSignal = (),
        national_signal: NationalSignal = (),
        nowcast_years: int = 0,
        pretrained: ChosenSmoothing | None = None,
    ):
        super().__init__(calibration_windows=calibration_windows, levels=levels)
        self.national_area = national_area
        self.total_trend_weight = total_trend_weight
        self.mix_trend_weight = mix_trend_weight
        self.share_alphas = share_alphas
        self.min_fit_years = min_fit_years
        self.max_origins = max_origins
        self.mix_signal = mix_signal
        self.national_signal = national_signal
        self.nowcast_years = nowcast_years
        self.pretrained = pretrained

    def partition_context(self, totals: SeriesMatrix | None) -> set[str]:
        """The national area at any year the model may be fitted to (``national_share``'s rule)."""
        return national_context(self.national_area, totals)

    # -- the forecast ----------------------------------------------------------------------
    def _signal(self) -> dict[tuple[str, str, str], dict[int, float]]:
        signal: dict[tuple[str, str, str], dict[int, float]] = {}
        for measure, classification, code, year, log_share in self.mix_signal:
            signal.setdefault((str(measure), str(classification), str(code)), {})[int(year)] = float(log_share)
        return signal

    def _shares(self, filled: np.ndarray, layout: Layout) -> np.ndarray:
        """Each series over its national counterpart, year by year (1 on national rows; NaN: none)."""
        denominator = np.where(layout.national[:, None] >= 0, filled[np.maximum(layout.national, 0)], np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(denominator > _TINY, filled / np.where(denominator > _TINY, denominator, 1.0), np.nan)
        share[layout.is_national] = 1.0
        return share

    def _paths(self, values: np.ndarray, keys: pd.DataFrame, periods: np.ndarray, layout: Layout, horizon: int, alphas: tuple[float, ...]):
        """Point forecasts (series x horizon) for each smoothing in ``alphas``, from ``values``
        (one column for each of ``periods``)."""
        filled = forward_fill(values)
        logs = np.log(np.maximum(filled, _TINY))
        survey_years = max(1, int(self.nowcast_years))  # a backtest: the year after its cutoff, as before
        path = national_path(logs, layout, keys, periods, self.total_trend_weight, self.mix_trend_weight, self._signal(), survey_years)
        share = self._shares(filled, layout)
        national = np.where(layout.national >= 0, layout.national, np.arange(layout.n))
        steps = np.arange(1, horizon + 1)[None, :]
        shift = path.shift[:, np.minimum(np.arange(horizon), path.shift.shape[1] - 1)]  # the last move carries on
        national_logs = logs[national, -1][:, None] + path.growth[national][:, None] * steps + shift[national]
        for total, total_path in self._total_paths(logs, keys, periods, layout, path, horizon).items():
            moved = layout.is_national[national] & (layout.national_total[national] == total)
            trend = path.total_growth[national][moved][:, None] * steps
            national_logs[moved] = national_logs[moved] - trend + total_path.increments[None, :]
        national_paths = np.exp(national_logs)
        own_paths = np.exp(logs[:, -1][:, None] + path.growth[:, None] * steps)  # no national counterpart: its own trend
        for alpha in alphas:
            level = ewma_last(share, alpha)
            ok = (layout.national >= 0) & np.isfinite(level)
            yield np.where(ok[:, None], np.where(ok, level, 1.0)[:, None] * national_paths, own_paths)

    def _total_paths(self, logs, keys, periods, layout: Layout, path: NationalPath, horizon: int) -> dict[int, TotalPath]:
        """National total rows of the measure the national signal counts (jobs: ``employment``) ->
        their path from the signal (``engine.national_total``); empty without a signal."""
        if not self.national_signal:
            return {}
        measures = keys["measure"].to_numpy(dtype=object)
        totals = np.unique(layout.national_total[(layout.national_total >= 0) & (measures == SIGNAL_MEASURE)])
        paths = {}
        for total in totals:
            found = cached_total_path(
                tuple(self.national_signal),
                int(periods[-1]),
                int(self.nowcast_years),
                horizon,
                float(path.total_growth[total]),
                (len(periods), float(self.total_trend_weight)),
                tuple(self.levels),
            )
            if found is not None:
                paths[int(total)] = found
        return paths

    def _national_quantiles(self, matrix: SeriesMatrix, horizon: int):
        """The national total's own error (log quantiles per step), for the series that move with it."""
        if not self.national_signal or not hasattr(self, "layout_"):
            return None
        filled = forward_fill(matrix.values)
        logs = np.log(np.maximum(filled, _TINY))
        path = national_path(logs, self.layout_, matrix.keys, matrix.periods, self.total_trend_weight, self.mix_trend_weight, {})
        paths = self._total_paths(logs, matrix.keys, matrix.periods, self.layout_, path, horizon)
        if not paths:
            return None
        found = next(iter(paths.values()))
        rows = matrix.keys["measure"].to_numpy(dtype=object) == SIGNAL_MEASURE
        return rows, found.lower, found.upper

    # -- choosing the smoothing inside the window (the global-model protocol) ----------------
    def _origins(self, years: int) -> list[int]:
        """Validation origins (column indexes), latest first: at least ``min_fit_years`` years of history, at most ``max_origins``."""
        return [column for column in range(years - 2, -1, -1) if column + 1 >= self.min_fit_years][: self.max_origins]

    def training_rows(self, matrix: SeriesMatrix, own: np.ndarray | None = None, layout: Layout | None = None) -> SmoothingRows:
        """Each series' summed scaled absolute error for every smoothing, forecasting from each
        validation origin inside ``matrix`` to its last year (only the ``own`` series, when given)."""
        own = np.ones(len(matrix.keys), dtype=bool) if own is None else own
        layout = layout or Layout(matrix.keys, matrix.values, self.national_area)
        loss = np.zeros((len(matrix.keys), len(self.share_alphas)))
        for column in self._origins(matrix.values.shape[1]):
            history, actual = matrix.values[:, : column + 1], matrix.values[:, column + 1 :]
            steps = np.abs(np.diff(history, axis=1))
            count = np.isfinite(steps).sum(axis=1)
            scale = np.where(count > 0, np.where(np.isfinite(steps), steps, 0.0).sum(axis=1) / np.maximum(count, 1), np.nan)
            scale = np.where(scale > 0, scale, np.nan)
            paths = self._paths(history, matrix.keys, matrix.periods[: column + 1], layout, actual.shape[1], self.share_alphas)
            for index, point in enumerate(paths):
                with np.errstate(invalid="ignore"):
                    error = np.abs(actual - point) / scale[:, None]
                loss[:, index] += np.where(np.isfinite(error), error, 0.0).sum(axis=1)
        return SmoothingRows(keys=matrix.keys.loc[own].reset_index(drop=True), loss=loss[own])

    @staticmethod
    def merge_training_rows(parts: list[SmoothingRows]) -> SmoothingRows | None:
        """Partitions' rows in the whole panel's series order, as one machine would have them."""
        if not parts:
            return None
        keys = pd.concat([part.keys for part in parts], ignore_index=True)
        order = keys.sort_values(SERIES_KEY, kind="stable").index.to_numpy()
        return SmoothingRows(keys=keys.loc[order].reset_index(drop=True), loss=np.vstack([part.loss for part in parts])[order])

    def train(self, rows: SmoothingRows | None) -> ChosenSmoothing:
        """The smoothing with the least error over every series (ties, up to rounding noise:
        the first in the grid; no validation possible: the first, i.e. the last share with
        the default grid)."""
        if rows is None or len(rows.loss) == 0:
            return ChosenSmoothing(alpha=float(self.share_alphas[0]))
        loss = rows.loss.sum(axis=0)
        best = int(np.flatnonzero(loss <= loss.min() * (1 + 1e-9) + 1e-12)[0])
        return ChosenSmoothing(alpha=float(self.share_alphas[best]))

    # -- the contract ------------------------------------------------------------------------
    def _fit_point(self, matrix: SeriesMatrix) -> None:
        self.layout_ = Layout(matrix.keys, matrix.values, self.national_area)
        chosen = self.pretrained if self.pretrained is not None else self.train(self.training_rows(matrix, layout=self.layout_))
        self.share_alpha_ = chosen.alpha

    def _predict_point(self, matrix: SeriesMatrix, horizon: int) -> np.ndarray:
        return next(self._paths(matrix.values, matrix.keys, matrix.periods, self.layout_, horizon, (self.share_alpha_,)))
