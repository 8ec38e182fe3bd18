"""Reading and writing ADaM datasets: SAS transport (xpt), sas7bdat, CSV and Parquet.

The only module in `data/` that touches files. Dates come back as pandas datetime64 columns
whatever the format, so analyses never see SAS day numbers or ISO strings.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd

from submission_kit.errors import UserError

FORMATS = {".xpt": "xpt", ".sas7bdat": "sas7bdat", ".csv": "csv", ".parquet": "parquet"}


def dataset_format(path: Path) -> str:
    suffixes = "".join(path.suffixes[-2:]).lower()
    if suffixes.endswith(".csv.gz"):
        return "csv"
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UserError(
            f"{path}: unsupported dataset format {path.suffix!r}; "
            "use .xpt, .sas7bdat, .csv or .parquet"
        )
    return fmt


def read_dataset(path: Path) -> pd.DataFrame:
    """Read one dataset. pyreadstat, not pandas.read_sas: pandas turns exact zeros in
    transport files into 5.4e-79 (pandas issue 50670), so `CNSR == 0` would select nothing."""
    if not path.is_file():
        raise UserError(f"{path}: dataset file not found")
    fmt = dataset_format(path)
    try:
        if fmt in ("xpt", "sas7bdat"):
            import pyreadstat

            reader = pyreadstat.read_xport if fmt == "xpt" else pyreadstat.read_sas7bdat
            frame, _meta = reader(str(path), dates_as_pandas_datetime=True)
        elif fmt == "csv":
            frame = pd.read_csv(path, keep_default_na=False, na_values=[""], low_memory=False)
        else:
            frame = pd.read_parquet(path)
    except UserError:
        raise
    except Exception as exc:  # a corrupt file is the user's to fix, not a crash
        raise UserError(f"{path}: cannot be read as {fmt}: {exc}") from exc
    return _normalise(frame)


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding Python dates become datetime64; blank strings become missing."""
    frame = frame.copy()
    for name in frame.columns:
        col = frame[name]
        if col.dtype != object:
            continue
        sample = col.dropna()
        if len(sample) and isinstance(sample.iloc[0], dt.date):
            frame[name] = pd.to_datetime(col)
        else:
            frame[name] = col.where(~col.isin([""]), None)
    return frame


def write_dataset(
    frame: pd.DataFrame, path: Path, labels: dict[str, str] | None = None, table_label: str = ""
) -> None:
    """Write one dataset in the format its suffix names. Dates are written as SAS dates
    (DATE9.) in xpt, ISO yyyy-mm-dd in CSV and date32 in Parquet."""
    fmt = dataset_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    date_cols = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    tmp = path.with_name(path.name + ".tmp")
    if fmt == "xpt":
        import pyreadstat

        out = frame.copy()
        for c in date_cols:
            out[c] = out[c].dt.date
        pyreadstat.write_xport(
            out,
            str(tmp),
            file_label=table_label[:40],
            column_labels=[(labels or {}).get(c, "")[:40] for c in out.columns],
            table_name=path.stem.upper()[:8],
            file_format_version=5,
            variable_format={c: "DATE9." for c in date_cols},
        )
    elif fmt == "csv":
        out = frame.copy()
        for c in date_cols:
            out[c] = out[c].dt.strftime("%Y-%m-%d")
        out.to_csv(tmp, index=False, lineterminator="\n")
    elif fmt == "parquet":
        out = frame.copy()
        for c in date_cols:
            out[c] = out[c].dt.date
        out.to_parquet(tmp, index=False)
    else:
        raise UserError(f"{path}: cannot write {fmt}; use .xpt, .csv or .parquet")
    os.replace(tmp, path)

