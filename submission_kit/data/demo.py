"""Deterministic simulator of the demo study: a synthetic trial modelled on MIROCALS.

MIROCALS (NCT03039673) compared low-dose interleukin-2 (IL-2LD) with placebo as add-on to
riluzole in ALS. `simulate_study` returns ADaM-shaped datasets that resemble its published design
and results (reference/demo-study.md). Every number is synthetic.

Choices that matter to users of the demo:
- One random stream per purpose (ADEX is derived from the "exposure" stream), spawned from the
  seed in a fixed order, so a stream added later (appended to `_STREAMS`) leaves the existing
  datasets unchanged.
- The subject-level truth (arm, baseline, death, dropout, exposure) is drawn once and every
  dataset is derived from it, so deaths, visits and exposure agree across datasets.
- Death-time and pNFH uniforms are stratified within arm (and pNFH stratum): death counts and
  the pNFH split then track their expectation at any N, so the headline results do not hinge
  on the luck of the seed and 10,000 subjects look like 220 scaled up.
Pure: no file I/O, no clock.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri

from submission_kit.errors import UserError

STUDYID = "MIROCALS-SIM"
FOLLOW_UP_DAYS = 640
CYCLES = 19
CYCLE_DAYS = 28
DOSE_MIU = 2.0
INJECTIONS_PER_CYCLE = 5
PNFH_CUTOFF = 3700.0
ARMS = ("Placebo", "IL-2LD")
PNFH_GROUPS = ("Low/moderate (<=3700 pg/mL)", "High (>3700 pg/mL)")

_STREAMS = ("subjects", "outcomes", "exposure", "adqs", "adae", "adlb")
_MONTH = 30.4375
_MISSING = np.array(None, dtype=object)  # a missing character value, as np.where wants arrays
_BLOCK = 4
_FIRST_RAND = np.datetime64("2017-06-01", "D")
_LAST_RAND = np.datetime64("2019-10-31", "D")
# (SITEID, COUNTRY, relative enrolment): 13 French and 4 British centres, unequal as in life.
_SITES = (
    ("101", "FRA", 16), ("102", "FRA", 13), ("103", "FRA", 11), ("104", "FRA", 10),
    ("105", "FRA", 9), ("106", "FRA", 8), ("107", "FRA", 7), ("108", "FRA", 6),
    ("109", "FRA", 6), ("110", "FRA", 5), ("111", "FRA", 4), ("112", "FRA", 4),
    ("113", "FRA", 3), ("201", "GBR", 9), ("202", "GBR", 7), ("203", "GBR", 5), ("204", "GBR", 4),
)  # fmt: skip
_RACES = ("WHITE", "BLACK OR AFRICAN AMERICAN", "ASIAN", "OTHER")
_ETHNICS = ("NOT HISPANIC OR LATINO", "HISPANIC OR LATINO", "NOT REPORTED")
_DIAGCATS = ("Definite", "Probable", "Probable laboratory-supported", "Possible")
_DROP_REASONS = ("Withdrawal by Subject", "Lost to Follow-up", "Adverse Event")

# ALSFRS-R domains (items 1-3, 4-6, 7-9, 10-12; 0-12 each) and each onset's share of the loss.
_DOMAINS = ("ALSFRSB", "ALSFRSF", "ALSFRSG", "ALSFRSR")
_DOMAIN_SHARE = {"Bulbar": (0.45, 0.17, 0.23, 0.15), "Limb": (0.12, 0.36, 0.40, 0.12)}
_QS_PARAMS = {
    "ALSFRST": "ALSFRS-R Total Score (0-48)",
    "ALSFRSB": "ALSFRS-R Bulbar Domain (Items 1-3)",
    "ALSFRSF": "ALSFRS-R Fine Motor Domain (Items 4-6)",
    "ALSFRSG": "ALSFRS-R Gross Motor Domain (Items 7-9)",
    "ALSFRSR": "ALSFRS-R Respiratory Domain (Items 10-12)",
}

# Survival: Weibull proportional hazards (days), the IL-2LD effect set by pNFH stratum. Tuned so
# that the expected figures per arm of 110 are ~47 vs 38 deaths by day 640, HR 0.78 overall and
# 0.55 / 1.27 by stratum, and the default seed lands on the published 0.81 (tests state them).
# Because about half the deaths fall in the high stratum (HR > 1), a Cox model adjusted for
# the stratum gives an HR nearer 1 than the unadjusted one: only the published size of the
# interaction, not its adjusted-model figure, can be reproduced with these stratum HRs.
_OS_SHAPE = 1.4
_OS_SCALE = 1250.0
_NIV_SCALE = 1250.0
_LOG_HR_HIGH_PNFH = np.log(3.5)
_LOG_HR_TRT = {False: np.log(0.54), True: np.log(1.30)}  # keyed by "high pNFH"
# ALSFRS-R total decline, points/month on placebo, by pNFH stratum; IL-2LD slows the
# low/moderate stratum by 23% as reported.
_SLOPE = {False: 1.05, True: 1.75}
_SLOPE_IL2_LOW = 0.77


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
    # WBC's own draw is monocytes + basophils; _adlb adds the differential to it.
    _LabParam("WBC", "Leukocytes (10^9/L)", "HEMATOLOGY", 0.6, 0.25, 0.15, 4.0, 10.0, 2),
    _LabParam("ALT", "Alanine Aminotransferase (U/L)", "CHEMISTRY", 26, 0.38, 0.2, 5, 40, 0),
    _LabParam("AST", "Aspartate Aminotransferase (U/L)", "CHEMISTRY", 24, 0.3, 0.15, 10, 40, 0),
    _LabParam("CREAT", "Creatinine (umol/L)", "CHEMISTRY", 68, 0.2, 0.06, 45, 110, 0,
              drift=-0.008),
)  # fmt: skip
_LAB_MONTHS = np.arange(0, 19, 3)


def simulate_study(subjects: int = 220, seed: int = 20170601) -> dict[str, pd.DataFrame]:
    """Simulate the demo study: keys 'adsl', 'adtte', 'adqs', 'adae', 'adlb', 'adex'.

    Deterministic for (subjects, seed); arms are 1:1 (exactly, or within one for odd N)."""
    if isinstance(subjects, bool) or not isinstance(subjects, int | np.integer) or subjects < 1:
        raise UserError(f"demo data: subjects must be a positive whole number, not {subjects!r}")
    seeds = np.random.SeedSequence(seed).spawn(len(_STREAMS))
    rng = {
        name: np.random.Generator(np.random.PCG64(s))
        for name, s in zip(_STREAMS, seeds, strict=True)
    }
    subj = _enrol(rng["subjects"], int(subjects))
    subj = _outcomes(rng["outcomes"], subj)
    subj = _adsl(_exposure(rng["exposure"], subj))
    adqs = _adqs(rng["adqs"], subj)
    # Efficacy population: treated, with at least one post-baseline ALSFRS-R.
    post = subj["USUBJID"].isin(adqs.loc[adqs["AVISITN"] > 0, "USUBJID"]).to_numpy()
    subj["EFFFL"] = _yn(subj["treated"].to_numpy() & post)
    data = {
        "adsl": subj,
        "adtte": _adtte(subj),
        "adqs": adqs,
        "adae": _adae(rng["adae"], subj),
        "adlb": _adlb(rng["adlb"], subj),
        "adex": _adex(subj),
    }
    return {name: frame[list(VARIABLE_LABELS[name])] for name, frame in data.items()}


# ---------------------------------------------------------------------------- subjects


def _group_ranks(groups: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort by group, then key. Returns the order, and for each sorted element its rank within
    its group and its group's size."""
    order = np.lexsort((key, groups))
    _, first, size = np.unique(groups[order], return_index=True, return_counts=True)
    group = np.searchsorted(first, np.arange(len(order)), side="right") - 1
    return order, np.arange(len(order)) - first[group], size[group]


def _stratified_uniform(rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
    """One uniform per subject; the k subjects of a group get one draw from each of k equal
    slices of (0, 1), in random order (Latin hypercube), so group-level counts of anything
    derived from them sit close to their expectation whatever the seed."""
    order, rank, size = _group_ranks(groups, rng.random(len(groups)))
    u = np.empty(len(groups))
    u[order] = (rank + rng.random(len(groups))) / size
    return u


def _randomise(rng: np.random.Generator, strata: np.ndarray) -> np.ndarray:
    """1:1 permuted blocks of 4 within stratum, in enrolment order. The incomplete last block of
    each stratum is pooled and allocated 1:1 across strata, so arms are exactly balanced (as the
    published 110/110) at any N, within one subject for odd N."""
    n = len(strata)
    order, pos, size = _group_ranks(strata, np.arange(n))
    in_full = pos < size // _BLOCK * _BLOCK
    arm = np.empty(n, dtype=np.int64)
    full = order[in_full]
    shuffled = np.lexsort((rng.random(len(full)), strata[full], pos[in_full] // _BLOCK))
    arm[full[shuffled]] = np.arange(len(full)) % _BLOCK >= _BLOCK // 2
    rest = order[~in_full]
    arm[rest] = rng.permutation((np.arange(len(rest)) + rng.integers(2)) % 2)
    return arm


def _enrol(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Sites, randomisation dates and arms; subjects sorted by USUBJID from here on."""
    span = int((_LAST_RAND - _FIRST_RAND) / np.timedelta64(1, "D"))
    rand_day = np.sort(rng.integers(0, span + 1, n))
    weight = np.array([w for *_, w in _SITES], dtype=float)
    site = rng.choice(len(_SITES), size=n, p=weight / weight.sum())
    country = np.array([c for _, c, _ in _SITES], dtype=object)[site]
    bulbar = rng.random(n) < 0.30
    arm = _randomise(rng, (country == "GBR") * 2 + bulbar)
    siteid = np.array([s for s, *_ in _SITES], dtype=object)[site]
    seq = pd.Series(site).groupby(site).cumcount().to_numpy() + 1
    subjid = [f"{s}-{q:04d}" for s, q in zip(siteid, seq, strict=True)]
    frame = pd.DataFrame(
        {
            "USUBJID": [f"{STUDYID}-{s}" for s in subjid],
            "SUBJID": subjid,
            "SITEID": siteid,
            "COUNTRY": country,
            "RANDDT": (_FIRST_RAND + rand_day).astype("datetime64[ns]"),
            "ONSET": np.where(bulbar, "Bulbar", "Limb").astype(object),
            "arm": arm,
        }
    )
    frame = pd.concat([frame, _baseline(rng, bulbar, arm)], axis=1)
    return frame.sort_values("USUBJID", kind="stable").reset_index(drop=True)


def _baseline(rng: np.random.Generator, bulbar: np.ndarray, arm: np.ndarray) -> pd.DataFrame:
    """Demography and disease at randomisation, within the MIROCALS eligibility criteria."""
    n = len(arm)
    age = np.floor(18 + 59 * rng.beta(4.6, 2.0, n)).astype(np.int64)
    run_in = rng.uniform(12, 18, n) * 7 / _MONTH  # weeks of riluzole before randomisation
    domains, share = _baseline_domains(rng, bulbar)
    pnfh = np.exp(np.log(2150.0) + 0.8 * ndtri(_stratified_uniform(rng, arm)))
    frame = pd.DataFrame(
        {
            "AGE": age,
            "SEX": np.where(rng.random(n) < 0.62, "M", "F").astype(object),
            "RACE": rng.choice(np.array(_RACES, dtype=object), n, p=[0.93, 0.03, 0.02, 0.02]),
            "ETHNIC": rng.choice(np.array(_ETHNICS, dtype=object), n, p=[0.96, 0.01, 0.03]),
            "DIAGCAT": rng.choice(np.array(_DIAGCATS, dtype=object), n, p=[0.3, 0.4, 0.19, 0.11]),
            "DURDIS": np.round(3 + 21 * rng.beta(2.0, 2.4, n) + run_in, 1),
            "SVCBL": np.round(70 + 60 * rng.beta(2.0, 3.2, n), 1),
            "PNFHBL": np.round(np.clip(pnfh, 150, None)),
        }
    )
    frame["ALSFRSBL"] = domains.sum(axis=1)
    for j, code in enumerate(_DOMAINS):
        frame[f"base_{code}"] = domains[:, j]
        frame[f"share_{code}"] = share[:, j]
    return frame


def _baseline_domains(rng: np.random.Generator, bulbar: np.ndarray) -> tuple[np.ndarray, ...]:
    """Baseline ALSFRS-R domain scores (n x 4) and each subject's share of the decline by
    domain: points lost so far fall mostly on the region where the disease began."""
    mean = np.where(bulbar[:, None], _DOMAIN_SHARE["Bulbar"], _DOMAIN_SHARE["Limb"])
    share = rng.gamma(14 * mean)
    share /= share.sum(axis=1, keepdims=True)
    lost = np.clip(np.round(rng.gamma(4.0, 2.5, len(bulbar))), 0, 30).astype(np.int64)
    domains = 12 - np.minimum(rng.multinomial(lost, share), 12)
    return domains, share


# ---------------------------------------------------------------------------- outcomes


def _hazard_score(subj: pd.DataFrame, frailty: np.ndarray) -> np.ndarray:
    """Linear predictor of the death hazard, without the treatment effect. Older age, bulbar
    onset, lower ALSFRS-R and SVC raise it mildly; high CSF pNFH raises it a lot."""
    return (
        _LOG_HR_HIGH_PNFH * (subj["PNFHBL"].to_numpy() > PNFH_CUTOFF)
        + 0.025 * (subj["AGE"].to_numpy() - 60)
        + np.log(1.3) * (subj["ONSET"].to_numpy() == "Bulbar")
        - 0.05 * (subj["ALSFRSBL"].to_numpy() - 38)
        - 0.012 * (subj["SVCBL"].to_numpy() - 90)
        + 0.25 * frailty
    )


def _weibull_day(u: np.ndarray, score: np.ndarray, scale: float) -> np.ndarray:
    """Study day of an event (day 1 = randomisation; first possible event on day 2)."""
    days = scale * (-np.log(u) * np.exp(-score)) ** (1 / _OS_SHAPE)
    return 2 + np.floor(np.minimum(days, 1e5)).astype(np.int64)


def _outcomes(rng: np.random.Generator, subj: pd.DataFrame) -> pd.DataFrame:
    """Death, tracheostomy/permanent NIV, loss to follow-up and ALSFRS-R slope per subject."""
    n = len(subj)
    arm = subj["arm"].to_numpy()
    high = subj["PNFHBL"].to_numpy() > PNFH_CUTOFF
    frailty = rng.standard_normal(n)
    score = _hazard_score(subj, frailty)
    treat = arm * np.where(high, _LOG_HR_TRT[True], _LOG_HR_TRT[False])
    death = _weibull_day(_stratified_uniform(rng, arm * 2 + high), score + treat, _OS_SCALE)
    niv = _weibull_day(rng.random(n), score + treat / 2, _NIV_SCALE)
    drops = rng.random(n) < 0.05
    fup = np.where(drops, rng.integers(30, FOLLOW_UP_DAYS, n), FOLLOW_UP_DAYS)
    reason = rng.choice(np.array(_DROP_REASONS, dtype=object), n, p=[0.5, 0.3, 0.2])
    died = death <= fup
    slope = np.where(high, _SLOPE[True], _SLOPE[False]) * np.where(
        (arm == 1) & ~high, _SLOPE_IL2_LOW, 1.0
    )
    return subj.assign(
        high=high,
        death_day=death,
        died=died,
        niv_day=niv,
        niv_kind=np.where(rng.random(n) < 0.85, "PERMANENT NIV", "TRACHEOSTOMY").astype(object),
        fup_day=fup,
        drop_reason=np.where(died | ~drops, _MISSING, reason),
        last_day=np.where(died, death - 1, fup),  # last study day seen alive
        slope=slope * np.exp(0.3 * frailty - 0.045),
    )


def _exposure(rng: np.random.Generator, subj: pd.DataFrame) -> pd.DataFrame:
    """Cycles given (days 1-5 of each 28-day cycle) until death, dropout or stopping; ~1% of
    subjects are never treated, ~8% stop early, ~3% of later cycles are missed."""
    n = len(subj)
    treated = np.ones(n, dtype=bool)
    treated[rng.choice(n, size=round(0.01 * n), replace=False)] = False
    stop = np.where(rng.random(n) < 0.08, rng.integers(60, 505, n), FOLLOW_UP_DAYS)
    start = 1 + CYCLE_DAYS * np.arange(CYCLES)
    bound = np.minimum(subj["last_day"].to_numpy(), stop)
    given = (start <= bound[:, None]) & (rng.random((n, CYCLES)) >= 0.03)
    given[:, 0] = True
    given &= treated[:, None]
    ncycles = given.sum(axis=1)
    last = CYCLES - 1 - np.argmax(given[:, ::-1], axis=1)
    end = np.minimum(start[last] + INJECTIONS_PER_CYCLE - 1, subj["last_day"].to_numpy())
    return subj.assign(
        treated=treated,
        ncycles=ncycles,
        compliance=np.where(treated, 100 * ncycles / (last + 1), np.nan),
        trt_end_day=np.where(treated, end, np.nan),
    )


def _dates(start: pd.Series | np.ndarray, day: np.ndarray) -> np.ndarray:
    """Study day (1 = start date) to datetime64[ns]; a missing day gives NaT."""
    day = np.asarray(day, dtype=float)
    offset = np.where(np.isnan(day), 0, day - 1).astype(np.int64).astype("timedelta64[D]")
    out = (np.asarray(start, dtype="datetime64[ns]") + offset).astype("datetime64[ns]")
    out[np.isnan(day)] = np.datetime64("NaT")
    return out


def _yn(flag: np.ndarray, no: str | None = "N") -> np.ndarray:
    return np.where(flag, "Y", np.array(no, dtype=object)).astype(object)


# ---------------------------------------------------------------------------- ADSL, ADTTE


def _adsl(subj: pd.DataFrame) -> pd.DataFrame:
    """ADSL variables (all but EFFFL), added to the subject-level truth that other datasets
    draw on; the internal lower-case columns are dropped at the end."""
    arm = subj["arm"].to_numpy()
    treated = subj["treated"].to_numpy()
    died = subj["died"].to_numpy()
    age = subj["AGE"].to_numpy()
    agegr = np.select([age < 50, age < 65], [1, 2], 3)
    trt = np.array(ARMS, dtype=object)[arm]
    reason = np.where(died, "Death", subj["drop_reason"].to_numpy())
    return subj.assign(
        STUDYID=STUDYID,
        AGEU="YEARS",
        AGEGR1=np.array(["<50", "50-64", ">=65"], dtype=object)[agegr - 1],
        AGEGR1N=agegr,
        ARM=trt,
        TRT01P=trt,
        TRT01PN=arm,
        TRT01A=np.where(treated, trt, _MISSING),
        TRT01AN=np.where(treated, arm, np.nan),
        TRTSDT=_dates(subj["RANDDT"], np.where(treated, 1, np.nan)),
        TRTEDT=_dates(subj["RANDDT"], subj["trt_end_day"].to_numpy()),
        ITTFL="Y",
        SAFFL=_yn(treated),
        RILUFL="Y",
        PNFHGR1=np.array(PNFH_GROUPS, dtype=object)[subj["high"].to_numpy().astype(int)],
        PNFHGR1N=subj["high"].to_numpy().astype(np.int64) + 1,
        EOSSTT=np.where(pd.isna(reason), "COMPLETED", "DISCONTINUED").astype(object),
        DCSREAS=reason,
        DTHFL=_yn(died, None),
        DTHDT=_dates(subj["RANDDT"], np.where(died, subj["death_day"], np.nan)),
        LSTALVDT=_dates(subj["RANDDT"], np.where(died, subj["death_day"], subj["last_day"])),
    )


def _adtte(subj: pd.DataFrame) -> pd.DataFrame:
    """OS and death-or-tracheostomy/permanent-NIV, from randomisation, censored at day 640 or
    at the last contact of subjects lost to follow-up."""
    death, niv = subj["death_day"].to_numpy(), subj["niv_day"].to_numpy()
    fup = subj["fup_day"].to_numpy()
    niv_first = niv < death
    params = {
        "OS": ("Overall Survival (Days)", death, np.full(len(subj), "DEATH", dtype=object)),
        "DTNIV": (
            "Time to Death, Tracheostomy or Permanent NIV (Days)",
            np.minimum(death, niv),
            np.where(niv_first, subj["niv_kind"].to_numpy(), "DEATH").astype(object),
        ),
    }
    censor_desc = np.where(fup < FOLLOW_UP_DAYS, "LAST KNOWN ALIVE", "END OF FOLLOW-UP (DAY 640)")
    blocks = []
    for code, (label, day, what) in params.items():
        event = day <= fup
        blocks.append(
            subj.assign(
                PARAMCD=code,
                PARAM=label,
                AVAL=np.where(event, day, fup).astype(float),
                CNSR=(~event).astype(np.int64),
                STARTDT=subj["RANDDT"],
                ADT=_dates(subj["RANDDT"], np.where(event, day, fup)),
                EVNTDESC=np.where(event, what, _MISSING),
                CNSDTDSC=np.where(event, _MISSING, censor_desc.astype(object)),
                TRTP=subj["TRT01P"],
                TRTPN=subj["TRT01PN"],
            )
        )
    return _sorted(pd.concat(blocks, ignore_index=True), ["USUBJID", "PARAMCD"])


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------- visits


def _visit_days(rng: np.random.Generator, n: int, months: np.ndarray) -> np.ndarray:
    """Study days of scheduled visits (n x visits): baseline on day 1, then the nominal month
    within +/- 3 days, never past the day-640 end of follow-up."""
    nominal = 1 + np.round(_MONTH * months).astype(np.int64)
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
        "ADT": _dates(subj["RANDDT"].to_numpy()[rows], day[rows, cols]),
        "AVAL": aval,
        "BASE": base,
        "CHG": np.where(cols == 0, np.nan, aval - base),
        "ABLFL": _yn(cols == 0, None),
        "TRTP": columns["TRT01P"],
        "TRTPN": columns["TRT01PN"],
    }


def _adqs(rng: np.random.Generator, subj: pd.DataFrame) -> pd.DataFrame:
    """Monthly ALSFRS-R to month 21 while alive and on study, ~4% of visits missed. Each domain
    declines linearly at the subject's rate times its share, with +/-1 point of rater noise;
    integer, 0-12 per domain, so the total (their sum) stays within 0-48."""
    n = len(subj)
    months = np.arange(22)
    day = _visit_days(rng, n, months)
    keep = (day <= subj["last_day"].to_numpy()[:, None]) & (rng.random(day.shape) >= 0.04)
    keep[:, 0] = True
    elapsed = (day - 1) / _MONTH
    rate = subj["slope"].to_numpy()[:, None]
    values = {}
    for code in _DOMAINS:
        base = subj[f"base_{code}"].to_numpy()[:, None]
        share = subj[f"share_{code}"].to_numpy()[:, None]
        noise = rng.normal(0, 0.45, day.shape) * (months > 0)
        values[code] = np.clip(np.round(base - rate * share * elapsed + noise), 0, 12)
    values["ALSFRST"] = sum(values[c] for c in _DOMAINS)
    columns = _long(subj, keep, day, months, values)
    columns["PARAM"] = pd.Series(columns["PARAMCD"]).map(_QS_PARAMS).to_numpy()
    return pd.DataFrame(columns)


def _adlb(rng: np.random.Generator, subj: pd.DataFrame) -> pd.DataFrame:
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
        log = log + rng.normal(0, p.within, day.shape) + p.drift * (day - 1) / _MONTH
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


# ---------------------------------------------------------------------------- ADAE, ADEX


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
    counts = rng.poisson(rate.T[subj["arm"].to_numpy()] * window / _MONTH)
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


def _adae(rng: np.random.Generator, subj: pd.DataFrame) -> pd.DataFrame:
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
            AESER=_yn(ev["serious"]),
            AEREL=np.where(ev["related"], "RELATED", "NOT RELATED").astype(object),
            AEOUT=ev["outcome"].astype(object),
            ASTDT=_dates(randdt, ev["start"]),
            AENDT=_dates(randdt, ev["end"]),
            ASTDY=ev["start"].astype(np.int64),
            TRTEMFL="Y",
            TRTA=subj["TRT01A"].to_numpy()[rows],
            TRTAN=subj["TRT01AN"].to_numpy()[rows].astype(np.int64),
        )
    )


def _adex(subj: pd.DataFrame) -> pd.DataFrame:
    """Cycles received, total IL-2 dose and compliance (cycles received among those scheduled
    up to the last one given), safety population."""
    subj = subj[subj["treated"]].reset_index(drop=True)
    cycles = subj["ncycles"].to_numpy().astype(float)
    params = {
        "COMPL": ("Compliance (%)", np.round(subj["compliance"].to_numpy(), 1)),
        "NCYCLES": ("Number of Treatment Cycles Received", cycles),
        "TOTDOSE": (
            "Total Dose of IL-2 (MIU)",
            cycles * INJECTIONS_PER_CYCLE * DOSE_MIU * subj["arm"].to_numpy(),
        ),
    }
    blocks = [
        subj.assign(PARAMCD=code, PARAM=label, AVAL=aval, TRTP=subj["TRT01A"], TRTPN=subj["arm"])
        for code, (label, aval) in params.items()
    ]
    return _sorted(pd.concat(blocks, ignore_index=True), ["USUBJID", "PARAMCD"])


# ---------------------------------------------------------------------------- metadata

DATASET_LABELS: dict[str, str] = {
    "adsl": "Subject-Level Analysis Dataset",
    "adtte": "Time-to-Event Analysis Dataset",
    "adqs": "ALSFRS-R Analysis Dataset",
    "adae": "Adverse Events Analysis Dataset",
    "adlb": "Laboratory Analysis Dataset",
    "adex": "Exposure Analysis Dataset",
}

# One label per variable name, as ADaM uses the same label wherever a variable recurs.
_LABELS = {
    "STUDYID": "Study Identifier", "USUBJID": "Unique Subject Identifier",
    "SUBJID": "Subject Identifier for the Study", "SITEID": "Study Site Identifier",
    "COUNTRY": "Country", "AGE": "Age", "AGEU": "Age Units", "AGEGR1": "Pooled Age Group 1",
    "AGEGR1N": "Pooled Age Group 1 (N)", "SEX": "Sex", "RACE": "Race", "ETHNIC": "Ethnicity",
    "ARM": "Description of Planned Arm", "TRT01P": "Planned Treatment for Period 01",
    "TRT01PN": "Planned Treatment for Period 01 (N)", "TRT01A": "Actual Treatment for Period 01",
    "TRT01AN": "Actual Treatment for Period 01 (N)", "RANDDT": "Date of Randomization",
    "TRTSDT": "Date of First Exposure to Treatment", "TRTEDT": "Date of Last Exposure to Treatment",
    "ITTFL": "Intent-To-Treat Population Flag", "SAFFL": "Safety Population Flag",
    "EFFFL": "Efficacy Population Flag", "ONSET": "Site of Onset (Stratum)",
    "DIAGCAT": "El Escorial Diagnostic Category", "DURDIS": "Duration of Disease (Months)",
    "ALSFRSBL": "Baseline ALSFRS-R Total Score", "SVCBL": "Baseline Slow Vital Capacity (% Pred)",
    "RILUFL": "Riluzole Treatment Flag", "PNFHBL": "Baseline CSF pNFH (pg/mL)",
    "PNFHGR1": "Baseline CSF pNFH Group 1", "PNFHGR1N": "Baseline CSF pNFH Group 1 (N)",
    "EOSSTT": "End of Study Status", "DCSREAS": "Reason for Discontinuation from Study",
    "DTHFL": "Subject Death Flag", "DTHDT": "Date of Death", "LSTALVDT": "Date Last Known Alive",
    "PARAMCD": "Parameter Code", "PARAM": "Parameter", "PARCAT1": "Parameter Category 1",
    "AVAL": "Analysis Value", "CNSR": "Censor", "STARTDT": "Time-to-Event Origin Date",
    "ADT": "Analysis Date", "EVNTDESC": "Event or Censoring Description",
    "CNSDTDSC": "Censor Date Description", "TRTP": "Planned Treatment",
    "TRTPN": "Planned Treatment (N)", "TRTA": "Actual Treatment", "TRTAN": "Actual Treatment (N)",
    "AVISIT": "Analysis Visit",
    "AVISITN": "Analysis Visit (N)", "ADY": "Analysis Relative Day", "BASE": "Baseline Value",
    "CHG": "Change from Baseline", "ABLFL": "Baseline Record Flag",
    "ANRLO": "Analysis Normal Range Lower Limit", "ANRHI": "Analysis Normal Range Upper Limit",
    "ANRIND": "Analysis Reference Range Indicator", "AESEQ": "Sequence Number",
    "AETERM": "Reported Term for the Adverse Event", "AEDECOD": "Dictionary-Derived Term",
    "AEBODSYS": "Body System or Organ Class", "AESEV": "Severity/Intensity",
    "AESER": "Serious Event", "AEREL": "Causality", "AEOUT": "Outcome of Adverse Event",
    "ASTDT": "Analysis Start Date", "AENDT": "Analysis End Date",
    "ASTDY": "Analysis Start Relative Day",
    "TRTEMFL": "Treatment Emergent Analysis Flag",
}  # fmt: skip

# Variables of each dataset, in order.
_COLUMNS = {
    "adsl": """STUDYID USUBJID SUBJID SITEID COUNTRY AGE AGEU AGEGR1 AGEGR1N SEX RACE ETHNIC ARM
        TRT01P TRT01PN TRT01A TRT01AN RANDDT TRTSDT TRTEDT ITTFL SAFFL EFFFL ONSET DIAGCAT DURDIS
        ALSFRSBL SVCBL RILUFL PNFHBL PNFHGR1 PNFHGR1N EOSSTT DCSREAS DTHFL DTHDT LSTALVDT""",
    "adtte": """STUDYID USUBJID PARAMCD PARAM AVAL CNSR STARTDT ADT EVNTDESC CNSDTDSC TRTP TRTPN
        ITTFL COUNTRY ONSET PNFHGR1 AGE""",
    "adqs": """STUDYID USUBJID PARAMCD PARAM AVISIT AVISITN ADT ADY AVAL BASE CHG ABLFL TRTP TRTPN
        ITTFL PNFHGR1""",
    "adae": """STUDYID USUBJID AESEQ AETERM AEDECOD AEBODSYS AESEV AESER AEREL AEOUT ASTDT AENDT
        ASTDY TRTEMFL TRTA TRTAN SAFFL""",
    "adlb": """STUDYID USUBJID PARAMCD PARAM PARCAT1 AVISIT AVISITN ADT AVAL BASE CHG ANRLO ANRHI
        ANRIND ABLFL TRTP TRTPN SAFFL""",
    "adex": "STUDYID USUBJID PARAMCD PARAM AVAL TRTP TRTPN SAFFL",
}

VARIABLE_LABELS: dict[str, dict[str, str]] = {
    name: {var: _LABELS[var] for var in columns.split()} for name, columns in _COLUMNS.items()
}
