"""The command line: exit codes, messages that name the problem, no tracebacks."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from submission_kit.cli import DEMO_STUDY, main
from submission_kit.data.io import read_dataset, write_dataset

PILOT = Path(__file__).resolve().parents[1] / "examples" / "cdiscpilot01" / "study.toml"


@pytest.fixture
def study_copy(tmp_path) -> Path:
    """An editable copy of the demo study, as `init` writes it."""
    target = tmp_path / "study"
    assert main(["init", str(target)]) == 0
    return target


def run(args, capsys) -> tuple[int, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_init_writes_a_study_that_builds(study_copy, capsys, tmp_path):
    assert sorted(p.name for p in study_copy.iterdir()) == ["data", "study.toml", "templates"]
    assert sorted(p.name for p in (study_copy / "templates").iterdir()) == [
        "_macros.md.j2", "fda-meeting-package.md.j2"]
    code, text = run(["build", "--study", str(study_copy / "study.toml"), "--out",
                      str(tmp_path / "out"), "--format", "pdf"], capsys)
    assert code == 0, text
    assert (tmp_path / "out/documents/fda-meeting-package.pdf").is_file()
    assert not (tmp_path / "out/documents/fda-meeting-package.docx").exists()


def test_init_refuses_a_non_empty_folder(tmp_path, capsys):
    (tmp_path / "x.txt").write_text("keep me")
    code, text = run(["init", str(tmp_path)], capsys)
    assert code == 2
    assert "not empty" in text and "Traceback" not in text
    assert (tmp_path / "x.txt").read_text() == "keep me"


def test_bad_data_exits_2_naming_file_dataset_variable_and_rows(study_copy, capsys, tmp_path):
    path = study_copy / "data/adtte.parquet"
    frame = read_dataset(path)
    frame.loc[3, "CNSR"] = 2.0
    write_dataset(frame, path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "previous.txt").write_text("previous build")
    (out / "manifest.json").write_text(
        '{"tool": {"name": "submission-kit"}, "outputs": [{"path": "previous.txt"}]}')
    code, text = run(["build", "--study", str(study_copy / "study.toml"), "--out", str(out)],
                     capsys)
    assert code == 2
    assert str(path) in text and "ADTTE" in text and "CNSR" in text and "row 4: 2.0" in text
    assert "Traceback" not in text
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "previous.txt"]


def test_missing_variable_names_the_output_that_needs_it(study_copy, capsys):
    path = study_copy / "data/adsl.parquet"
    write_dataset(read_dataset(path).drop(columns="ONSET"), path)
    code, text = run(["validate", "--study", str(study_copy / "study.toml")], capsys)
    assert code == 2
    assert "variable ONSET is missing" in text and "table 14.1.3" in text


def test_template_error_names_template_and_line(study_copy, capsys, tmp_path):
    template = study_copy / "templates/fda-meeting-package.md.j2"
    lines = template.read_text().splitlines()
    lines.insert(10, "{{ results.t_14_2_1.cox.unadjusted.IL2.hazard | num(2) }}")
    template.write_text("\n".join(lines) + "\n")
    code, text = run(["build", "--study", str(study_copy / "study.toml"), "--out",
                      str(tmp_path / "out")], capsys)
    assert code == 2
    assert "fda-meeting-package.md.j2 line 11" in text and "hazard" in text
    assert "Traceback" not in text


def test_number_without_a_format_is_refused(study_copy, capsys):
    template = study_copy / "templates/fda-meeting-package.md.j2"
    raw_number = "\nHR {{ results.t_14_2_1.cox.unadjusted.IL2.hr }}\n"
    template.write_text(template.read_text() + raw_number)
    code, text = run(["validate", "--study", str(study_copy / "study.toml")], capsys)
    assert code == 2
    assert "printed without a format" in text


def test_config_error_exits_2(tmp_path, capsys):
    bad = tmp_path / "study.toml"
    bad.write_text(DEMO_STUDY.read_text().replace('variable = "TRT01P"', 'variable = 3'))
    code, text = run(["list", "--study", str(bad)], capsys)
    assert code == 2
    assert "treatment.variable: expected str" in text


def test_unknown_only_id_exits_2(capsys, tmp_path):
    code, text = run(["build", "--out", str(tmp_path / "o"), "--only", "14.9.9"], capsys)
    assert code == 2 and "--only '14.9.9'" in text


def test_unknown_format_exits_2(capsys, tmp_path):
    code, text = run(["build", "--out", str(tmp_path / "o"), "--format", "rtf"], capsys)
    assert code == 2 and "rtf" in text


def test_list_and_validate_the_cdisc_pilot(capsys):
    code, text = run(["list", "--study", str(PILOT)], capsys)
    assert code == 0
    assert "14.1.3" in text and "t_14_1_3_demographics.py" in text
    code, text = run(["validate", "--study", str(PILOT)], capsys)
    assert code == 0 and "OK" in text


@pytest.mark.parametrize("fmt", ["xpt", "csv", "parquet"])
def test_demo_data_writes_readable_datasets(tmp_path, capsys, fmt):
    code, _ = run(["demo-data", str(tmp_path), "--subjects", "40", "--seed", "3", "--format",
                   fmt], capsys)
    assert code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(f"{n}.{fmt}" for n in ("adsl", "adtte", "adqs", "adae", "adlb",
                                                   "adex"))
    adsl = read_dataset(tmp_path / f"adsl.{fmt}")
    assert len(adsl) == 40 and adsl["USUBJID"].is_unique
    adtte = read_dataset(tmp_path / f"adtte.{fmt}")
    assert set(adtte["CNSR"].unique()) <= {0, 1}


def test_csv_demo_study_builds_like_parquet(tmp_path, capsys):
    """The same data as CSV (dates as ISO text) give the same tables."""
    study_dir = tmp_path / "csv-study"
    shutil.copytree(DEMO_STUDY.parent, study_dir)
    for parquet in (study_dir / "data").glob("*.parquet"):
        frame = pd.read_parquet(parquet)
        write_dataset(read_dataset(parquet), parquet.with_suffix(".csv"))
        assert len(frame)
        parquet.unlink()
    toml = (study_dir / "study.toml").read_text().replace(".parquet", ".csv")
    (study_dir / "study.toml").write_text(toml)
    for study, out in ((DEMO_STUDY, tmp_path / "a"), (study_dir / "study.toml", tmp_path / "b")):
        code, text = run(["build", "--study", str(study), "--out", str(out), "--format", "docx",
                          "--only", "14.1.3", "14.2.1"], capsys)
        assert code == 0, text
    for name in ("t-14-1-3.json", "t-14-2-1.json"):
        assert (tmp_path / "a/tables" / name).read_bytes() == (tmp_path / "b/tables" / name
                                                                ).read_bytes()
