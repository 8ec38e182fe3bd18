"""Design constants and small helpers shared by the demo-study simulator's modules.

The public constants are re-exported by `submission_kit.data.demo`; they live here so that
`demo` and `demo_records` can both use them without importing each other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STUDYID = "MIROCALS-SIM"
FOLLOW_UP_DAYS = 640
CYCLES = 19
CYCLE_DAYS = 28
DOSE_MIU = 2.0
INJECTIONS_PER_CYCLE = 5
PNFH_CUTOFF = 3700.0
ARMS = ("Placebo", "IL-2LD")
PNFH_GROUPS = ("Low/moderate (<=3700 pg/mL)", "High (>3700 pg/mL)")
MONTH = 30.4375  # days in an average month (365.25 / 12): visits and rates are monthly
# ALSFRS-R domains (items 1-3, 4-6, 7-9, 10-12; 0-12 each).
DOMAINS = ("ALSFRSB", "ALSFRSF", "ALSFRSG", "ALSFRSR")


def study_dates(start: pd.Series | np.ndarray, day: np.ndarray) -> np.ndarray:
    """Study day (1 = start date) to datetime64[ns]; a missing day gives NaT."""
    day = np.asarray(day, dtype=float)
    offset = np.where(np.isnan(day), 0, day - 1).astype(np.int64).astype("timedelta64[D]")
    out = (np.asarray(start, dtype="datetime64[ns]") + offset).astype("datetime64[ns]")
    out[np.isnan(day)] = np.datetime64("NaT")
    return out


def yn(flag: np.ndarray, no: str | None = "N") -> np.ndarray:
    """'Y' where `flag`, else `no`: None for flags that ADaM leaves blank rather than 'N'."""
    return np.where(flag, "Y", np.array(no, dtype=object)).astype(object)
