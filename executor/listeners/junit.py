"""JUnit XML: one testcase per job; a failure reads as the YAML step, its location, the assertion.

Built with ElementTree (escaping included); characters XML 1.0 cannot hold are dropped.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from executor.events import Event, RunFinished, StepFinished
from executor.listeners.collect import JobData, collect

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
        error = job.finished.error if job.finished and job.finished.error else "the job did not finish"
        warning = job.finished.performed_warning() if job.finished else None
        if warning:
            error = f"{error} ({warning})"
        failure = ET.SubElement(case, "failure", message=_clean(error), type="StepFailed")
        step = job.first_failure
        failure.text = _clean((f"{warning}\n\n" if warning else "") + (failure_text(step) if step else error))
    out = []
    for s in job.steps:
        out.append(f"{s.status:8} {s.step_id} {s.title} ({s.location})" + (f" — {s.reason}" if s.reason else ""))
        out += [f"         dialog: {d.describe()}" for d in s.dialogs]
        out += [f"         download: {a.path} ({a.size} bytes, sha256 {a.sha256})" for a in s.artifacts if a.kind == "download"]
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
