"""Synthetic labelled tables for the model-lab tests: known structure, any size, any bad rate."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fengkong.scoring.lab.data import LabelledTable, labelled_table

REGIONS = ("华东", "华南", "华北", "西南", "东北")
REGION_RISK = {"华东": -0.6, "华南": -0.2, "华北": 0.0, "西南": 0.4, "东北": 0.8}


def never_seen_frame(rows: int, *, seed: int, bad_rate: float = 0.03) -> pd.DataFrame:
    """A table the lab has never seen: Chinese column names, categories, gaps, a -999 code.

    Risk rises with 逾期天数 and 负债率, falls with 经营年限, depends on 地区; 客户编号 is an
    identifier and 币种 a constant, both to be dropped. The intercept is tuned to ``bad_rate``.
    """
    rng = np.random.default_rng(seed)
    overdue = rng.gamma(1.5, 10.0, rows)
    leverage = rng.beta(2, 3, rows)
    years = rng.integers(0, 30, rows).astype(np.float64)
    region = rng.choice(REGIONS, rows)
    noise = rng.normal(size=rows)
    logit = 0.04 * overdue + 2.5 * leverage - 0.06 * years + np.vectorize(REGION_RISK.get)(region)
    # Cutting the latent risk at a quantile gives exactly the bad rate asked for.
    latent = logit + rng.logistic(size=rows)
    bad = latent > np.quantile(latent, 1 - bad_rate)
    leverage_seen = leverage.copy()
    leverage_seen[rng.random(rows) < 0.1] = np.nan
    years_seen = years.copy()
    years_seen[rng.random(rows) < 0.05] = -999.0
    region_seen = region.astype(object)
    region_seen[rng.random(rows) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "客户编号": [f"C{i:07d}" for i in range(rows)],
            "逾期天数": overdue.round(1),
            "负债率": leverage_seen,
            "经营年限": years_seen,
            "地区": region_seen,
            "噪声": noise,
            "币种": "CNY",
            "是否违约": np.where(bad, "是", "否"),
        }
    )


def never_seen_table(rows: int = 2000, *, seed: int = 7, bad_rate: float = 0.1) -> LabelledTable:
    return labelled_table(
        never_seen_frame(rows, seed=seed, bad_rate=bad_rate),
        target="是否违约",
        bad_value="是",
        special_codes=(-999,),
    )
