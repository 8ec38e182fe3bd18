"""Visit- and record-level datasets of the demo study: ADQS, ADLB and ADAE.

Each is derived from the subject-level truth built in `submission_kit.data.demo` (arm,
baseline, last day alive, exposure), so visits, events and deaths agree across datasets.
The adverse-event and laboratory catalogues below set what the records look like.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from submission_kit.data.demo_design import (
    CYCLE_DAYS,
    DOMAINS,
    FOLLOW_UP_DAYS,
    MONTH,
    study_dates,
    yn,
)

_QS_PARAMS = {
    "ALSFRST": "ALSFRS-R Total Score (0-48)",
    "ALSFRSB": "ALSFRS-R Bulbar Domain (Items 1-3)",
    "ALSFRSF": "ALSFRS-R Fine Motor Domain (Items 4-6)",
    "ALSFRSG": "ALSFRS-R Gross Motor Domain (Items 7-9)",
    "ALSFRSR": "ALSFRS-R Respiratory Domain (Items 10-12)",
}


@dataclass(frozen=True, slots=True)
class _AeTerm:
    soc: str
    decod: str
    term: str  # verbatim, as an investigator would write it
    pct: tuple[float, float]  # % of subjects with >= 1 event over 18 months: placebo, IL-2LD
    severity: tuple[float, float, float]  # mild, moderate, severe
    serious: float  # probability an event is serious
    related: float  # probability an event is judged related
    days: float  # median duration
    on_drug: bool = False  # only while on treatment (injection-related)


_GEN = "General disorders and administration site conditions"
_AE_TERMS = (
    _AeTerm(_GEN, "Injection site reaction", "Reaction at injection site",
            (12, 45), (0.85, 0.14, 0.01), 0.0, 0.95, 3, True),
    _AeTerm(_GEN, "Injection site erythema", "Redness at injection site",
            (8, 30), (0.9, 0.1, 0.0), 0.0, 0.95, 3, True),
    _AeTerm(_GEN, "Influenza like illness", "Flu-like symptoms",
            (6, 28), (0.6, 0.37, 0.03), 0.0, 0.85, 3, True),
    _AeTerm(_GEN, "Fatigue", "Fatigue", (22, 25), (0.5, 0.4, 0.1), 0.0, 0.2, 30),
    _AeTerm(_GEN, "Pyrexia", "Fever", (5, 9), (0.7, 0.28, 0.02), 0.02, 0.4, 3),
    _AeTerm("Injury, poisoning and procedural complications", "Fall", "Fall",
            (30, 29), (0.6, 0.32, 0.08), 0.05, 0.0, 7),
    _AeTerm("Gastrointestinal disorders", "Dysphagia", "Swallowing difficulty",
            (24, 23), (0.35, 0.45, 0.2), 0.15, 0.0, 120),
    _AeTerm("Gastrointestinal disorders", "Constipation", "Constipation",
            (20, 21), (0.65, 0.33, 0.02), 0.0, 0.05, 20),
    _AeTerm("Gastrointestinal disorders", "Nausea", "Nausea", (9, 12), (0.75, 0.25, 0.0), 0.0,
            0.4, 4),
    _AeTerm("Gastrointestinal disorders", "Salivary hypersecretion", "Sialorrhoea",
            (12, 11), (0.6, 0.38, 0.02), 0.0, 0.0, 90),
    _AeTerm("Investigations", "Weight decreased", "Weight loss", (18, 17), (0.55, 0.4, 0.05),
            0.02, 0.0, 120),
    _AeTerm("Investigations", "Eosinophil count increased", "Raised eosinophils",
            (1, 6), (0.85, 0.15, 0.0), 0.0, 0.8, 30, True),
    _AeTerm("Respiratory, thoracic and mediastinal disorders", "Respiratory failure",
            "Respiratory insufficiency", (10, 10), (0.1, 0.4, 0.5), 0.6, 0.0, 60),
    _AeTerm("Respiratory, thoracic and mediastinal disorders", "Dyspnoea", "Shortness of breath",
            (14, 13), (0.45, 0.45, 0.1), 0.05, 0.0, 45),
    _AeTerm("Infections and infestations", "Pneumonia", "Chest infection", (8, 8),
            (0.2, 0.45, 0.35), 0.7, 0.0, 14),
    _AeTerm("Infections and infestations", "Nasopharyngitis", "Common cold", (15, 17),
            (0.85, 0.15, 0.0), 0.0, 0.05, 7),
    _AeTerm("Infections and infestations", "Urinary tract infection", "UTI", (6, 6),
            (0.5, 0.45, 0.05), 0.05, 0.0, 10),
    _AeTerm("Musculoskeletal and connective tissue disorders", "Muscle spasms", "Cramps",
            (18, 19), (0.6, 0.35, 0.05), 0.0, 0.05, 30),
    _AeTerm("Musculoskeletal and connective tissue disorders", "Pain in extremity", "Leg pain",
            (10, 11), (0.6, 0.35, 0.05), 0.0, 0.0, 20),
    _AeTerm("Nervous system disorders", "Headache", "Headache", (11, 15), (0.75, 0.23, 0.02),
            0.0, 0.3, 2),
    _AeTerm("Psychiatric disorders", "Depression", "Low mood", (8, 8), (0.5, 0.45, 0.05), 0.02,
            0.0, 90),
    _AeTerm("Metabolism and nutrition disorders", "Decreased appetite", "Poor appetite",
            (7, 8), (0.6, 0.37, 0.03), 0.0, 0.05, 60),
)  # fmt: skip
# Fatal events: the causes of death in ALS; every death in the safety population has one.
_FATAL = (
    ("Respiratory, thoracic and mediastinal disorders", "Respiratory failure",
     "Terminal respiratory failure", 0.78),
    ("Infections and infestations", "Pneumonia aspiration", "Aspiration pneumonia", 0.12),
    ("Cardiac disorders", "Cardio-respiratory arrest", "Cardiorespiratory arrest", 0.06),
    ("General disorders and administration site conditions", "Sudden death", "Sudden death", 0.04),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _LabParam:
    code: str
    param: str
    category: str
    mean: float  # typical baseline value
    between: float  # SD of log value between subjects
    within: float  # SD of log value between visits
    low: float
    high: float
    decimals: int
    il2: float = 1.0  # multiplier while on IL-2LD (up to 28 days after the last cycle)
    drift: float = 0.0  # change in log value per month, from muscle loss


_LAB_PARAMS = (
    _LabParam("TREG", "Regulatory T cells (% of CD4+)", "IMMUNOLOGY", 6.0, 0.22, 0.10, 3.0,
              10.0, 1, il2=1.55),
    _LabParam("EOS", "Eosinophils (10^9/L)", "HEMATOLOGY", 0.15, 0.45, 0.25, 0.0, 0.5, 2,
              il2=1.35),
    _LabParam("LYM", "Lymphocytes (10^9/L)", "HEMATOLOGY", 1.8, 0.28, 0.12, 1.0, 4.0, 2),
    _LabParam("NEUT", "Neutrophils (10^9/L)", "HEMATOLOGY", 4.0, 0.28, 0.15, 1.8, 7.5, 2),
    _LabParam("PLAT", "Platelets (10^9/L)", "HEMATOLOGY", 250, 0.22, 0.08, 150, 400, 0),
    _LabParam("HGB", "Hemoglobin (g/L)", "HEMATOLOGY", 140, 0.08, 0.04, 120, 170, 0),
    # WBC's own draw is monocytes + basophils; simulate_adlb adds the differential to it.
    _LabParam("WBC", "Leukocytes (10^9/L)", "HEMATOLOGY", 0.6, 0.25, 0.15, 4.0, 10.0, 2),
    _LabParam("ALT", "Alanine Aminotransferase (U/L)", "CHEMISTRY", 26, 0.38, 0.2, 5, 40, 0),
    _LabParam("AST", "Aspartate Aminotransferase (U/L)", "CHEMISTRY", 24, 0.3, 0.15, 10, 40, 0),
    _LabParam("CREAT", "Creatinine (umol/L)", "CHEMISTRY", 68, 0.2, 0.06, 45, 110, 0,
              drift=-0.008),
)  # fmt: skip
_LAB_MONTHS = np.arange(0, 19, 3)


# ---------------------------------------------------------------------------- visits


def _visit_days(rng: np.random.Generator, n: int, months: np.ndarray) -> np.ndarray:
    """Study days of scheduled visits (n x visits): baseline on day 1, then the nominal month
    within +/- 3 days, never past the day-640 end of follow-up."""
    nominal = 1 + np.round(MONTH * months).astype(np.int64)
    jitter = rng.integers(-3, 4, size=(n, len(months))) * (months > 0)
    return np.minimum(nominal + jitter, FOLLOW_UP_DAYS)


def _long(
    subj: pd.DataFrame, keep: np.ndarray, day: np.ndarray, months: np.ndarray,
    values: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:  # fmt: skip
    """One record per kept (subject, visit) and parameter, sorted by USUBJID (the order of
    `subj`), PARAMCD, AVISITN; `values` maps PARAMCD to an (n x visits) array."""
    rows, cols = np.nonzero(keep)
    codes = sorted(values)
    aval = np.concatenate([values[c][rows, cols] for c in codes]).astype(float)
    base = np.concatenate([values[c][rows, 0] for c in codes]).astype(float)
    param = np.repeat(np.arange(len(codes)), len(rows))
    rows, cols = np.tile(rows, len(codes)), np.tile(cols, len(codes))
    order = np.lexsort((cols, param, rows))
    rows, cols, param, aval, base = rows[order], cols[order], param[order], aval[order], base[order]
    carry = ["STUDYID", "USUBJID", "TRT01P", "TRT01PN", "ITTFL", "SAFFL", "PNFHGR1"]
    visit = np.array(["Baseline"] + [f"Month {m}" for m in months[1:]], dtype=object)
    columns = {name: subj[name].to_numpy()[rows] for name in carry}
    return columns | {
        "PARAMCD": np.array(codes, dtype=object)[param],
        "AVISITN": months[cols],
        "AVISIT": visit[cols],
        "ADY": day[rows, cols],
        "ADT": study_dates(subj["RANDDT"].to_numpy()[rows], day[rows, cols]),
        "AVAL": aval,
        "BASE": base,
        "CHG": np.where(cols == 0, np.nan, aval - base),
        "ABLFL": yn(cols == 0, None),
        "TRTP": columns["TRT01P"],
        "TRTPN": columns["TRT01PN"],
    }


def simulate_adqs(rng: np.random.Generator, subj: pd.DataFrame) -> pd.DataFrame:
    """Monthly ALSFRS-R to month 21 while alive and on study, ~4% of visits missed. Each domain
    declines linearly at the subject's rate times its share, with +/-1 point of rater noise;
    integer, 0-12 per domain, so the total (their sum) stays within 0-48."""
    n = len(subj)
    months = np.arange(22)
    day = _visit_days(rng, n, months)
    keep = (day <= subj["last_day"].to_numpy()[:, None]) & (rng.random(day.shape) >= 0.04)
    keep[:, 0] = True
    elapsed = (day - 1) / MONTH
    rate = subj["slope"].to_numpy()[:, None]
    values = {}
    for code in DOMAINS:
        base = subj[f"base_{code}"].to_numpy()[:, None]
        share = subj[f"share_{code}"].to_numpy()[:, None]
        noise = rng.normal(0, 0.45, day.shape) * (months > 0)
        values[code] = np.clip(np.round(base - rate * share * elapsed + noise), 0, 12)
    values["ALSFRST"] = sum(values[c] for c in DOMAINS)
    columns = _long(subj, keep, day, months, values)
    columns["PARAM"] = pd.Series(columns["PARAMCD"]).map(_QS_PARAMS).to_numpy()
    return pd.DataFrame(columns)


def simulate_adlb(rng: np.random.Generator, subj: pd.DataFrame) -> pd.DataFrame:
    """Laboratory values every 3 months to month 18, safety population, while alive. Tregs
    and eosinophils rise on IL-2LD up to 28 days after the last cycle."""
    subj = subj[subj["treated"]].reset_index(drop=True)
    n = len(subj)
    day = _visit_days(rng, n, _LAB_MONTHS)
    keep = day <= subj["last_day"].to_numpy()[:, None]
    on_il2 = (subj["arm"].to_numpy()[:, None] == 1) & (day > 1)
    on_il2 &= day <= subj["trt_end_day"].to_numpy()[:, None] + CYCLE_DAYS
    values = {}
    for p in _LAB_PARAMS:
        log = np.log(p.mean) + rng.normal(0, p.between, (n, 1))
        log = log + rng.normal(0, p.within, day.shape) + p.drift * (day - 1) / MONTH
        values[p.code] = np.exp(log) * np.where(on_il2, p.il2, 1.0)
    # WBC is the differential plus monocytes and basophils (the WBC parameter's own draw).
    values["WBC"] = values["WBC"] + values["LYM"] + values["NEUT"] + values["EOS"]
    for p in _LAB_PARAMS:
        values[p.code] = np.round(values[p.code], p.decimals)
    columns = _long(subj, keep, day, _LAB_MONTHS, values)
    which = pd.Series(columns["PARAMCD"]).map({p.code: i for i, p in enumerate(_LAB_PARAMS)})
    spec = pd.DataFrame([asdict(p) for p in _LAB_PARAMS]).iloc[which.to_numpy()]
    low, high = spec["low"].to_numpy(dtype=float), spec["high"].to_numpy(dtype=float)
    aval = columns["AVAL"]
    indicator = np.select([aval < low, aval > high], ["LOW", "HIGH"], "NORMAL").astype(object)
    return pd.DataFrame(
        columns
        | {
            "PARAM": spec["param"].to_numpy(dtype=object),
            "PARCAT1": spec["category"].to_numpy(dtype=object),
            "ANRLO": low,
            "ANRHI": high,
            "ANRIND": indicator,
        }
    )


# ---------------------------------------------------------------------------- ADAE


def _ae_random(rng: np.random.Generator, subj: pd.DataFrame) -> dict[str, np.ndarray]:
    """Non-fatal events: Poisson counts per subject and term over the time on study (or on
    treatment, for injection-related terms), at the term's rate in the subject's arm."""
    last = subj["last_day"].to_numpy().astype(float)
    on_drug = np.array([t.on_drug for t in _AE_TERMS])
    window = np.where(
        on_drug, np.minimum(subj["trt_end_day"].to_numpy() + 7, last)[:, None], last[:, None]
    )
    pct = np.array([t.pct for t in _AE_TERMS]) / 100
    rate = -np.log1p(-pct) / 18  # per month, so the 18-month incidence is `pct`
    counts = rng.poisson(rate.T[subj["arm"].to_numpy()] * window / MONTH)
    flat = np.repeat(np.arange(counts.size), counts.ravel())
    rows, terms = flat // len(_AE_TERMS), flat % len(_AE_TERMS)
    start = 1 + np.floor(rng.random(len(flat)) * window[rows, terms])
    days = np.array([t.days for t in _AE_TERMS])[terms]
    end = start + np.ceil(days * rng.lognormal(0, 0.6, len(flat))) - 1
    cum = np.cumsum([t.severity for t in _AE_TERMS], axis=1)[terms]
    u = rng.random(len(flat))
    serious = rng.random(len(flat)) < np.array([t.serious for t in _AE_TERMS])[terms]
    severity = np.maximum((u > cum[:, 0]) + (u > cum[:, 1]), serious)
    related = rng.random(len(flat)) < np.array([t.related for t in _AE_TERMS])[terms]
    ongoing = end > last[rows]
    return {
        "row": rows,
        "soc": np.array([t.soc for t in _AE_TERMS], dtype=object)[terms],
        "decod": np.array([t.decod for t in _AE_TERMS], dtype=object)[terms],
        "term": np.array([t.term for t in _AE_TERMS], dtype=object)[terms],
        "start": start,
        "end": np.where(ongoing, np.nan, end),
        "severity": severity,
        "serious": serious,
        "related": related,
        "outcome": np.where(ongoing, "NOT RECOVERED/NOT RESOLVED", "RECOVERED/RESOLVED"),
    }


def _ae_fatal(rng: np.random.Generator, subj: pd.DataFrame) -> dict[str, np.ndarray]:
    """One fatal event per death, starting up to two weeks before it."""
    rows = np.flatnonzero(subj["died"].to_numpy())
    death = subj["death_day"].to_numpy()[rows].astype(float)
    pick = rng.choice(len(_FATAL), size=len(rows), p=[f[3] for f in _FATAL])
    k = len(rows)
    return {
        "row": rows,
        "soc": np.array([f[0] for f in _FATAL], dtype=object)[pick],
        "decod": np.array([f[1] for f in _FATAL], dtype=object)[pick],
        "term": np.array([f[2] for f in _FATAL], dtype=object)[pick],
        "start": np.maximum(1, death - rng.integers(0, 15, k)),
        "end": death,
        "severity": np.full(k, 2),
        "serious": np.ones(k, dtype=bool),
        "related": np.zeros(k, dtype=bool),
        "outcome": np.full(k, "FATAL"),
    }


def simulate_adae(rng: np.random.Generator, subj: pd.DataFrame) -> pd.DataFrame:
    """Adverse events of the safety population, all treatment-emergent (collected from the
    first dose to the end of follow-up)."""
    subj = subj[subj["treated"]].reset_index(drop=True)
    parts = [_ae_random(rng, subj), _ae_fatal(rng, subj)]
    ev = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    order = np.lexsort((ev["decod"].astype(str), ev["start"], ev["row"]))
    ev = {key: value[order] for key, value in ev.items()}
    rows = ev["row"]
    first = np.searchsorted(rows, rows)  # rows are sorted: index of each subject's first event
    randdt = subj["RANDDT"].to_numpy()[rows]
    carry = ["STUDYID", "USUBJID", "TRT01A", "TRT01AN", "SAFFL"]
    return (
        subj[carry]
        .iloc[rows]
        .reset_index(drop=True)
        .assign(
            AESEQ=np.arange(len(rows)) - first + 1,
            AETERM=ev["term"],
            AEDECOD=ev["decod"],
            AEBODSYS=ev["soc"],
            AESEV=np.array(["MILD", "MODERATE", "SEVERE"], dtype=object)[ev["severity"]],
            AESER=yn(ev["serious"]),
            AEREL=np.where(ev["related"], "RELATED", "NOT RELATED").astype(object),
            AEOUT=ev["outcome"].astype(object),
            ASTDT=study_dates(randdt, ev["start"]),
            AENDT=study_dates(randdt, ev["end"]),
            ASTDY=ev["start"].astype(np.int64),
            TRTEMFL="Y",
            TRTA=subj["TRT01A"].to_numpy()[rows],
            TRTAN=subj["TRT01AN"].to_numpy()[rows].astype(np.int64),
        )
    )
