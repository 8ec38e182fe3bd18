"""Prevalence against an orphan-designation threshold (analysis.prevalence, spec t_8_1).

Every expected number is hand arithmetic written out in the test, on the published figures the
demo configures: the National ALS Registry's 2018 US prevalence (Mehta et al. 2023: 9.1 per
100,000 after capture-recapture; 21,655 cases identified in a 2018 population of 327,167,434)
and the US Census Bureau's 1 July 2022 estimate of 333,287,557; for the EU, 1 in 10,000
(COMP, EU/3/20/2256) and 5.4 per 100,000 (Chiò et al. 2013) in 447.2 million persons.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from submission_kit.analysis.prevalence import (
    ReferencePopulation,
    Source,
    Threshold,
    estimate,
    prevalence_records,
    read_prevalence,
)
from submission_kit.cli import main
from submission_kit.errors import UserError

US = ReferencePopulation("US resident population, 1 July 2022", 333_287_557, "Census")
EU = ReferencePopulation("EU population, 1 January 2021", 447_200_000, "Eurostat")
ADJUSTED = Source("Registry 2018, adjusted", "Mehta 2023", rate=9.1, per=100_000)
IDENTIFIED = Source("Registry 2018, identified", "Mehta 2023", cases=21_655, base=327_167_434)
FEWER_THAN_200000 = Threshold(persons=200_000)
AT_MOST_5_IN_10000 = Threshold(rate=5, per=10_000, inclusive=True)


def error(key: str, problem: str) -> UserError:
    return UserError(f"study.toml: [tables.\"8.1\"] {key}: {problem}")


def records(sources: list[Source], population: ReferencePopulation, threshold: Threshold,
            per: float) -> dict[str, Any]:
    return {s.key: s.value for s in prevalence_records("t_8_1", sources, population,
                                                       threshold, per)}


def test_us_estimate_by_hand() -> None:
    r = records([ADJUSTED, IDENTIFIED], US, FEWER_THAN_200000, 100_000)
    # 9.1 per 100,000 of 333,287,557: 9.1 x 3,332.87557 = 30,329.167687
    assert r["source.1.persons"] == pytest.approx(30_329.167687, abs=1e-6)
    assert r["source.1.rate"] == pytest.approx(9.1)
    # 21,655 counted in 327,167,434 persons: 6.61893... per 100,000 (the Registry's 6.6), or
    # 21,655 x 333,287,557 / 327,167,434 = 21,655 x 1.018706... = 22,060.08 in 2022.
    assert r["source.2.rate"] == pytest.approx(2_165_500_000 / 327_167_434)
    assert r["source.2.rate"] == pytest.approx(6.6189, abs=1e-4)
    assert r["source.2.persons"] == pytest.approx(22_060.08, abs=0.01)
    assert r["source.2.cases"] == 21_655 and r["source.2.base"] == 327_167_434
    # The estimate is the higher one, source 1; 30,329.17 / 200,000 = 15.16%.
    assert r["estimate.source"] == 1
    assert r["estimate.persons"] == r["source.1.persons"]
    assert r["estimate.pct_of_threshold"] == pytest.approx(15.164584, abs=1e-6)
    assert r["source.2.pct_of_threshold"] == pytest.approx(11.030, abs=1e-3)
    # 200,000 persons in 333,287,557 = 60.008 per 100,000.
    assert r["threshold.persons"] == 200_000
    assert r["threshold.rate"] == pytest.approx(60.0083, abs=1e-4)
    assert r["estimate.below_threshold"] == 1
    assert r["population.persons"] == 333_287_557


def test_eu_estimate_per_10000_by_hand() -> None:
    chio = Source("Europe, systematic review", "Chiò 2013", rate=5.4, per=100_000)
    comp = Source("COMP 2020", "EU/3/20/2256", rate=1, per=10_000)
    r = records([chio, comp], EU, AT_MOST_5_IN_10000, 10_000)
    # 5.4 per 100,000 = 0.54 per 10,000; x 447.2 million = 24,148.8 persons.
    assert r["source.1.rate"] == pytest.approx(0.54)
    assert r["source.1.persons"] == pytest.approx(24_148.8)
    # 1 per 10,000 of 447,200,000 = 44,720 persons: the estimate.
    assert r["estimate.rate"] == pytest.approx(1.0)
    assert r["estimate.persons"] == pytest.approx(44_720)
    assert r["estimate.source"] == 2
    # 5 in 10,000 of 447,200,000 = 223,600 persons; 44,720 / 223,600 = 20%.
    assert r["threshold.persons"] == pytest.approx(223_600)
    assert r["threshold.rate"] == pytest.approx(5.0)
    assert r["estimate.pct_of_threshold"] == pytest.approx(20.0)
    assert r["estimate.below_threshold"] == 1


def test_a_count_without_base_is_counted_in_the_reference_population() -> None:
    counted = Source("Registry", "ref", cases=30_000)
    r = records([counted], US, FEWER_THAN_200000, 100_000)
    assert r["source.1.persons"] == 30_000
    # 30,000 / 333,287,557 x 100,000 = 9.0012 per 100,000
    assert r["source.1.rate"] == pytest.approx(9.00124, abs=1e-5)
    assert "source.1.base" not in r


def test_the_threshold_rule_fewer_than_or_at_most() -> None:
    """US: fewer than 200,000 (a count of exactly 200,000 fails); EU: not more than 5 in
    10,000 (exactly 5 in 10,000 passes)."""
    exactly = Source("edge", "ref", cases=200_000)
    assert not estimate([exactly], US, FEWER_THAN_200000, 100_000).below(FEWER_THAN_200000)
    five = Source("edge", "ref", rate=5, per=10_000)
    assert estimate([five], EU, AT_MOST_5_IN_10000, 10_000).below(AT_MOST_5_IN_10000)
    above = Source("edge", "ref", rate=5.01, per=10_000)
    r = records([above], EU, AT_MOST_5_IN_10000, 10_000)
    assert r["estimate.below_threshold"] == 0
    assert r["estimate.pct_of_threshold"] == pytest.approx(100.2)


def test_equal_estimates_keep_the_first_source() -> None:
    a = Source("a", "ref", rate=1, per=10_000)
    b = Source("b", "ref", rate=10, per=100_000)
    assert estimate([a, b], EU, AT_MOST_5_IN_10000, 10_000).highest == 0


def test_every_record_is_finite_and_keyed_once() -> None:
    stats = prevalence_records("t_8_1", [ADJUSTED, IDENTIFIED], US, FEWER_THAN_200000, 100_000)
    keys = [s.key for s in stats]
    assert len(keys) == len(set(keys))
    assert all(isinstance(s.value, int | float) and math.isfinite(s.value) for s in stats)
    assert all(s.analysis == "t_8_1" for s in stats)


# ---- configuration ---------------------------------------------------------------------------

GOOD: Mapping[str, Any] = {
    "per": 100_000,
    "reference_population": {"label": "US", "persons": 333_287_557, "citation": "Census"},
    "threshold": {"persons": 200_000, "label": "fewer than 200,000 persons"},
    "sources": ({"label": "Registry", "citation": "Mehta 2023", "rate": 9.1},
                {"label": "Registry count", "citation": "Mehta 2023", "cases": 21_655,
                 "base": 327_167_434}),
}


def with_(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


def test_good_configuration_reads() -> None:
    sources, population, threshold, per = read_prevalence(GOOD, error)
    assert [s.rate for s in sources] == [9.1, None] and sources[1].cases == 21_655
    assert sources[0].per == 100_000  # the table's unit, when the source gives none
    assert population.persons == 333_287_557 and threshold.persons == 200_000
    assert per == 100_000 and not threshold.inclusive


@pytest.mark.parametrize(("params", "key", "problem"), [
    ({k: v for k, v in GOOD.items() if k != "reference_population"},
     "reference_population", "missing"),
    (with_(reference_population={"label": "US", "citation": "Census"}),
     "reference_population.persons", "expected a number"),
    (with_(reference_population={"label": "US", "persons": 0, "citation": "Census"}),
     "reference_population.persons", "above 0"),
    (with_(sources=({"label": "R", "citation": "c", "rate": -9.1},)), "sources[0].rate",
     "negative"),
    (with_(sources=({"label": "R", "citation": "c", "cases": -1},)), "sources[0].cases",
     "negative"),
    (with_(sources=({"label": "R", "citation": "c", "rate": "9.1"},)), "sources[0].rate",
     "expected a number"),
    (with_(sources=({"label": "R", "citation": "c", "rate": 9.1, "measure": "incidence"},)),
     "sources[0].measure", "not incidence"),
    (with_(sources=({"label": "R", "citation": "c", "rate": 9.1, "cases": 10},)),
     "sources[0]", "either rate"),
    (with_(sources=({"label": "R", "citation": "c", "rate": 9.1, "base": 10},)),
     "sources[0].base", "goes with cases"),
    (with_(sources=({"label": "R", "rate": 9.1},)), "sources[0].citation", "missing"),
    (with_(sources=({"label": "R", "citation": "c", "rat": 9.1},)), "sources[0].rat",
     "unknown key"),
    (with_(sources=()), "sources", "missing"),
    ({k: v for k, v in GOOD.items() if k != "threshold"}, "threshold", "missing"),
    (with_(threshold={"persons": 200_000, "rate": 5}), "threshold", "not both"),
    (with_(threshold={"rate": 5, "inclusive": "yes"}), "threshold.inclusive", "true or false"),
    (with_(per=-10), "per", "above 0"),
])
def test_bad_configuration_names_the_key(params: Mapping[str, Any], key: str,
                                         problem: str) -> None:
    with pytest.raises(UserError) as caught:
        read_prevalence(params, error)
    assert f'[tables."8.1"] {key}: ' in caught.value.message
    assert problem in caught.value.message


def test_cli_refuses_a_missing_population_before_reading_data(tmp_path: Path,
                                                             small_study: Path,
                                                             capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    """Exit 2 with the study file and key, no traceback; checked before any analysis runs."""
    text = (small_study / "study.toml").read_text(encoding="utf-8")
    text = text.replace('dir = "data"', f'dir = "{small_study / "data"}"')
    text += ('\n[tables."8.1"]\nper = 100000\n[tables."8.1".threshold]\npersons = 200000\n'
             '[[tables."8.1".sources]]\nlabel = "Registry"\nrate = -9.1\ncitation = "ref"\n')
    study = tmp_path / "study.toml"
    study.write_text(text, encoding="utf-8")
    (tmp_path / "templates").symlink_to(small_study / "templates")
    code = main(["build", "--study", str(study), "--out", str(tmp_path / "out"), "--only",
                 "8.1", "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert f'{study}: [tables."8.1"] reference_population: missing' in " ".join(err.split())
    assert "Traceback" not in err


def test_the_table_prints_as_a_mock_shell(tmp_path: Path, small_study: Path) -> None:
    """`build --mock`: the layout places every row from the configuration, numbers as shapes."""
    import json

    text = (small_study / "study.toml").read_text(encoding="utf-8")
    text = text.replace('dir = "data"', f'dir = "{small_study / "data"}"')
    text += ('\n[tables."8.1"]\nper = 100000\n'
             '[tables."8.1".reference_population]\nlabel = "US"\npersons = 333287557\n'
             'citation = "Census"\n'
             '[tables."8.1".threshold]\npersons = 200000\nlabel = "fewer than 200,000"\n'
             '[[tables."8.1".sources]]\nlabel = "Registry"\nrate = 9.1\ncitation = "Mehta"\n')
    study = tmp_path / "study.toml"
    study.write_text(text, encoding="utf-8")
    (tmp_path / "templates").symlink_to(small_study / "templates")
    assert main(["build", "--study", str(study), "--out", str(tmp_path / "out"), "--mock",
                 "--only", "8.1", "-q"]) == 0
    model = json.loads((tmp_path / "out/records/tables/t-8-1.json").read_text(encoding="utf-8"))
    assert [r["label"] for r in model["rows"]] == [
        "Registry [1]", "Estimate: the highest source", "Threshold: fewer than 200,000"]
    assert [c["key"] for c in model["columns"]] == ["rate", "population", "persons", "share"]
    assert model["rows"][0]["cells"] == ["xx.x", "xx.x", "xx,xxx", "xx.x"]  # persons grouped
