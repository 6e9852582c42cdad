"""Did an example hold, and if not, the failure as a runbook author reads it (tavern's habit).

A failure shows the YAML step that failed where it is written (`file:line:col`, the source lines),
the evaluated and redacted step, its checks (expected and found), the selectors with their
candidates, the error, and the evidence on disk (screenshot, page HTML, trace, report). A
ground-truth mismatch shows as a small table. No Python traceback: `--runbook-traceback` has it.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from executor.engine import JobResult
from executor.events import StepFinished
from executor.load.diagnostics import display_path
from executor.model.catalogue import Catalogue
from executor.qa import ground_truth
from executor.qa.ground_truth import Mismatch
from executor.qa.session import LOGIN_RUNBOOK, ExampleRun, ExampleSpec
from executor.redaction import MASK

MAX_SOURCE_LINES = 16


class ExampleFailed(AssertionError):
    """The example did not hold; its message is the whole rendered failure."""


@dataclass(frozen=True)
class Where:
    """How paths are shown: relative to the directory pytest was started from."""

    base: Path
    report: Path | None = None

    def path(self, p: str | Path) -> str:
        return display_path(str((self.base / p).resolve()), self.base)


# --- judging ----------------------------------------------------------------------------------


def problems(run: ExampleRun, where: Where) -> list[str]:
    """Every way the example failed, each rendered; empty when it held."""
    example = run.spec.example
    out: list[str] = []
    if run.result is None:
        assert run.login is not None
        login = where.path(run.spec.loader.shared_path(LOGIN_RUNBOOK))
        out.append(_job_failure(f"the login ({login}) failed before the runbook ran", run.login, run, where))
        return out
    failed = run.result.status == "failed"
    if example.outcome == "passed" and failed:
        out.append(_job_failure("the example expects the runbook to pass", run.result, run, where))
    elif example.outcome == "failed" and not failed:
        out.append("the runbook passed; the example expects it to refuse (outcome: failed)")
    if example.outcome == "failed" and failed and run.after is None:
        # No ground truth on a real portal: the refusal must come before anything is bought or removed.
        ran = [s for s in run.result.steps if s.destructive and s.status != "skipped"]
        if ran:
            out.append(
                "the runbook must refuse before any destructive step, but "
                + ", ".join(f"step {s.step_id} '{s.title}' ({s.location})" for s in ran)
                + " ran"
            )
    if run.before is not None and run.after is not None:
        mismatches = state_mismatches(example.expect_state, example.outcome, run.before, run.after)
        if mismatches:
            out.append(_state_failure(mismatches, run))
    return out


def state_mismatches(
    expect: Mapping[str, Any], outcome: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[Mismatch]:
    found = ground_truth.check(expect, before, after)
    if outcome == "failed":
        # A refusal changes nothing, apart from what the example itself states.
        stated = {m.key for m in found} | _stated_keys(expect)
        found += [m for m in ground_truth.unchanged(before, after) if m.key not in stated]
    return found


def _stated_keys(expect: Mapping[str, Any]) -> set[str]:
    keys = {f"users.{email}" for email in (expect.get("users") or {})}
    keys |= {f"pool.{tier}.{name}" for tier, fields in (expect.get("pool") or {}).items() for name in fields}
    if "ledger_delta" in expect:
        keys.add("ledger")
    return keys


# --- rendering --------------------------------------------------------------------------------


def render(run: ExampleRun, found: list[str], where: Where) -> str:
    """The first problem's first line heads the text (pytest's short summary and JUnit show it),
    then which example this is, then every problem and the evidence."""
    spec = run.spec
    example = spec.example
    params = ", ".join(f"{k}={_shown(spec, k, v)}" for k, v in example.params.items())
    context = [f"seed {example.seed}"] + ([f"dialect {spec.dialect}"] if spec.dialect else [])
    about = (
        f"example '{example.name}' ({where.path(example.source.file)}:{example.source.line}:{example.source.col}): "
        f"params {params or '(none)'}; {'; '.join(context)}; outcome {example.outcome}"
    )
    headline, _, body = found[0].partition("\n")
    sections = [f"{headline}\n{about}", body.strip("\n"), *found[1:], _evidence(run, where)]
    return "\n\n".join(s.rstrip() for s in sections if s.strip())


def _shown(spec: ExampleSpec, name: str, value: Any) -> str:
    param = spec.runbook.param(name)
    return MASK if param is not None and param.secret else str(value)


def _job_failure(why: str, job: JobResult, run: ExampleRun, where: Where) -> str:
    step = next((s for s in job.steps if s.status == "failed"), None)
    if step is None:  # an expired session, or the engine itself
        return f"{why}\n{job.error or 'the job did not finish'}"
    headline, body = render_step(step, run.spec.catalogue, where)
    return f"{headline}; {why}\n{body}"


def _state_failure(mismatches: list[Mismatch], run: ExampleRun) -> str:
    lines = ["the portal's state after the run (/_test/state) is not as expected:", ""]
    lines += ["  " + line for line in ground_truth.table(mismatches).splitlines()]
    if run.result is not None and run.spec.example.outcome == "failed":
        ran = [s for s in run.result.steps if s.destructive and s.status != "skipped"]
        if ran:
            lines.append("")
            lines += [
                f"  destructive step {s.step_id} '{s.title}' ({s.location}) ran before the refusal"
                for s in ran
            ]
    return "\n".join(lines)


def source_lines(source: str, base: Path, limit: int = MAX_SOURCE_LINES) -> list[str]:
    """The step as written: its first line and the lines indented under it, with line numbers."""
    try:
        file, line_text, col_text = source.rsplit(":", 2)
        line, col = int(line_text), int(col_text)
        text = (base / file).read_text(encoding="utf-8").splitlines()
    except (ValueError, OSError):
        return []
    if not 1 <= line <= len(text):
        return []
    block = [line]
    for number in range(line + 1, len(text) + 1):
        body = text[number - 1]
        indent = len(body) - len(body.lstrip(" "))
        if body.strip() and indent < col - 1:
            break
        block.append(number)
    while len(block) > 1 and not text[block[-1] - 1].strip():
        block.pop()
    shown = block[:limit]
    width = len(str(shown[-1]))
    out = [f"  {n:>{width}} | {text[n - 1]}".rstrip() for n in shown]
    if len(block) > limit:
        out.append(f"  {' ' * width} | ...")
    return out


def _location(source: str, where: Where) -> str:
    file, _, rest = source.rpartition(":")
    file, _, line = file.rpartition(":")
    return f"{where.path(file)}:{line}:{rest}" if file else source


def render_step(step: StepFinished, catalogue: Catalogue | None, where: Where) -> tuple[str, str]:
    """(`file:line:col: step N 'title' failed`, the rest: source, evaluated step, checks, selectors, error)."""
    headline = f"{_location(step.source, where)}: step {step.step_id} '{step.title}' failed"
    lines = [f"  in a sub-runbook used at {_location(c, where)}" for c in reversed(step.chain)]
    written = source_lines(step.source, where.base)
    if written:
        lines += ["", *written]
    if step.yaml:
        lines += ["", "evaluated step:", textwrap.indent(step.yaml, "    ")]
    failed_checks = [a for a in step.assertions if a.status == "failed"]
    if step.assertions:
        lines += ["", "checks:"]
        for a in step.assertions:
            mark = {"passed": "ok", "failed": "FAILED", "not_checked": "not checked"}[a.status]
            found = f": {a.error}" if a.error and a.status == "failed" else ""
            lines.append(f"  {mark:<11} {a.expected}{found}")
            if a.message and a.status == "failed":
                lines.append(f"  {'':<11} {a.message}")
    lines += _selectors(step, catalogue)
    if step.error and not failed_checks:  # a failed check already says what was expected and found
        lines += ["", "error:", textwrap.indent(_without_location(step), "  ")]
    return headline, "\n".join(lines)


def _without_location(step: StepFinished) -> str:
    prefix = f"step {step.step_id} '{step.title}' ({step.source}): "
    return step.error[len(prefix) :] if step.error and step.error.startswith(prefix) else (step.error or "")


def _selectors(step: StepFinished, catalogue: Catalogue | None) -> list[str]:
    if catalogue is None:
        return []
    targets = [step.target] if step.target else []
    targets += [a.target for a in step.assertions if a.target and a.status == "failed"]
    lines: list[str] = []
    seen: set[str] = set()
    for target in targets:
        assert target is not None
        name = target.split("(", 1)[0]
        entry = catalogue.entries.get(name)
        if entry is None or target in seen:
            continue
        seen.add(target)
        match = next((m for m in step.matches if m.target == target or m.entry == name), None)
        found = f"found by {match.description} ({match.label})" if match else "not found"
        lines.append(f"  {target}: {found}")
        for i, candidate in enumerate(entry.candidates, 1):
            lines.append(f"    {i}. {candidate.describe()}")
    return (["", "selectors:", *lines]) if lines else []


def _evidence(run: ExampleRun, where: Where) -> str:
    rows: list[tuple[str, str]] = []
    jobs = [j for j in (run.login, run.result) if j is not None]
    for job in jobs:
        step = next((s for s in job.steps if s.status == "failed"), None)
        for artifact in step.artifacts if step else ():
            rows.append((artifact.label or artifact.kind, where.path(artifact.path)))
        if job.trace is not None:
            rows.append(("trace", where.path(job.trace)))
    rows += [("video", where.path(v)) for v in run.videos]
    rows.append(("artifacts", where.path(run.artifacts_dir) + os.sep))
    if where.report is not None:
        rows.append(("report", where.path(where.report)))
    width = max(len(k) for k, _ in rows)
    return "evidence:\n" + "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)
