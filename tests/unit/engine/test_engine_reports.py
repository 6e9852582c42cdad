"""HTML report, JUnit XML, JSON log and console output, rendered from a synthetic event stream."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from engine_builders import synthetic_events
from rich.console import Console

from executor.events import RunFinished, RunStarted, redact_event
from executor.listeners import (
    ConsoleListener,
    HtmlReportListener,
    JUnitListener,
    LogFileListener,
    StreamingJUnitListener,
    render_html,
    render_junit,
)
from executor.redaction import Redactor

SECRET = "hunter2-secret"


def _engine_side(tmp_path: Path) -> list[object]:
    """The stream as the engine emits it: every event passed through the redactor."""
    redactor = Redactor([SECRET])
    return [redact_event(e, redactor) for e in synthetic_events(str(tmp_path / "runs" / "r1"), SECRET)]


def test_html_report_summary_failures_first_and_escaped(tmp_path: Path) -> None:
    report = tmp_path / "runs" / "r1" / "report.html"
    html = render_html(_engine_side(tmp_path), report)
    assert SECRET not in html
    assert "<b>now</b>" not in html and "&lt;b&gt;now&lt;/b&gt;" in html
    assert "<script>" not in html.split("<body>", 1)[1]  # the job named "buy <script>" is escaped
    assert "buy &lt;script&gt;" in html
    # the failed job comes first, and the failures list points at its step
    assert html.index('id="job-buy__script_"') < html.index('id="job-downgrade"')
    failures = html.split('<div class="failures">', 1)[1].split("</div>", 1)[0]
    assert 'href="#buy__script_-step-1"' in failures and "runbooks/buy_licenses.yaml:12" in failures
    # fallback badge, timings, assertions with their status, not-run steps
    assert '<span class="badge fallback">fallback 2 of 3</span>' in html
    assert '<span class="badge">first candidate</span>' in html
    assert (
        '<li class="failed">licenses.summary_total text contains &#39;27.00&#39;: <em>found &#39;25.00&#39;</em>'
        in html
    )
    assert '<li class="not_checked">dialog.checkout visible (not checked)</li>' in html
    assert "act 30 ms · assert 5.00 s · shot 25 ms" in html
    assert "not run</span> Accept the terms" in html


def test_html_report_links_artifacts_relatively(tmp_path: Path) -> None:
    report = tmp_path / "runs" / "r1" / "report.html"
    html = render_html(_engine_side(tmp_path), report)
    assert '<a href="downgrade/001-open-the-license-page.jpg" target="_blank"><img class="thumb"' in html
    assert 'href="buy/001-proceed-failure.html">page HTML</a>' in html
    assert 'href="buy/001-proceed-failure.aria.yaml">aria snapshot</a>' in html
    assert 'href="buy/trace.zip">trace</a>' in html
    assert str(tmp_path) not in html  # nothing absolute: the folder can be moved or zipped
    assert not re.search(r"<link[^>]+stylesheet|<script src=", html)  # self-contained


def test_html_listener_writes_on_run_finished(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    listener = HtmlReportListener(report)
    for event in _engine_side(tmp_path):
        listener.on_event(event)
    assert report.exists() and "Runbook report" in report.read_text()


def test_junit_one_testcase_per_job_failure_is_the_yaml_step(tmp_path: Path) -> None:
    xml = render_junit(_engine_side(tmp_path))
    assert SECRET not in xml
    suite = ET.fromstring(xml).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"downgrade", "buy <script>"}
    assert cases["downgrade"].find("failure") is None
    failure = cases["buy <script>"].find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith(
        "step 1 'Proceed to checkout <b>now</b>' (runbooks/buy_licenses"
    )
    body = failure.text or ""
    assert body.startswith("runbooks/buy_licenses.yaml:12: step 1 'Proceed to checkout <b>now</b>'")
    assert "- click: licenses.checkout\n  expect:" in body
    assert "[FAILED] licenses.summary_total text contains '27.00': found '25.00'" in body
    assert "[not checked] dialog.checkout visible" in body
    assert cases["buy <script>"].get("classname") == "runbooks.buy_licenses"


def test_junit_listener_writes_on_run_finished(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    listener = JUnitListener(path)
    for event in _engine_side(tmp_path):
        listener.on_event(event)
    assert ET.parse(path).getroot().tag == "testsuites"


def test_json_log_redacts_even_unredacted_events(tmp_path: Path) -> None:
    path = tmp_path / "run.log.jsonl"
    listener = LogFileListener(path, Redactor([SECRET]))
    for event in synthetic_events(secret=SECRET):  # raw: the listener's own redaction must hold
        listener.on_event(event)
    listener.close()
    text = path.read_text()
    assert SECRET not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["event"] for line in lines][:3] == ["RunStarted", "JobStarted", "StepStarted"]
    failed = next(line for line in lines if line["event"] == "StepFinished" and line["status"] == "failed")
    assert failed["level"] == "error" and failed["timestamp"].endswith("Z")
    assert lines[1]["params"]["password"] == "***"


def _console(quiet: bool = False) -> tuple[ConsoleListener, io.StringIO]:
    out = io.StringIO()
    return ConsoleListener(Console(file=out, width=200, color_system=None), quiet=quiet, live=False), out


def test_console_ticks_crosses_and_timings(tmp_path: Path) -> None:
    listener, out = _console()
    for event in _engine_side(tmp_path):
        listener.on_event(event)
    text = out.getvalue()
    assert "▶ downgrade_license" in text
    assert "✓ 1 Open the license page 70 ms (licenses.page_link: fallback 2 of 3)" in text
    assert "✗ 1 Proceed to checkout <b>now</b> 5.10 s" in text  # markup-like text printed as is
    assert "the total must be 27.00 <CAD>" in text
    assert "✗ run failed (1 failed, 1 passed; 6.80 s)" in text
    assert SECRET not in text


def test_console_quiet_mode_prints_only_what_needs_a_person(tmp_path: Path) -> None:
    listener, out = _console(quiet=True)
    for event in _engine_side(tmp_path):
        listener.on_event(event)
    text = out.getvalue()
    assert "Open the license page" not in text and "▶" not in text
    assert "✗ 1 Proceed to checkout" in text and "✗ run failed" in text


def test_console_listener_ignores_events_it_does_not_know(tmp_path: Path) -> None:
    listener, out = _console()
    listener.on_event(RunStarted("r", "http://x", 0, "/tmp"))
    listener.on_event(RunFinished("r", "passed", 1.0, {}))
    assert out.getvalue() == ""


def _cases(xml: str) -> tuple[dict[str, str | None], list[str]]:
    suite = ET.fromstring(xml).find("testsuite")
    assert suite is not None
    counts = {k: suite.get(k) for k in ("name", "tests", "failures", "errors", "skipped", "time")}
    return counts, [ET.tostring(c, encoding="unicode").strip() for c in suite.findall("testcase")]


def test_streaming_junit_equals_the_whole_run_rendering_and_keeps_no_finished_job(tmp_path: Path) -> None:
    """A bulk run's JUnit file is written job by job (thousands of jobs, flat memory): the same
    suite as rendering the whole run at once, and nothing of a finished job stays in memory."""
    path = tmp_path / "junit.xml"
    listener = StreamingJUnitListener(path, suite_name="downgrade_license")
    events = _engine_side(tmp_path)
    for event in events:
        listener.on_event(event)
        assert all(job.finished is None for job in listener.open.values())
    assert listener.open == {}
    assert _cases(path.read_text()) == _cases(render_junit(events, "downgrade_license"))
    assert SECRET not in path.read_text()


def test_streaming_junit_holds_every_session_and_a_job_cut_short(tmp_path: Path) -> None:
    """A resumed run appends to the same parts: one XML over both sessions; a job still running at
    write() (Ctrl-C) is a failure, not a silent omission."""
    path = tmp_path / "junit.xml"
    events = [e for e in _engine_side(tmp_path) if not isinstance(e, RunFinished)]
    first = StreamingJUnitListener(path)
    for event in events:
        first.on_event(event)
    first.write()
    second = StreamingJUnitListener(path)
    cut = [e for e in events if type(e).__name__ in ("JobStarted", "StepFinished") and e.job_id == "downgrade"]  # type: ignore[attr-defined]
    for event in cut:
        second.on_event(event)
    second.write()
    counts, cases = _cases(path.read_text())
    assert (counts["tests"], counts["failures"]) == ("3", "2")
    assert sum('name="downgrade"' in c for c in cases) == 2
    assert "the job did not finish" in cases[-1]
