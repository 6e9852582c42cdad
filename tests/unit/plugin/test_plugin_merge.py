"""`runbook report merge`: synthetic results folders (as shards write them) into one report (no browser)."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from results_builders import RUNBOOK, header, write_folder

from executor.cli import main
from executor.listeners.results_file import RESULTS_NAME, Shard

SPLIT = "pytest-split"


def shards(tmp_path: Path, *, session2: str = "run-a-2", **second: object) -> tuple[Path, Path]:
    """Two shards of one run, each copied from its CI machine into tmp_path/download/."""
    one = write_folder(
        tmp_path / "download" / "shard1",
        header("run-a-1", "main", Shard(1, 2, SPLIT)),
        {"a[2026]": "passed", "b[2026]": "failed"},
    )
    two = write_folder(
        tmp_path / "download" / "shard2",
        header(session2, "gw0", Shard(2, 2, SPLIT), **second),  # type: ignore[arg-type]
        {"c[2026]": "skipped", "d[2026]": "passed"},
    )
    return one, two


def merge(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main(["report", "merge", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def cases(junit: Path) -> dict[str, ET.Element]:
    found = list(ET.parse(junit).getroot().iter("testcase"))
    names = [f"{c.get('classname')}::{c.get('name')}" for c in found]
    assert len(names) == len(set(names)), names  # every item once
    return dict(zip(names, found))


def test_two_shards_make_one_report_and_one_junit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one, two = shards(tmp_path)
    out_dir = tmp_path / "merged"
    code, out, err = merge(capsys, one, two, "--output", out_dir)
    assert code == 1, err  # an example failed
    assert f"FAILED {RUNBOOK}::b[2026]" in out and "4 items: 1 failed, 2 passed, 1 skipped" in out
    assert err == ""

    found = cases(out_dir / "junit.xml")
    assert sorted(found) == [f"runbooks.check_license::{n}[2026]" for n in "abcd"]
    suite = ET.parse(out_dir / "junit.xml").getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == (
        "4",
        "1",
        "1",
    )
    failure = found["runbooks.check_license::b[2026]"].find("failure")
    assert failure is not None
    # The JUnit listener's text: the step where it is written, as evaluated, and its checks.
    assert failure.text is not None
    assert failure.text.startswith(f"{RUNBOOK}:16: step 1 'The user holds Pro'\n\nexpect: [...]")
    assert "[FAILED] users.license_of text equals 'Pro': found 'Eco'" in failure.text
    assert failure.get("message") == f"{RUNBOOK}:16:5: step 1 'The user holds Pro' failed"
    skipped = found["runbooks.check_license::c[2026]"].find("skipped")
    assert skipped is not None and skipped.get("message") == "not on this portal"
    props = {p.get("name"): p.get("value") for p in found["runbooks.check_license::b[2026]"].iter("property")}
    assert props["runbook_artifacts"] == "evidence/shard1-main/check_license.b.2026"
    assert props["runbook_report"] == "report.html"

    # The evidence is in the output folder (linked, not pointing back at the downloads).
    report = (out_dir / "report.html").read_text()
    sources = re.findall(r'src="([^"]+)"', report)
    assert sorted(sources) == [
        "evidence/shard1-main/check_license.a.2026/001-open.jpg",
        "evidence/shard1-main/check_license.b.2026/001-open.jpg",
        "evidence/shard2-gw0/check_license.d.2026/001-open.jpg",
    ]
    for src in sources:
        assert (out_dir / src).is_file()
    assert "download" not in report
    assert "not on this portal" in report  # a skipped item has no job, but it is listed, with its reason
    assert "shard 1/2 (1 process), shard 2/2 (1 process)" in report


def test_the_merged_folder_stands_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one, two = shards(tmp_path)
    merge(capsys, one, two, "--output", tmp_path / "merged")
    for folder in (one, two):
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    shot = tmp_path / "merged" / "evidence" / "shard1-main" / "check_license.b.2026" / "001-open.jpg"
    assert shot.read_bytes() == b"jpg"


def test_an_item_in_two_runs_is_refused_with_both_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, _ = shards(tmp_path)
    again = write_folder(
        tmp_path / "yesterday",
        header("run-b", "main", Shard(1, 2, SPLIT)),
        {"a[2026]": "passed", "b[2026]": "passed"},
    )
    code, _, err = merge(capsys, one, again, "--output", tmp_path / "merged")
    assert code == 2
    lines = err.splitlines()
    assert lines[0] == f"error: {RUNBOOK}::a[2026]: a result in two runs (and 1 more item in both):"
    assert lines[1].startswith(f"  {one}/{RESULTS_NAME} (shard 1/2, main, started ")
    assert lines[2].startswith(f"  {again}/{RESULTS_NAME} (shard 1/2, main, started ")
    assert (
        lines[3]
        == "  hint: shard 1/2 is given twice (two runs of it): keep one of the two folders (a shard run again replaces the earlier one)"
    )
    assert not (tmp_path / "merged").exists()


def test_two_unsharded_runs_of_the_same_examples_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write_folder(tmp_path / "monday", header("run-a"), {"a[2026]": "passed"})
    second = write_folder(tmp_path / "tuesday", header("run-b"), {"a[2026]": "failed"})
    code, _, err = merge(capsys, first, second)
    assert code == 2
    assert "hint: these are two runs of the same examples: merge the results of one run" in err


def test_shards_that_split_the_suite_differently_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = write_folder(tmp_path / "s1", header("a", "main", Shard(1, 2, SPLIT)), {"a[2026]": "passed"})
    two = write_folder(tmp_path / "s2", header("b", "main", Shard(2, 2, SPLIT)), {"a[2026]": "passed"})
    code, _, err = merge(capsys, one, two)
    assert code == 2 and "the shards split the suite differently" in err and "--durations-path" in err


@pytest.mark.parametrize(
    ("second", "problem"),
    [
        ({"suite_items": 6, "suite_sha256": "t" * 64}, "they collected different suites (4 and 6 items"),
        ({"ci_run": "CI-2"}, "they ran in different CI runs (CI-1 and CI-2)"),
    ],
)
def test_results_that_are_not_shards_of_one_run_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], second: dict[str, object], problem: str
) -> None:
    one = write_folder(
        tmp_path / "s1", header("a", "main", Shard(1, 2, SPLIT), ci_run="CI-1"), {"a[2026]": "passed"}
    )
    two = write_folder(
        tmp_path / "s2", header("b", "main", Shard(2, 2, SPLIT), **second), {"b[2026]": "passed"}
    )  # type: ignore[arg-type]
    code, _, err = merge(capsys, one, two)
    assert code == 2
    assert err.splitlines()[0] == f"error: shard 1/2 and shard 2/2 are not shards of one run: {problem}" + (
        "; another commit, or other options)" if "suites" in problem else ""
    )


def test_the_same_results_reached_twice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one, two = shards(tmp_path)
    # A folder and a file inside it: counted once.
    code, out, _ = merge(capsys, one, one / RESULTS_NAME, two, "--output", tmp_path / "m")
    assert code == 1 and "4 items" in out
    # A copy of one folder under another name: refused.
    copy = tmp_path / "copy"
    shutil.copytree(one, copy)
    code, _, err = merge(capsys, one, copy, two)
    assert code == 2 and "are the same results (shard 1/2, main of one run)" in err


def test_workers_of_shards_merge_and_a_missing_shard_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shard = tmp_path / "shard1"
    write_folder(shard / "gw0", header("a", "gw0", Shard(1, 3, SPLIT)), {"a[2026]": "passed"})
    write_folder(shard / "gw1", header("a", "gw1", Shard(1, 3, SPLIT)), {"b[2026]": "passed"}, finished=False)
    code, out, err = merge(capsys, shard, "--output", tmp_path / "m")
    assert code == 0 and "2 items: 2 passed (2 processes)" in out
    assert "warning: shards 2/3, 3/3 missing: the report holds 1 of 3 shards" in err
    assert "(shard 1/3, gw1) did not finish: its last examples may be missing" in err
    assert "shards 2/3, 3/3 missing" in (tmp_path / "m" / "report.html").read_text()


def test_invalid_inputs_exit_2_with_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = merge(capsys, tmp_path / "nowhere")
    assert code == 2 and err.startswith(f"error: {tmp_path / 'nowhere'}: no such folder or file\n  hint: ")
    (tmp_path / "empty").mkdir()
    code, _, err = merge(capsys, tmp_path / "empty")
    assert code == 2 and "no runbook results (runbook-results.jsonl) in it" in err and "hint:" in err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / RESULTS_NAME).write_text("garbage\n")
    code, _, err = merge(capsys, bad)
    assert code == 2 and err.startswith(f"error: {bad / RESULTS_NAME}:1: not JSON")


def test_durations_for_pytest_split(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one, two = shards(tmp_path)
    durations = tmp_path / ".test_durations"
    durations.write_text(json.dumps({"tests/other.py::t": 2.0}))
    merge(capsys, one, two, "--output", tmp_path / "m", "--store-durations", durations)
    stored = json.loads(durations.read_text())
    assert stored == {"tests/other.py::t": 2.0, **{f"{RUNBOOK}::{n}[2026]": 1.25 for n in "abd"}}


def test_merging_into_one_of_the_shard_folders_keeps_its_evidence_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = shards(tmp_path)
    code, out, _ = merge(capsys, one, two, "--output", one)
    assert code == 1 and "4 items" in out
    sources = sorted(re.findall(r'src="([^"]+)"', (one / "report.html").read_text()))
    assert sources == [
        "check_license.a.2026/001-open.jpg",
        "check_license.b.2026/001-open.jpg",
        "evidence/shard2-gw0/check_license.d.2026/001-open.jpg",
    ]
