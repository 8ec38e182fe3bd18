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

Layout: this module holds the public API and the subject-level simulation (enrolment, baseline,
outcomes, exposure; ADSL, ADTTE, ADEX); `demo_records` the visit- and record-level datasets
(ADQS, ADLB, ADAE) and their catalogues; `demo_design` the design constants and helpers both
share; `demo_labels` the dataset and variable labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from submission_kit.data.demo_design import (
    ARMS,
    CYCLE_DAYS,
    CYCLES,
    DOMAINS,
    DOSE_MIU,
    FOLLOW_UP_DAYS,
    INJECTIONS_PER_CYCLE,
    MONTH,
    PNFH_CUTOFF,
    PNFH_GROUPS,
    STUDYID,
    study_dates,
    yn,
)
from submission_kit.data.demo_labels import DATASET_LABELS, VARIABLE_LABELS
from submission_kit.data.demo_records import simulate_adae, simulate_adlb, simulate_adqs
from submission_kit.errors import UserError

__all__ = [
    "ARMS",
    "CYCLES",
    "CYCLE_DAYS",
    "DATASET_LABELS",
    "DOSE_MIU",
    "FOLLOW_UP_DAYS",
    "INJECTIONS_PER_CYCLE",
    "PNFH_CUTOFF",
    "PNFH_GROUPS",
    "STUDYID",
    "VARIABLE_LABELS",
    "simulate_study",
]

_STREAMS = ("subjects", "outcomes", "exposure", "adqs", "adae", "adlb")
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

# Each onset's share of the ALSFRS-R loss by domain (in the order of DOMAINS).
_DOMAIN_SHARE = {"Bulbar": (0.45, 0.17, 0.23, 0.15), "Limb": (0.12, 0.36, 0.40, 0.12)}

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
    adqs = simulate_adqs(rng["adqs"], subj)
    # Efficacy population: treated, with at least one post-baseline ALSFRS-R.
    post = subj["USUBJID"].isin(adqs.loc[adqs["AVISITN"] > 0, "USUBJID"]).to_numpy()
    subj["EFFFL"] = yn(subj["treated"].to_numpy() & post)
    data = {
        "adsl": subj,
        "adtte": _adtte(subj),
        "adqs": adqs,
        "adae": simulate_adae(rng["adae"], subj),
        "adlb": simulate_adlb(rng["adlb"], subj),
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
    run_in = rng.uniform(12, 18, n) * 7 / MONTH  # weeks of riluzole before randomisation
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
    for j, code in enumerate(DOMAINS):
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
        TRTSDT=study_dates(subj["RANDDT"], np.where(treated, 1, np.nan)),
        TRTEDT=study_dates(subj["RANDDT"], subj["trt_end_day"].to_numpy()),
        ITTFL="Y",
        SAFFL=yn(treated),
        RILUFL="Y",
        PNFHGR1=np.array(PNFH_GROUPS, dtype=object)[subj["high"].to_numpy().astype(int)],
        PNFHGR1N=subj["high"].to_numpy().astype(np.int64) + 1,
        EOSSTT=np.where(pd.isna(reason), "COMPLETED", "DISCONTINUED").astype(object),
        DCSREAS=reason,
        DTHFL=yn(died, None),
        DTHDT=study_dates(subj["RANDDT"], np.where(died, subj["death_day"], np.nan)),
        LSTALVDT=study_dates(subj["RANDDT"], np.where(died, subj["death_day"], subj["last_day"])),
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
                ADT=study_dates(subj["RANDDT"], np.where(event, day, fup)),
                EVNTDESC=np.where(event, what, _MISSING),
                CNSDTDSC=np.where(event, _MISSING, censor_desc.astype(object)),
                TRTP=subj["TRT01P"],
                TRTPN=subj["TRT01PN"],
            )
        )
    return _sorted(pd.concat(blocks, ignore_index=True), ["USUBJID", "PARAMCD"])


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------- ADEX


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
