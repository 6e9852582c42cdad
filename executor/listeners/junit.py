"""JUnit XML: one testcase per job (a CLI run) or per pytest item (the QA plugin's merged results);
a failure reads as the YAML step, its location, the assertion.

Built with ElementTree (escaping included); characters XML 1.0 cannot hold are dropped.
"""

from __future__ import annotations

import os
import re
import time
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from executor.events import Event, JobFinished, JobStarted, RunFinished, StepFinished
from executor.listeners.collect import JobData, collect

if TYPE_CHECKING:
    from executor.listeners.results_file import ItemResult

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _XML_INVALID.sub("", text)


def failure_text(step: StepFinished) -> str:
    """The step as written (evaluated, redacted), where it is, and what was checked."""
    lines = [f"{step.location}: step {step.step_id} '{step.title}'"]
    lines += [f"  via {c}" for c in step.chain]
    lines += ["", step.yaml, ""]
    for a in step.assertions:
        mark = {"passed": "ok", "failed": "FAILED", "not_checked": "not checked"}[a.status]
        lines.append(f"[{mark}] {a.expected}" + (f": {a.error}" if a.error else ""))
    lines += [f"[dialog] {d.describe()}" for d in step.dialogs]
    if step.error:
        lines += ["", step.error]
    return "\n".join(lines).strip()


def _job_failure(job: JobData) -> tuple[str, str]:
    """(message, text) of a failed job: its error, and its first failed step as written."""
    error = job.finished.error if job.finished and job.finished.error else "the job did not finish"
    warning = job.finished.performed_warning() if job.finished else None
    if warning:
        error = f"{error} ({warning})"
    step = job.first_failure
    return error, (f"{warning}\n\n" if warning else "") + (failure_text(step) if step else error)


def _steps_out(job: JobData) -> list[str]:
    out = []
    for s in job.steps:
        out.append(f"{s.status:8} {s.step_id} {s.title} ({s.location})" + (f" — {s.reason}" if s.reason else ""))
        out += [f"         dialog: {d.describe()}" for d in s.dialogs]
        out += [f"         download: {a.path} ({a.size} bytes, sha256 {a.sha256})" for a in s.artifacts if a.kind == "download"]
    return out


def _testcase(suite: ET.Element, job: JobData) -> tuple[bool, float]:
    duration = (job.finished.duration_ms if job.finished else 0.0) / 1000
    case = ET.SubElement(
        suite,
        "testcase",
        classname=_clean(f"runbooks.{job.runbook}"),
        name=_clean(job.job_id),
        time=f"{duration:.3f}",
    )
    failed = job.status == "failed"
    if failed:
        message, text = _job_failure(job)
        failure = ET.SubElement(case, "failure", message=_clean(message), type="StepFailed")
        failure.text = _clean(text)
    out = _steps_out(job)
    if out:
        ET.SubElement(case, "system-out").text = _clean("\n".join(out))
    return failed, duration


def render_junit(events: Iterable[Event], suite_name: str = "runbooks") -> str:
    run = collect(events)
    suite = ET.Element("testsuite", name=suite_name)
    failures, total = 0, 0.0
    for job in run.jobs.values():
        failed, duration = _testcase(suite, job)
        failures += failed
        total += duration
    suite.set("tests", str(len(run.jobs)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    suite.set("time", f"{total:.3f}")
    at = run.started.at if run.started else time.time()
    suite.set("timestamp", time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _item_failure(item: ItemResult, jobs: list[JobData]) -> tuple[str, str]:
    """The failed step as today's job testcases show it when a failed step is the story (the
    example expected to pass, or its login failed); else the plugin's own text (a ground-truth
    mismatch, a runbook that should have refused)."""
    failed = next((j for j in jobs if j.status == "failed" and j.first_failure), None)
    login_failed = failed is not None and failed.job_id.endswith(" login")
    if failed is not None and item.phase == "call" and (item.expected == "passed" or login_failed):
        message, text = _job_failure(failed)
        return item.message or message, text
    return item.message or "failed", item.longrepr or item.message


def _property(props: ET.Element, name: str, path: str | None, base: Path) -> None:
    if path:
        value = Path(os.path.relpath(path, base)).as_posix() if os.path.isabs(path) else path
        ET.SubElement(props, "property", name=name, value=_clean(value))


def render_items_junit(
    items: Iterable[ItemResult],
    jobs: Mapping[str, JobData],
    junit_path: Path | str,
    *,
    report: Path | None = None,
    suite_name: str = "runbooks",
    started_at: float | None = None,
) -> str:
    """One testcase per pytest item (`classname` the runbook file dotted, `name` the item's name):
    passed, `<failure>` (or `<error>` outside the example's call), or `<skipped>` with its reason.
    Evidence paths (properties) are relative to the XML file."""
    base = Path(junit_path).resolve().parent
    suite = ET.Element("testsuite", name=suite_name)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total = 0.0
    for item in items:
        counts["tests"] += 1
        total += item.duration_s
        case = ET.SubElement(
            suite, "testcase", classname=_clean(item.classname), name=_clean(item.name),
            file=_clean(item.path), time=f"{item.duration_s:.3f}",
        )
        props = ET.SubElement(case, "properties")
        _property(props, "runbook_artifacts", item.folder, base)
        _property(props, "runbook_screenshot", item.screenshot, base)
        _property(props, "runbook_trace", item.trace, base)
        _property(props, "runbook_report", str(report) if report else None, base)
        if not len(props):
            case.remove(props)
        item_jobs = [jobs[j] for j in item.jobs if j in jobs]
        if item.outcome == "failed":
            tag = "failure" if item.phase == "call" else "error"
            counts["failures" if tag == "failure" else "errors"] += 1
            message, text = _item_failure(item, item_jobs)
            failure = ET.SubElement(case, tag, message=_clean(message), type="ExampleFailed")
            failure.text = _clean(text)
        elif item.outcome == "skipped":
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", message=_clean(item.skip_reason or item.message or "skipped"))
        out = [line for job in item_jobs for line in _steps_out(job)]
        if out:
            ET.SubElement(case, "system-out").text = _clean("\n".join(out))
    for name, n in counts.items():
        suite.set(name, str(n))
    suite.set("time", f"{total:.3f}")
    suite.set("timestamp", time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started_at or time.time())))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


class JUnitListener:
    """Collects the run's events and writes the XML when the run finishes (or on `write()`)."""

    def __init__(self, path: Path | str, suite_name: str = "runbooks") -> None:
        self.path = Path(path)
        self.suite_name = suite_name
        self.events: list[Event] = []

    def on_event(self, event: Event) -> None:
        self.events.append(event)
        if isinstance(event, RunFinished):
            self.write()

    def write(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(render_junit(self.events, self.suite_name), encoding="utf-8")
        return self.path


class StreamingJUnitListener:
    """JUnit XML for runs of thousands of jobs (bulk): each job's testcase is written to a parts
    file beside the XML as the job finishes, and its events dropped, so memory stays flat; `write()`
    wraps the parts in the suite. The parts file stays in the run folder, so a resumed run's XML
    holds every session's jobs. A job still running at `write()` is a failure ("did not finish")."""

    def __init__(self, path: Path | str, suite_name: str = "runbooks") -> None:
        self.path = Path(path)
        self.parts = self.path.with_name(self.path.name + ".parts")
        self.suite_name = suite_name
        self.open: dict[str, JobData] = {}

    def on_event(self, event: Event) -> None:
        if isinstance(event, JobStarted):
            self.open[event.job_id] = JobData(event.job_id, started=event)
        elif isinstance(event, StepFinished) and event.job_id in self.open:
            self.open[event.job_id].steps.append(event)
        elif isinstance(event, JobFinished):
            job = self.open.pop(event.job_id, None) or JobData(event.job_id)
            job.finished = event
            self._append(job)
        elif isinstance(event, RunFinished):
            self.write()

    def _append(self, job: JobData) -> None:
        suite = ET.Element("testsuite")
        failed, _ = _testcase(suite, job)
        case = suite[0]
        case.set("failed", "1" if failed else "0")  # counted by write(); removed there
        ET.indent(case, level=2)
        self.parts.parent.mkdir(parents=True, exist_ok=True)
        with self.parts.open("a", encoding="utf-8") as out:
            out.write("    " + ET.tostring(case, encoding="unicode").rstrip() + "\n")

    def _part_lines(self) -> Iterator[str]:
        if self.parts.exists():
            with self.parts.open(encoding="utf-8") as lines:
                yield from lines

    def write(self) -> Path:
        for job in list(self.open.values()):
            self._append(job)  # a job cut short (Ctrl-C, a stop): shown as not finished
        self.open.clear()
        # Two passes over the parts file, none held: the suite's counts go before its testcases.
        tests = failures = 0
        total = 0.0
        for line in self._part_lines():
            if line.startswith("    <testcase "):
                tests += 1
                failures += ' failed="1"' in line
                found = re.search(r' time="([0-9.]+)"', line)
                total += float(found.group(1)) if found else 0.0
        head = (
            f'<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n  <testsuite name={quoteattr(_clean(self.suite_name))} '
            f'tests="{tests}" failures="{failures}" errors="0" skipped="0" time="{total:.3f}" '
            f'timestamp="{time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())}">\n'
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("w", encoding="utf-8") as out:
            out.write(head)
            for line in self._part_lines():
                if line.startswith("    <testcase "):
                    line = line.replace(' failed="1"', "").replace(' failed="0"', "")
                out.write(line)
            out.write("  </testsuite>\n</testsuites>\n")
        return self.path

