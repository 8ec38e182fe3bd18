"""The catalogue: `submission-kit list --available` and `submission-kit add`, run as a user
runs them (cli.main in-process; one run through the console entry point)."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from submission_kit import catalogue
from submission_kit.catalogue import (
    append_block,
    example_block,
    example_problem,
    load_catalogue,
    read_columns,
    resolve,
    statuses,
)
from submission_kit.cli import DEMO_STUDY, main
from submission_kit.data.io import read_dataset, write_dataset
from submission_kit.errors import UserError
from submission_kit.locations import BUNDLED
from submission_kit.study import load_study

PILOT = Path(__file__).resolve().parents[1] / "examples" / "cdiscpilot01" / "study.toml"
OUTPUT_BLOCK = re.compile(r"\[\[?(tables|figures|documents)\.")  # [[tables."8.1".sources]] too


def streams(args, capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def drop_blocks(path: Path, header: re.Pattern[str]) -> None:
    """Remove each block whose header line matches, up to the next header line."""
    kept, skipping = [], False
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("["):
            skipping = bool(header.match(line))
        if not skipping:
            kept.append(line)
    path.write_text("".join(kept), encoding="utf-8")


@pytest.fixture
def study_copy(tmp_path) -> Path:
    """The demo study as `submission-kit init` writes it."""
    assert main(["init", str(tmp_path / "study"), "-q"]) == 0
    return tmp_path / "study"


def by_id(document: dict) -> dict[str, dict]:
    return {item["id"]: item for item in document["available"]}


# --- the example blocks: one text, in the spec, for docs and for `add` ----------------------

def test_every_bundled_spec_and_template_has_an_example_block_for_itself():
    entries = load_catalogue()
    files = sorted([*(BUNDLED / "tables").glob("t_*.py"), *(BUNDLED / "figures").glob("f_*.py"),
                    *(p for p in (BUNDLED / "templates").glob("*.md.j2")
                      if not p.name.startswith("_")),
                    *(BUNDLED / "templates").glob("*/document.md.j2")])
    assert sorted(e.source for e in entries) == files
    problems = [example_problem(e) for e in entries if example_problem(e)]
    assert problems == []
    for entry in entries:
        if entry.kind != "document":  # the key the block configures is the file's number
            number = ".".join(p for p in entry.source.stem.split("_")[1:] if p.isdigit())
            assert entry.key == number, entry.source_name
            assert entry.id == f"{entry.kind[0]}-{number.replace('.', '-')}"
        source = entry.source.read_text(encoding="utf-8")
        assert all(line in source for line in entry.example.splitlines())  # the same text


def test_example_block_is_the_indented_block_under_study_toml():
    doc = '''Table 9.9 — something.

study.toml (defaults shown; a note that
wraps):
    [tables."9.9"]
    population = "ITT"          # a comment stays
    columns = [
      { var = "USUBJID" },
    ]
Prose after the block is not part of it.
    [tables."9.8"]
'''
    assert example_block(doc) == ('[tables."9.9"]\npopulation = "ITT"          # a comment stays\n'
                                  'columns = [\n  { var = "USUBJID" },\n]\n')
    assert example_block("No example here.\n    [tables.\"1\"]\n") == ""


def test_resolve_takes_the_names_users_type():
    entries = load_catalogue()
    demographics = resolve("t-14-1-3", entries)
    for name in ("t_14_1_3", "t_14_1_3_demographics", "T-14-1-3", "14.1.3",
                 "t_14_1_3_demographics.py"):
        assert resolve(name, entries) is demographics
    assert resolve("fda-meeting-package/document.md.j2", entries).id == "fda-meeting-package"
    assert resolve("14.3.1", entries).id == "f-14-3-1"  # only a figure has that number
    with pytest.raises(UserError, match=r"'14\.2\.1' names table t-14-2-1 and figure f-14-2-1"):
        resolve("14.2.1", entries)
    with pytest.raises(UserError, match=r"'t-14-3-1-9'.*did you mean t-14-3-1-"):
        resolve("t-14-3-1-9", entries)
    with pytest.raises(UserError, match=r"did you mean t-14-3-1-5\?"):
        resolve("common_teae", entries)


def test_append_block_only_appends_and_keeps_line_endings():
    entry = resolve("t-14-1-3", load_catalogue())
    for text in ('[study]\nid = "X"', '[study]\nid = "X"\n', '[study]\r\nid = "X"\r\n', ""):
        new = append_block(text, entry)
        assert new.startswith(text)
        assert tomllib.loads(new)["tables"]["14.1.3"]["population"] == "ITT"
        newline = "\r\n" if "\r\n" in text else "\n"
        assert new.endswith(entry.example.replace("\n", newline))
        assert ("\r\n" in new) == ("\r\n" in text)
    assert "# Table 14.1.3: Demographic and Baseline Characteristics. Added by" in new
    assert all(len(line) <= 100 for line in new.splitlines())


# --- list --available ------------------------------------------------------------------------

def test_list_available_shows_every_output_what_it_needs_and_what_the_demo_has(capsys):
    code, out, err = streams(["list", "--available"], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    for entry in load_catalogue():
        assert any(line.split()[:1] == [entry.id] for line in lines), entry.id
    row = next(line for line in lines if line.split()[:1] == ["t-14-1-3"]).split()
    assert row[1:3] == ["yes", "14.1.3"]
    assert "needs ADSL: USUBJID TRT01P ITTFL AGE SEX RACE" in out
    tte = next(line for line in lines if line.split()[:1] == ["t-14-2-1"])
    assert "14.2.1, 14.2.4" in tte  # the spec builds two outputs of the demo
    assert "reads table 14.3.1.5" in out  # the AE dot plot draws its table's results
    assert "needs [regulatory] abbreviations, application" in out

    code, out, err = streams(["list", "--available", "--json"], capsys)
    assert code == 0 and err == ""
    document = json.loads(out)
    assert document["command"] == "list" and document["study"]["file"] == str(DEMO_STUDY)
    items = by_id(document)
    assert [e.id for e in load_catalogue()] == list(items)
    demographics = items["t-14-1-3"]
    assert demographics["has_data"] and demographics["configured"] == ["14.1.3"]
    assert demographics["source"] == "tables/t_14_1_3_demographics.py"
    (adsl,) = demographics["datasets"]
    # Independently: every variable it needs is a column of the full ADSL.
    full = read_dataset(Path(adsl["path"]))
    assert adsl["missing"] == [] and set(adsl["variables"]) <= set(full.columns)
    # The demo derives AENDY from AENDT ({ day_of = "AENDT" }); the example block reads it.
    assert items["t-16-2-7"]["problems"] == ["ADAE has no AENDY"]
    assert "AENDY" not in read_dataset(DEMO_STUDY.parent / "data/adae.parquet").columns
    assert items["fda-meeting-package"]["has_data"]


def test_list_available_reads_column_names_only(monkeypatch):
    def no_rows(*args, **kwargs):
        raise AssertionError("read rows")

    monkeypatch.setattr(pd, "read_parquet", no_rows)
    monkeypatch.setattr(pd, "read_csv", no_rows)
    found = statuses(load_study(DEMO_STUDY))
    assert sum(s.has_data for s in found) >= 20


@pytest.mark.parametrize("suffix", ["xpt", "csv", "parquet"])
def test_read_columns_of_each_format(tmp_path, suffix):
    frame = pd.DataFrame({"USUBJID": ["01-001", "01-002"], "AGE": [61.0, 70.0],
                          "TRTSDT": pd.to_datetime(["2020-01-02", "2020-02-03"])})
    path = tmp_path / f"adsl.{suffix}"
    write_dataset(frame, path, {"AGE": "Age"}, "Subject-Level Analysis Dataset")
    assert read_columns(path) == {"USUBJID", "AGE", "TRTSDT"}


def test_list_available_names_what_a_study_lacks(study_copy, capsys):
    adsl = study_copy / "data/adsl.parquet"
    write_dataset(read_dataset(adsl).drop(columns=["ONSET"]), adsl)
    text = (study_copy / "study.toml").read_text(encoding="utf-8")
    text = text.replace('adex = "adex.parquet"', 'adex = "moved/adex.parquet"')
    text = text.replace('adlb = "adlb.parquet"\n', "")
    (study_copy / "study.toml").write_text(text, encoding="utf-8")
    code, out, _ = streams(["list", "--available", "--json", "--study", study_copy], capsys)
    assert code == 0
    items = by_id(json.loads(out))
    assert items["t-14-2-1"]["problems"] == ["ADSL has no ONSET"]
    adsl_check = next(d for d in items["t-14-2-1"]["datasets"] if d["name"] == "adsl")
    assert adsl_check["missing"] == ["ONSET"]
    exposure = items["t-14-1-4"]
    assert not exposure["has_data"] and "moved/adex.parquet not found" in exposure["problems"][0]
    assert items["t-14-2-5"]["problems"][0] == "dataset adlb is not in [data.datasets]"
    assert items["t-14-1-3"]["has_data"]
    code, out, _ = streams(["list", "--available", "--study", study_copy], capsys)
    assert "missing: ADSL has no ONSET" in out


def test_list_available_from_the_console_script():
    done = subprocess.run([sys.executable, "-m", "submission_kit", "list", "--available",
                           "--json", "--study", str(PILOT)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    items = by_id(json.loads(done.stdout))
    assert items["t-14-1-3"]["has_data"] and items["t-14-1-3"]["configured"] == ["14.1.3"]
    assert items["t-14-2-5"]["problems"][0] == "dataset adlb is not in [data.datasets]"
    (problem,) = items["fda-meeting-package"]["problems"]  # the pilot states no [regulatory]
    assert re.fullmatch(r"\[regulatory\] has none of the \d+ facts the template reads", problem)


# --- add -------------------------------------------------------------------------------------

def test_add_a_removed_block_back_and_the_study_validates(study_copy, capsys):
    """A user's round trip: remove a table and its figure, add them back (the figure first,
    so `add` says what is missing), validate."""
    path = study_copy / "study.toml"
    drop_blocks(path, re.compile(r'\[(tables\."14\.3\.1\.5"|figures\."14\.3\.1")\]'))
    before = path.read_bytes()
    code, out, err = streams(["add", "f-14-3-1", "--study", study_copy], capsys)
    assert code == 0, err
    assert 'Added [figures."14.3.1"]' in out and f"validate --study {path}" in out
    assert "table 14.3.1.5 is not configured (submission-kit add t-14-3-1-5)" in err
    code, out, err = streams(["add", "t-14-3-1-5", "--study", path], capsys)
    assert code == 0 and err == ""
    after = path.read_bytes()
    assert after.startswith(before)
    entry = resolve("t-14-3-1-5", load_catalogue())
    assert after.decode().endswith(entry.example)
    assert [p.name for p in study_copy.iterdir() if p.name.startswith(".")] == []
    code, out, err = streams(["validate", "--study", study_copy], capsys)
    assert code == 0, err
    assert "OK:" in out


@pytest.mark.parametrize("study", ["demo", "pilot"])
def test_every_output_whose_data_a_study_has_validates_from_its_example(study, tmp_path):
    """Empty a study of its outputs, add every output the catalogue says it has the data for
    (tables first: a figure needs its table), and validate."""
    path = tmp_path / "study.toml"
    if study == "demo":
        assert main(["init", str(tmp_path / "demo"), "-q"]) == 0
        path = tmp_path / "demo" / "study.toml"
    else:
        path.write_bytes(PILOT.read_bytes())  # data come from an installed package
    drop_blocks(path, OUTPUT_BLOCK)
    assert not load_study(path).outputs
    added: list[str] = []
    while todo := [s.entry.id for s in statuses(load_study(path))
                   if s.has_data and not s.configured]:
        for output in todo:
            assert main(["add", output, "--study", str(path), "-q"]) == 0
        added += todo
    expected = {"demo": {"t-14-1-1", "t-14-1-3", "t-14-1-4", "t-14-2-1", "t-14-2-2",
                         "t-14-2-3", "t-14-3-1-1", "t-14-3-1-5", "t-14-3-4-2", "t-16-2-4",
                         "f-14-2-1", "f-14-2-2", "f-14-2-3", "f-14-3-1",
                         "fda-meeting-package"},
                "pilot": {"t-14-1-1", "t-14-1-2", "t-14-1-3", "t-14-2-6", "t-14-3-1-1",
                          "t-14-3-1-2", "t-14-3-1-5", "t-16-2-7", "f-14-3-1"}}[study]
    assert expected <= set(added), expected - set(added)
    assert main(["validate", "--study", str(path), "-q"]) == 0


def add_refused(args, capsys, path: Path) -> str:
    before = path.read_bytes() if path.is_file() else None
    code, out, err = streams(["add", *args], capsys)
    assert code == 2 and out == "" and "Traceback" not in err
    assert (path.read_bytes() if path.is_file() else None) == before
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".study.toml")]
    return err


def test_add_refuses_an_unknown_id_with_a_suggestion(study_copy, capsys):
    err = add_refused(["t-14-3-1-9", "--study", study_copy], capsys, study_copy / "study.toml")
    assert "'t-14-3-1-9': no such output" in err and "did you mean t-14-3-1-" in err


def test_add_refuses_an_output_the_study_configures(study_copy, capsys):
    err = add_refused(["14.1.3", "--study", study_copy], capsys, study_copy / "study.toml")
    assert 'error: t-14-1-3: ' in err and 'already configures [tables."14.1.3"]' in err
    err = add_refused(["fda-meeting-package", "--study", study_copy], capsys,
                      study_copy / "study.toml")
    assert "already configures [documents.fda-meeting-package]" in err


def test_add_refuses_when_the_result_would_not_parse(study_copy, capsys):
    """Tables written as one inline table cannot be extended by a [tables."..."] header."""
    path = study_copy / "study.toml"
    drop_blocks(path, re.compile(r"\[\[?tables\."))  # [[tables."8.1".sources]] too
    text = path.read_text(encoding="utf-8")
    path.write_text('tables = { "14.1.2" = { population = "ITT" } }\n' + text, encoding="utf-8")
    assert load_study(path).outputs[0].id == "14.1.2"
    err = add_refused(["t-14-1-3", "--study", path], capsys, path)
    assert f'error: t-14-1-3: appending [tables."14.1.3"] would leave {path} unparsable' in err
    assert "nothing was written" in err


def test_add_refuses_a_study_file_that_does_not_parse_or_is_the_bundled_demo(
        study_copy, capsys, tmp_path, monkeypatch):
    path = study_copy / "study.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[tables.\n", encoding="utf-8")
    err = add_refused(["t-14-1-3", "--study", path], capsys, path)
    assert "not valid TOML" in err and "fix it before adding t-14-1-3" in err
    err = add_refused(["t-14-1-3", "--study", DEMO_STUDY.parent], capsys, DEMO_STUDY)
    assert "bundled demo study" in err and "submission-kit init DIR" in err
    monkeypatch.chdir(tmp_path)  # no --study and no ./study.toml
    err = add_refused(["t-14-1-3"], capsys, tmp_path / "study.toml")
    assert "no study.toml in the current folder" in err


def test_add_defaults_to_the_study_toml_of_the_current_folder(study_copy, capsys, monkeypatch):
    drop_blocks(study_copy / "study.toml", re.compile(r'\[documents\.fda-meeting-package\]'))
    monkeypatch.chdir(study_copy)
    code, _, err = streams(["add", "fda-meeting-package"], capsys)
    assert code == 0 and err == ""
    documents = tomllib.loads((study_copy / "study.toml").read_text())["documents"]
    assert documents["fda-meeting-package"] == {
        "template": "fda-meeting-package/document.md.j2", "title": "Type B Meeting Package",
        "subtitle": "End-of-Phase 2 Meeting", "formats": ["docx", "pdf"]}


def test_add_keeps_the_file_mode_and_writes_through_a_rename(study_copy, capsys, monkeypatch):
    path = study_copy / "study.toml"
    drop_blocks(path, re.compile(r'\[tables\."16\.2\.4"\]'))
    path.chmod(0o640)
    renames = []
    real_replace = catalogue.os.replace
    monkeypatch.setattr(catalogue.os, "replace",
                        lambda a, b: (renames.append((Path(a).name, Path(b))), real_replace(a, b)))
    code, _, err = streams(["add", "t-16-2-4", "--study", path], capsys)
    assert code == 0, err
    assert renames == [(f".study.toml.add-{catalogue.os.getpid()}", path)]
    assert path.stat().st_mode & 0o777 == 0o640
