"""Issue #22 item 5: would industry mix (shift-share) tell which areas grow faster than England?

Per cutoff 2013-2016 and the 48 LSIP / combined authority areas of SI2035: each area's industry
mix at the cutoff (SI2035's 22 industry groups, mapped to SIC 2007 sections) times each
section's national growth (ONS A01 table 6 workforce jobs by section): its 20-year mean growth
up to the cutoff (what a model could know) and, as a ceiling, its actual growth over the next
years. Printed: the correlation across areas of that predicted relative growth with the areas'
actual growth relative to England (4 years ahead, to 2020 at most), and the spread of each.

Rerun: .venv/bin/python benchmarks/bench_shift_share.py [--data DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast.config import Config
from skillcast.data.schema import observations
from skillcast.data.sources import national_lms
from skillcast.data.sources.si2035 import read_employment_wide

SECTION_OF = {
    "agriculture": "A", "mining_and_quarrying": "B", "food_drink_and_tobacco": "C", "engineering": "C",
    "rest_of_manufacturing": "C", "electricity_and_gas": "D", "water_and_sewerage": "E", "construction": "F",
    "wholesale_and_retail_trade": "G", "transport_and_storage": "H", "accommodation_and_food": "I", "media": "J",
    "information_technology": "J", "finance_and_insurance": "K", "real_estate": "L", "professional_services": "M",
    "support_services": "N", "public_admin_and_defence": "O", "education": "P", "health_and_social_work": "Q",
    "arts_and_entertainment": "R", "other_services": "S",
}  # fmt: skip
NATIONAL = "EN"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Config.from_env().data_dir)
    data = parser.parse_args().data
    panel = observations(read_employment_wide(data / "skills_imperative_2035" / "si2035_employment_2010_2035_wide.csv"))
    industry = panel.loc[(panel["classification"] == "industry") & panel["code"].isin(SECTION_OF)]
    totals = panel.loc[(panel["classification"] == "all") & (panel["measure"] == "employment")].pivot(
        index="area", columns="period", values="value"
    )
    table = national_lms.read(sorted((data / "national_lms").glob("*a01*.xlsx")), None).tables["national_series"]
    sections = {section: np.log(national_lms.annual_means(table, f"SIC07_{section}")) for section in set(SECTION_OF.values())}
    areas = [area for area in totals.index if area != NATIONAL]
    rows = []
    for cutoff in (2013, 2014, 2015, 2016):
        horizon = min(4, 2020 - cutoff)
        mix = industry.loc[industry["period"] == cutoff].assign(section=lambda frame: frame["code"].map(SECTION_OF))
        weights = mix.groupby(["area", "section"])["value"].sum().unstack().fillna(0.0)
        weights = weights.div(weights.sum(axis=1), axis=0)
        actual = np.log(totals[cutoff + horizon] / totals[cutoff])
        actual = (actual - actual.loc[NATIONAL]).loc[areas]
        for name, growth in (
            ("20-year mean growth (known at the cutoff)", {s: float(np.mean(np.diff(v.loc[cutoff - 20 : cutoff]))) * horizon for s, v in sections.items()}),
            ("actual growth (ceiling)", {s: float(v.loc[cutoff + horizon] - v.loc[cutoff]) for s, v in sections.items()}),
        ):  # fmt: skip
            predicted = weights @ pd.Series(growth)[weights.columns]
            predicted = (predicted - predicted.loc[NATIONAL]).loc[areas]
            rows.append(
                {
                    "cutoff": cutoff,
                    "sections' growth": name,
                    "corr across areas": float(np.corrcoef(predicted, actual)[0, 1]),
                    "sd predicted (points)": float(predicted.std() * 100),
                    "sd actual (points)": float(actual.std() * 100),
                }
            )
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda value: f"{value:.2f}"))
    print("\nrerun: .venv/bin/python benchmarks/bench_shift_share.py")


if __name__ == "__main__":
    main()
