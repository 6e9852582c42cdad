"""The bulk report built from a run folder (no browser): the data files hold every row once,
attention and failed first, cut into pages; the HTML stays small at 10,000 rows; no secret gets
in; the chart has a line per worker and marks failures. Run folders come from the bench's
generator (bench/bulk_report.py: real runbook plans, events written by the real log listener)."""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from executor.bulk import report_data
from executor.bulk.ledger import ORDER
from executor.bulk.report_chart import Finish, Timeline, read_finishes, render_chart
from executor.bulk.report_page import write_report
from executor.bulk.report_records import Paths

ROOT = Path(__file__).resolve().parents[3]
CARD = "4111 1111 1111 1111"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_bulk_report", ROOT / "bench" / "bulk_report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


bench = _bench()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """140 rows, small pages (so there are several), a card number in a failed step's error and
    in the input copy (which the report must not read)."""
    folder = tmp_path_factory.mktemp("report") / "run"
    shape = bench.Shape(failed=0.08, attention=0.03, retried=0.08, not_found=0.03, secret=CARD)
    bench.fabricate(folder, 140, shape, seed=3)
    (folder / "input.csv").write_text(f"email,target_tier,card\nuser000001@acme.example,Eco,{CARD}\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report_data, "PAGE", 40)
        mp.setattr(report_data, "DETAIL", 15)
        write_report(folder)
    yield folder


def _calls(path: Path, call: str) -> list[Any]:
    """The arguments a data file passes to RunbookReport.<call>(...)."""
    text = path.read_text(encoding="utf-8")
    match = re.fullmatch(rf"RunbookReport\.{call}\((.*)\);\n", text, re.DOTALL)
    assert match, f"{path.name} is not one call to RunbookReport.{call}"
    args: list[Any] = json.loads(f"[{match.group(1)}]")
    return args


def _manifest(folder: Path) -> dict[str, Any]:
    html = (folder / "report.html").read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="report-manifest">(.*?)</script>', html, re.DOTALL)
    assert found
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def _journal(folder: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(folder / "journal.sqlite") as conn:
        return conn.execute(sql).fetchall()


def test_every_row_is_in_the_pages_once_attention_and_failed_first(synthetic: Path) -> None:
    data = synthetic / "report-data"
    manifest = _manifest(synthetic)["rows"]
    pages = sorted(data.glob("rows-[0-9][0-9][0-9][0-9].js"))
    entries = []
    for number, page in enumerate(pages, start=1):
        coll, n, items = _calls(page, "page")
        assert (coll, n) == ("rows", number)
        assert len(items) == (40 if number < len(pages) else 140 - 40 * (len(pages) - 1))
        entries += items
    assert len(pages) == 4 and manifest["page"] == 40 and manifest["total"] == 140
    assert sorted(e["row"] for e in entries) == list(range(1, 141))  # each row, once
    journal = dict(_journal(synthetic, "SELECT row, status FROM rows"))
    assert all(e["s"] == journal[e["row"]] for e in entries)
    ranks = [(ORDER[e["s"]], e["row"]) for e in entries]
    assert ranks == sorted(ranks)
    assert entries[0]["s"] == "attention" and {e["s"] for e in entries[:12]} <= {"attention", "failed"}
    # The groups say where each status starts: what the filter shows without reading any file.
    for status, start, count in manifest["groups"]:
        assert {e["s"] for e in entries[start : start + count]} == {status}
    assert sum(count for _, _, count in manifest["groups"]) == 140


def test_details_hold_each_rows_jobs_steps_and_failure_evidence(synthetic: Path) -> None:
    data = synthetic / "report-data"
    entries = [e for p in sorted(data.glob("rows-[0-9][0-9][0-9][0-9].js")) for e in _calls(p, "page")[2]]
    details = [d for p in sorted(data.glob("rows-steps-*.js")) for d in _calls(p, "detail")[2]]
    assert len(details) == 140 and len(sorted(data.glob("rows-steps-*.js"))) == 10  # 15 per file
    for entry, detail in zip(entries, details, strict=True):
        for job in detail["jobs"]:
            assert job["job"].startswith(f"reassign-r{entry['row']:04d}-")
            assert job["dir"].startswith(f"rows/{entry['row']:04d}-")
    failed = next(i for i, e in enumerate(entries) if e["s"] == "failed" and e.get("jobs"))
    job = details[failed]["jobs"][-1]
    step = next(s for s in job["steps"] if s["id"] == "6.5")
    assert step["s"] == "failed" and "HTTP 500" in step["err"] and step["y"]  # the error, the step's YAML
    assert step["loc"] == "runbooks/_shared/change_user_license.yaml:33"
    assert [label for _, label in step["img"]] == ["page at failure"]
    assert {label for label, _ in step["ln"]} == {"page HTML", "aria snapshot"}
    assert job["trace"] and job["perf"].startswith("'Save ")
    assert entries[failed]["shot"].endswith("-failure.jpg") and entries[failed]["fstep"].startswith("6.5 ")
    # Rows the plan decided ran no job; reassignments carry their operations.
    not_found = next(d for e, d in zip(entries, details, strict=True) if e["reason"] == "user not found: will fail")
    assert not_found == {"jobs": []}
    retried = next(i for i, e in enumerate(entries) if e.get("jobs", 0) > 1)
    assert [op["outcome"] for op in details[retried]["ops"]] == ["not_done", "done"]
    keys = _calls(data / "rows-keys.js", "keys")[1]
    assert keys == [[e["row"], e["key"]] for e in entries]


def test_jobs_outside_rows_have_a_list_of_their_own(synthetic: Path) -> None:
    entries = _calls(synthetic / "report-data" / "jobs-0001.js", "page")[2]
    assert {e["job"] for e in entries} >= {"login-w1-1", "login-w4-2", "read-s1-1", "read-s2-1"}
    assert all(e["s"] == "passed" and e["rb"] for e in entries)


def test_no_secret_reaches_the_report(synthetic: Path) -> None:
    assert "***" in (synthetic / "run.log.jsonl").read_text()  # the card was in an event: masked
    forms = [CARD, CARD.replace(" ", ""), CARD.replace(" ", "%20")]
    files = [synthetic / "report.html", *(synthetic / "report-data").iterdir()]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not any(f in text for f in forms), f"the card number is in {path.name}"
    details = "".join(p.read_text() for p in (synthetic / "report-data").glob("rows-steps-*.js"))
    assert "(the form still held ***)" in details


def test_the_html_holds_no_row_and_is_self_contained(synthetic: Path) -> None:
    html = (synthetic / "report.html").read_text(encoding="utf-8")
    assert "user000001@acme.example" not in html  # rows live in the data files
    assert "Bulk run: downgrade_license" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from the network
    assert not re.search(r"@import|url\(", html)
    assert "<h2" in html and 'class="chart"' in html


def test_the_html_stays_under_a_megabyte_at_10000_rows(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    bench.fabricate(folder, 10_000, seed=5, events=False)  # the page's size does not depend on events
    written = write_report(folder)
    assert written.summary.rows == 10_000
    assert written.html_bytes < 1_000_000, written.html_bytes
    assert written.data.rows.total == 10_000
    sizes = [p.stat().st_size for p in (folder / "report-data").iterdir()]
    assert max(sizes) < 600_000  # list pages and the keys; detail files are about 250 KB with steps


def test_the_chart_has_a_line_per_worker_and_marks_failures(synthetic: Path) -> None:
    finishes, timeline, marks = read_finishes(synthetic / "journal.sqlite")
    svg = str(render_chart(finishes, timeline, marks))
    workers = re.findall(r'<g class="series" data-worker="([^"]+)"', svg)
    assert workers == ["w1", "w2", "w3", "w4"]
    bad = sum(1 for f in finishes if f.status in ("failed", "attention"))
    marked = sum(int(n) for n in re.findall(r'<g class="fail" data-count="(\d+)"', svg))
    assert bad > 0 and marked == bad
    assert timeline is not None and len(timeline.gaps) == 1  # the two hours between sessions, cut out
    assert 'class="gap"' in svg and "session 2" in svg


def test_chart_of_hand_made_rows_marks_retries_and_escapes_names() -> None:
    finishes = [
        Finish(100.0, "w1", "changed", 1),
        Finish(110.0, "w2", "failed", 1),
        Finish(130.0, "w1", "changed", 2),
        Finish(160.0, "w<b>", "attention", 1),
    ]
    svg = str(render_chart(finishes, Timeline(99.0, 160.0)))
    assert sorted(re.findall(r'<g class="series" data-worker="([^"]+)"', svg)) == ["w&lt;b&gt;", "w1", "w2"]  # escaped
    assert svg.count('class="retry"') == 1 and svg.count('<g class="fail"') == 2
    assert "<b>" not in svg
    assert "No row has finished yet" in str(render_chart([], None))


def test_a_dry_run_is_reported_from_its_plan(tmp_path: Path) -> None:
    folder = tmp_path / "dry"
    folder.mkdir()
    rows = [{"row": 1, "key": "a@acme.example", "action": "reassign", "text": "Pro → Eco"},
            {"row": 2, "key": "b@acme.example", "action": "fail", "text": "user not found: will fail"},
            {"row": 3, "key": "c@acme.example", "action": "unchanged", "text": "already Eco"}]  # fmt: skip
    (folder / "plan.json").write_text(json.dumps({"runbook": "downgrade_license", "strategy": "aggregate", "rows": rows}))
    written = write_report(folder)
    assert written.summary.state == "planned"
    items = _calls(folder / "report-data" / "rows-0001.js", "page")[2]
    assert [(e["row"], e["s"]) for e in items] == [(2, "failed"), (3, "unchanged"), (1, "planned")]


def test_a_rebuild_replaces_the_data_whole_and_skips_a_cut_line(synthetic: Path, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(synthetic, folder)
    with open(folder / "run.log.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"job_id": "x", "event": "StepFinished", "sta')  # a crash in the middle of a line
    first = write_report(folder)
    (folder / "report-data.new-999999999").mkdir()  # a build killed halfway (no such process)
    second = write_report(folder)
    assert second.data.bad_lines == 1
    assert second.data.build != first.data.build or second.data.files == first.data.files
    names = {p.name for p in folder.iterdir()}
    assert "report-data" in names
    assert not any(n.startswith(("report-", ".report-")) and n != "report-data" for n in names)  # no leftovers
    assert len(list((folder / "report-data").iterdir())) == second.data.files


def test_paths_are_relative_to_the_report_even_when_the_run_folder_moved(tmp_path: Path) -> None:
    paths = Paths(tmp_path / "run")
    here = str((tmp_path / "run").resolve())
    assert paths.relative(f"{here}/rows/0007-a@b.c/job-1/001-x.jpg") == "rows/0007-a@b.c/job-1/001-x.jpg"
    assert paths.relative("/elsewhere/old-run/rows/0007-a@b.c/job-1/001 x.jpg") == "rows/0007-a@b.c/job-1/001%20x.jpg"
    assert paths.relative("runs/r1/ops/purchase-Eco-s1-1/trace.zip") == "ops/purchase-Eco-s1-1/trace.zip"
    assert paths.row_of(f"{here}/rows/0007-a@b.c/job-1") == 7
    assert paths.row_of(f"{here}/ops/purchase-Eco-s1-1") is None


def test_a_step_line_parses_the_same_without_its_step_model() -> None:
    line = json.dumps({"job_id": "j", "step_id": "1", "title": 'say "step": {', "status": "passed",
                       "step": {"action": "goto", "args": {"url": "/x"}, "when": None},
                       "timings": {"total_ms": 5.0}, "event": "StepFinished"})  # fmt: skip
    full = json.loads(line)
    cut = json.loads(report_data._without_step_model(line))
    assert cut.pop("step") is None and full.pop("step")
    assert cut == full
