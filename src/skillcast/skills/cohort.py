"""The cohort machinery of the supply model, in plain numpy: single years of age 16-64 from
age bands and back, a year of ageing, qualification gains by age. Leading axes broadcast
(draws, areas), so one call moves every simulation at once."""

from __future__ import annotations

import numpy as np

AGE_BANDS: tuple[str, ...] = ("16-19", "20-24", "25-29", "30-39", "40-49", "50-64")
BAND_RANGE: dict[str, tuple[int, int]] = {band: (int(band[:2]), int(band[3:])) for band in AGE_BANDS}
FIRST_AGE, LAST_AGE = 16, 64
AGES = np.arange(FIRST_AGE, LAST_AGE + 1)
BAND_OF_AGE = np.array([next(i for i, band in enumerate(AGE_BANDS) if BAND_RANGE[band][0] <= age <= BAND_RANGE[band][1]) for age in AGES])
WIDTHS = np.array([BAND_RANGE[band][1] - BAND_RANGE[band][0] + 1 for band in AGE_BANDS])
BAND_INDICATOR = (BAND_OF_AGE[:, None] == np.arange(len(AGE_BANDS))[None, :]).astype(float)  # ages x bands


def expand(bands: np.ndarray) -> np.ndarray:
    """Bands x levels -> single ages x levels, each age an equal share of its band."""
    return bands[..., BAND_OF_AGE, :] / WIDTHS[BAND_OF_AGE][:, None]


def collapse(ages: np.ndarray) -> np.ndarray:
    """Single ages x levels -> bands x levels."""
    return np.einsum("...al,ab->...bl", ages, BAND_INDICATOR)


def age_one_year(ages: np.ndarray, entrants: np.ndarray) -> np.ndarray:
    """Everyone a year older; age 64 leaves; ``entrants`` (levels) arrive at 16."""
    older = np.empty_like(ages)
    older[..., 1:, :] = ages[..., :-1, :]
    older[..., 0, :] = entrants
    return older


def apply_gains(ages: np.ndarray, gains: np.ndarray, by_age: bool = False) -> np.ndarray:
    """Qualification gains: ``gains`` (... x bands x 4 thresholds, or ages x 4 if ``by_age``).

    Of the people below threshold level l, a share g reaches at least l. Counts at or above
    each threshold are kept between 0 and the age's total and never rise with the threshold.
    """
    total = ages.sum(axis=-1, keepdims=True)
    at_least = np.cumsum(ages[..., ::-1], axis=-1)[..., ::-1][..., 1:]  # >= level1 ... >= level4plus
    rates = gains if by_age else gains[..., BAND_OF_AGE, :]
    raised = at_least + rates * (total - at_least)
    raised = np.clip(raised, 0.0, total)
    raised = np.minimum.accumulate(raised, axis=-1)
    bounds = np.concatenate([total, raised, np.zeros_like(total)], axis=-1)
    return bounds[..., :-1] - bounds[..., 1:]


def aged_bands(bands: np.ndarray) -> np.ndarray:
    """Next year's bands x levels from this year's under the uniform-within-band assumption.

    Used to estimate gains from observed banded stocks: entrants replace the 16-19s who
    turn 20 with the same mix; a 1/width share of each band moves up; 1/15 of 50-64 leave.
    """
    ages = expand(bands)
    entrants = ages[..., 0, :]  # one single age's worth of the 16-19 band, same mix
    return collapse(age_one_year(ages, entrants))


def _at_least_shares(bands: np.ndarray) -> np.ndarray:
    total = bands.sum(axis=-1, keepdims=True)
    at_least = np.cumsum(bands[..., ::-1], axis=-1)[..., ::-1][..., 1:]
    return at_least / np.where(total > 0, total, 1.0)


def estimate_gains(cube: np.ndarray) -> np.ndarray:
    """Gain rates per observed year pair: pairs x bands x 4 thresholds.

    ``g = (observed share at or above l - share after ageing alone) / (1 - share after ageing)``.
    """
    aged = aged_bands(cube[:-1])
    expected = _at_least_shares(aged)
    observed = _at_least_shares(cube[1:])
    room = 1.0 - expected
    return np.where(room > 1e-9, (observed - expected) / np.where(room > 1e-9, room, 1.0), 0.0)
