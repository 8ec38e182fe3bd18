"""The command line: exit codes, messages that name the problem, no tracebacks."""

import json
import re
import shlex
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from submission_kit import cli
from submission_kit.cli import DEMO_STUDY, main
from submission_kit.data.io import read_dataset, write_dataset
from submission_kit.locations import BUNDLED

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
    # Every bundled template (one folder per document, one file per section), not the CSS.
    bundled = sorted(p.relative_to(BUNDLED / "templates") for p in
                     (BUNDLED / "templates").rglob("*") if p.suffix != ".css")
    assert sorted(p.relative_to(study_copy / "templates") for p in
                  (study_copy / "templates").rglob("*")) == bundled
    assert (study_copy / "templates/fda-meeting-package/09-questions.md.j2").is_file()
    code, text = run(["build", "--study", str(study_copy / "study.toml"), "--out",
                      str(tmp_path / "out"), "--format", "pdf", "--only",
                      "fda-meeting-package"], capsys)
    assert code == 0, text
    assert (tmp_path / "out/deliverables/documents/fda-meeting-package.pdf").is_file()
    assert not (tmp_path / "out/deliverables/documents/fda-meeting-package.docx").exists()


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
    (out / "records").mkdir()
    (out / "records/manifest.json").write_text(
        '{"tool": {"name": "submission-kit"}, "outputs": [{"path": "previous.txt"}]}')
    code, text = run(["build", "--study", str(study_copy / "study.toml"), "--out", str(out)],
                     capsys)
    assert code == 2
    assert str(path) in text and "ADTTE" in text and "CNSR" in text and "row 4: 2.0" in text
    assert "Traceback" not in text
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "previous.txt", "records", "records/manifest.json"]


def test_missing_variable_names_the_output_that_needs_it(study_copy, capsys):
    path = study_copy / "data/adsl.parquet"
    write_dataset(read_dataset(path).drop(columns="ONSET"), path)
    code, text = run(["validate", "--study", str(study_copy / "study.toml")], capsys)
    assert code == 2
    assert "variable ONSET is missing" in text and "table 14.1.3" in text


def test_template_error_names_template_and_line(study_copy, capsys, tmp_path):
    # An error in one section's file names that file, by its document folder, and its line.
    template = study_copy / "templates/fda-meeting-package/07-purpose.md.j2"
    lines = template.read_text().splitlines()
    at = len(lines)
    lines.insert(at, "{{ results.t_14_2_1.cox.unadjusted.IL2.hazard | num(2) }}")
    template.write_text("\n".join(lines) + "\n")
    code, text = run(["build", "--study", str(study_copy / "study.toml"), "--out",
                      str(tmp_path / "out")], capsys)
    assert code == 2
    assert f"fda-meeting-package/07-purpose.md.j2 line {at + 1}" in text and "hazard" in text
    assert "Traceback" not in text


def test_number_without_a_format_is_refused(study_copy, capsys):
    template = study_copy / "templates/fda-meeting-package/10-supporting-data.md.j2"
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
        assert (tmp_path / "a/records/tables" / name).read_bytes() == (
            tmp_path / "b/records/tables" / name).read_bytes()


# --- issue 12: the command line as a user meets it -----------------------------------------

def streams(args, capsys) -> tuple[int, str, str]:
    """(exit code, stdout, stderr): what goes where is part of the contract."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def plain_stderr(monkeypatch):
    """stderr as CI and pipes see it, whatever the environment running the tests says."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


def test_mistyped_command_gets_a_suggestion(capsys):
    code, out, err = streams(["biuld"], capsys)
    assert code == 2 and out == ""
    assert "unknown command 'biuld'; did you mean build?" in err
    code, out, err = streams(["zzz"], capsys)
    assert code == 2 and "did you mean" not in err and "commands: build, validate" in err


def test_mistyped_option_gets_a_suggestion(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = streams(["build", "--ouput", "x"], capsys)
    assert code == 2 and out == ""
    assert "unrecognized option --ouput; did you mean --out?" in err
    assert "usage: submission-kit build" in err  # the usage of the command it was given to
    assert list(tmp_path.iterdir()) == []  # nothing built into ./output


@pytest.mark.parametrize(("args", "meant"), [
    (["list", "--stud", PILOT], "--study"),
    (["build", "--onl", "14.1.3"], "--only"),
    (["--deb", "list"], "--debug"),
    (["validate", "--jso"], "--json"),
])
def test_abbreviated_options_are_refused(args, meant, capsys):
    """argparse would take `--stud` for --study; a typo must not pass as an abbreviation."""
    code, out, err = streams(args, capsys)
    assert code == 2 and out == ""
    assert f"did you mean {meant}?" in err


def test_mistyped_choice_gets_a_suggestion(capsys, tmp_path):
    code, _, err = streams(["demo-data", tmp_path, "--format", "xtp"], capsys)
    assert code == 2 and "invalid choice: 'xtp'; did you mean xpt?" in err
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def bad_config(tmp_path) -> Path:
    bad = tmp_path / "bad.toml"
    bad.write_text(DEMO_STUDY.read_text().replace('variable = "TRT01P"', 'variable = 3'))
    return bad


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_works_before_or_after_the_command(where, bad_config, capsys):
    args = ["list", "--study", bad_config]
    code, _, err = streams(["--debug", *args] if where == "before" else [*args, "--debug"],
                           capsys)
    assert code == 2 and "Traceback" in err and "treatment.variable: expected str" in err
    code, _, err = streams(args, capsys)
    assert code == 2 and "Traceback" not in err


@pytest.fixture
def demo_validated(monkeypatch, demo_computed):
    """`validate` of the bundled demo answers from the session's computation (conftest): these
    tests are about what the command prints; computing the demo is tested where it is used."""
    import submission_kit.build

    real = submission_kit.build.compute

    def compute(study, *args, **kwargs):
        return demo_computed if study.path == DEMO_STUDY else real(study, *args, **kwargs)

    monkeypatch.setattr(submission_kit.build, "compute", compute)


@pytest.mark.parametrize("args", [["--quiet", "validate"], ["validate", "-q"]])
def test_quiet_validate_prints_nothing_when_all_is_well(args, capsys, demo_validated):
    assert streams(args, capsys) == (0, "", "")


def test_quiet_build_prints_nothing_but_errors(capsys, tmp_path):
    out = tmp_path / "out"
    code, stdout, stderr = streams(["build", "--quiet", "--mock", "--out", out,
                                    "--format", "docx"], capsys)
    assert (code, stdout, stderr) == (0, "", "")
    assert (out / "deliverables/tables/t-14-1-3.docx").is_file()
    code, stdout, stderr = streams(["-q", "build", "--out", out, "--format", "rtf"], capsys)
    assert code == 2 and stdout == ""
    assert stderr.startswith("error: --format 'rtf'")


def test_quiet_and_verbose_together_is_a_usage_error(capsys):
    code, _, err = streams(["--quiet", "list", "--verbose"], capsys)
    assert code == 2 and "--quiet and --verbose" in err


def test_verbose_prints_the_analysis_log(study_copy, capsys):
    """All censored: the log-rank test is not estimable. The table says so in a footnote
    (tests/test_not_estimable_build.py); --verbose also shows the analysis log saying so."""
    path = study_copy / "data/adtte.parquet"
    write_dataset(read_dataset(path).assign(CNSR=1), path)
    code, out, err = streams(["validate", "--study", study_copy, "--verbose"], capsys)
    assert code == 0 and "OK:" in out
    assert "analysis: log-rank test not estimable: no events" in err
    # each log line comes after the step it belongs to
    assert err.index("Analysing table 14.2.1") < err.index("analysis: log-rank test")
    code, out, err = streams(["validate", "--study", study_copy], capsys)
    assert code == 0 and "not estimable" not in out + err


EXPECTED_DEFAULTS = {
    "build": ["(default: the bundled demo study)", "(default: ./output)",
              "(default: docx,pdf)", "(default: the number of cores", "(default: everything)"],
    "validate": ["(default: the bundled demo study)"],
    "list": ["(default: the bundled demo study)", "(default: only what the study configures)"],
    "add": ["(default: study.toml in the current folder"],
    "init": [],  # DIR only: nothing to default
    "verify": ["(default: the study.toml with the recorded hash"],
    "check": ["(default: ./output)"],
    "export": ["(default: the study id)"],
    "demo-data": ["(default: 220)", "(default: 20170601)", "(default: xpt)"],
}


@pytest.mark.parametrize("command", sorted(cli.COMMAND_HELP))
def test_every_command_help_has_description_defaults_and_examples_that_parse(command, capsys):
    code, out, err = streams([command, "--help"], capsys)
    assert code == 0 and err == ""
    summary, _ = cli.COMMAND_HELP[command]
    flat = " ".join(out.split())  # argparse wraps lines to the terminal width
    assert summary[0].upper() + summary[1:] + "." in flat
    for default in EXPECTED_DEFAULTS[command]:
        assert default in flat, default
    assert "global options (before or after the command)" in out
    examples = out.split("examples:\n")[1].splitlines()
    assert 1 <= len(examples) <= 2
    for example in examples:
        words = shlex.split(example.split(">")[0])
        assert words[:2] == ["submission-kit", command]
        cli.parse_args(words[1:])  # a usage error would raise SystemExit


def test_main_help_lists_every_command_with_its_description(capsys):
    code, out, err = streams(["--help"], capsys)
    assert code == 0 and err == ""
    flat = " ".join(out.split())
    for command, (summary, _) in cli.COMMAND_HELP.items():
        assert f"{command} {summary}" in flat
    assert "Exit codes: 0 ok, 2" in flat


def test_study_may_be_the_folder(capsys, tmp_path):
    code, by_file, _ = streams(["list", "--json", "--study", PILOT], capsys)
    assert code == 0
    code, by_folder, _ = streams(["list", "--json", "--study", PILOT.parent], capsys)
    assert code == 0 and by_folder == by_file
    code, out, err = streams(["validate", "--study", tmp_path], capsys)
    assert code == 2 and out == ""
    assert f"{tmp_path}: folder has no study.toml" in err


def test_init_prints_next_commands_that_work_from_another_folder(tmp_path, capsys,
                                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = streams(["init", "my study"], capsys)  # relative, with a space
    assert code == 0
    commands = [shlex.split(line) for line in out.splitlines() if line.startswith("  ")]
    assert [c[:2] for c in commands] == [["submission-kit", "validate"],
                                         ["submission-kit", "build"]]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    validate, build = (c[1:] for c in commands)
    assert streams(validate, capsys)[0] == 0
    # The printed build, narrowed to one table and format to keep the test quick.
    code, _, err = streams([*build, "--only", "14.1.3", "--format", "docx"], capsys)
    assert code == 0, err
    assert (tmp_path / "my study/output/deliverables/tables/t-14-1-3.docx").is_file()
    assert list(elsewhere.iterdir()) == []


def test_validate_prints_its_verdict_on_stdout(capsys, demo_validated):
    code, out, err = streams(["validate"], capsys)
    assert code == 0 and err == ""
    assert "OK: " in out and "ADSL" in out and "adsl.parquet" in out


def test_list_json_describes_the_study(capsys):
    code, out, err = streams(["list", "--json", "--study", PILOT], capsys)
    assert code == 0 and err == ""
    doc = json.loads(out)
    toml = tomllib.loads(PILOT.read_text())  # the independent source: the study file itself
    assert doc["schema"] == 1 and doc["command"] == "list"
    assert doc["study"] == {"id": toml["study"]["id"], "file": str(PILOT)}
    assert [d["name"] for d in doc["datasets"]] == list(toml["data"]["datasets"])
    for dataset in doc["datasets"]:
        assert dataset["rows"] is None  # list reads no data
        assert Path(dataset["path"]).name == toml["data"]["datasets"][dataset["name"]]
        assert Path(dataset["path"]).is_file()
    expected = [("table", i) for i in toml["tables"]] + [("figure", i) for i in toml["figures"]]
    assert [(o["kind"], o["id"]) for o in doc["outputs"]] == expected
    code, text, _ = streams(["list", "--study", PILOT], capsys)
    for output in doc["outputs"]:
        spec_file = Path(output["spec_file"])
        assert spec_file.is_file() and spec_file.stem == output["spec"]
        assert f"{output['id']:10} {output['title']}  [{spec_file.name}]" in text
    assert [d["id"] for d in doc["documents"]] == list(toml.get("documents", {}))


def test_validate_json_counts_the_rows_it_checked(capsys, demo_validated):
    code, out, err = streams(["validate", "--json"], capsys)
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["command"] == "validate" and doc["verdict"] == "ok"
    assert "error" not in doc
    for dataset in doc["datasets"]:
        assert dataset["rows"] == len(read_dataset(Path(dataset["path"]))), dataset["name"]
    code, listed, _ = streams(["list", "--json"], capsys)
    assert doc["outputs"] == json.loads(listed)["outputs"]
    assert doc["documents"][0]["id"] == "fda-meeting-package"


def test_validate_json_reports_an_error_as_json(study_copy, capsys):
    path = study_copy / "data/adsl.parquet"
    write_dataset(read_dataset(path).drop(columns="ONSET"), path)
    code, out, err = streams(["validate", "--json", "--study", study_copy], capsys)
    assert code == 2
    doc = json.loads(out)
    assert doc["command"] == "validate" and doc["verdict"] == "error"
    assert doc["error"]["kind"] == "user"
    assert doc["error"]["message"].endswith("(dataset ADSL): 1 problem(s) found")
    assert any("variable ONSET is missing" in d for d in doc["error"]["details"])
    assert err.startswith("error: ") and "variable ONSET is missing" in err
    assert "datasets" not in doc  # an error document is only the error


def test_list_json_reports_a_config_error_as_json(bad_config, capsys):
    code, out, err = streams(["list", "--json", "--study", bad_config], capsys)
    assert code == 2 and "treatment.variable: expected str" in err
    doc = json.loads(out)
    assert doc["command"] == "list" and "verdict" not in doc
    assert doc["error"]["message"].startswith(f"{bad_config}: treatment.variable: expected str")


STEP = re.compile(r"^ *\d+\.\ds (Checking data|Analysing .+|Assembling document .+|"
                  r"Writing .+|Publishing output)$")


def test_build_without_a_terminal_prints_one_line_per_step(plain_stderr, capsys, tmp_path):
    code, out, err = streams(["build", "--out", tmp_path / "out", "--only", "14.1.3",
                              "--format", "docx"], capsys)
    assert code == 0 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("Building MIROCALS-SIM from ")
    assert lines[-1].startswith("Built ")
    assert lines[-2].startswith("Deliverables in ") and "records" in lines[-2]
    assert lines[-3].startswith("Readiness check: ready")  # `check` runs after a build
    steps = lines[1:-3]
    assert all(STEP.match(line) for line in steps), steps
    assert [s.split(maxsplit=1)[1] for s in steps if "Writing" in s] == [
        "Writing deliverables/tables/t-14-1-3.docx"]
    assert "\x1b" not in err  # no escape codes into logs and pipes


COLOUR_SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colour_codes(text: str) -> set[str]:
    """SGR parameters that set a colour (30-38, 40-48, 90-97, 100-107); bold/dim are not."""
    params = {p for m in COLOUR_SGR.finditer(text) for p in m.group(1).split(";")}
    return {p for p in params if p.isdigit() and (30 <= int(p) <= 48 or 90 <= int(p) <= 107)}


@pytest.mark.parametrize("no_color", [False, True])
def test_build_on_a_terminal_shows_a_progress_bar(no_color, plain_stderr, capsys, tmp_path,
                                                  monkeypatch):
    """rich takes TTY_COMPATIBLE / TTY_INTERACTIVE for a terminal; NO_COLOR drops colour."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    code, out, err = streams(["build", "--mock", "--out", tmp_path / "out", "--format",
                              "docx", "--jobs", "1"], capsys)
    assert code == 0 and out == ""
    assert "━" in err and "Publishing output" in err  # the bar, showing the current step
    # A mock build's steps with one job: one per table file written, then publishing. The last
    # frame is drawn as publishing starts, with every step before it done.
    steps = len(list((tmp_path / "out/deliverables/tables").glob("*.docx"))) + 1
    frames = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", err)  # cursor moves and styles out
    assert re.findall(r"\b(\d+)/(\d+)\b", frames)[-1] == (str(steps - 1), str(steps))
    assert not any(STEP.match(line) for line in err.splitlines())
    assert bool(colour_codes(err)) is not no_color


def test_bug_is_exit_1_and_ctrl_c_is_130(capsys, monkeypatch):
    def bug(args, reporter):
        raise RuntimeError("boom")

    def interrupted(args, reporter):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "list", bug)
    code, out, err = streams(["list"], capsys)
    assert code == 1 and out == "" and "internal error" in err and "RuntimeError: boom" in err
    code, out, _ = streams(["list", "--json"], capsys)
    assert code == 1 and json.loads(out)["error"]["kind"] == "internal"
    monkeypatch.setitem(cli.COMMANDS, "list", interrupted)
    code, _, err = streams(["list"], capsys)
    assert code == 130 and "interrupted" in err


@pytest.mark.parametrize("words", [["validate", "--json", "--stud", "x"],
                                   ["list", "--json", "--bogus"],
                                   ["verify", "--json"]])
def test_a_usage_error_of_a_json_command_is_also_a_json_document(words, capsys):
    """Scripts read stdout: a mistyped option gets the usual message on stderr and a JSON
    error document on stdout, as any other failure of a --json command does."""
    code, out, err = streams(words, capsys)
    assert code == 2 and "usage: submission-kit" in err
    doc = json.loads(out)
    assert doc["command"] == words[0] and doc["error"]["kind"] == "user"
    assert doc["error"]["message"].startswith(f"submission-kit {words[0]}: ")
    assert doc["error"]["message"].split(": ", 1)[1] in err
