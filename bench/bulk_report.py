"""The bulk report at 200, 1,000 and 10,000 rows: HTML size, data size, build time, peak memory.

    .venv/bin/python bench/bulk_report.py                    # 200 1000 10000 rows
    .venv/bin/python bench/bulk_report.py --rows 200 5000 --keep /tmp/bench-runs

No browser: `fabricate` writes a run folder as an aggregate downgrade with 4 workers would leave
it (journal.sqlite, run.log.jsonl, plan.json, run.json): per row a `reassign_license` job whose
events are those of the real runbook's plan (its steps' evaluated models, sources, checks and
screenshots, serialised by the real LogFileListener, redaction included), about 3% of the rows
failed at the destructive step (error, failure screenshot, page HTML, trace), 0.5% attention,
5% passed on a second job, 1% never found by the plan; logins, reads, purchases and a removal
outside the rows; two sessions two hours apart; the pace slowing down as the run goes. Image files
are not written (the report only links them).

Each build runs in a fresh Python process, twice: once for the time and the peak RSS
(`resource.getrusage`: the process, imports included), once under `tracemalloc` for the peak of
Python allocations alone (slower; its time is not reported).
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from executor.bulk.journal import SCHEMA  # noqa: E402 - after the path tweak
from executor.bulk.rundir import BulkRunDir, RunInfo  # noqa: E402
from executor.events import (  # noqa: E402
    Artifact,
    AssertionResult,
    Event,
    JobFinished,
    JobStarted,
    LocatorMatch,
    StepFinished,
    StepStarted,
    Timings,
)
from executor.listeners.log_file import LogFileListener  # noqa: E402
from executor.model.plan import Plan, PlannedStep  # noqa: E402
from executor.redaction import Redactor  # noqa: E402
from executor.workspace import Workspace  # noqa: E402

ADMIN = "admin@acme.example"
T_EMAIL = "tmplx@tmpl.example"  # the template row's key: replaced by each row's
T_SLUG = "tmplx-tmpl-example"
T_ROWDIR = "rows/0000-tmplx@tmpl.example"
T_JOB = "reassign-r0000-s1-0"
AT, TS = "@@AT@@", "@@TS@@"
START = 1_790_000_000.0  # a fixed day: runs are reproducible
PAUSE_S = 2 * 3600  # between the two sessions
HTTP_500 = "the portal answered HTTP 500 to POST /users/license/modify"


@dataclass(frozen=True)
class Shape:
    """What happens to the rows (fractions of the rows)."""

    failed: float = 0.03
    attention: float = 0.005
    retried: float = 0.05
    not_found: float = 0.01
    unchanged: float = 0.02
    workers: int = 4
    secret: str = ""  # a value that must never reach the report: put in a failed step's error


# --- the events of one template job ----------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _src(span: Any) -> str:
    """`runbooks/x.yaml:12:5`, as the engine writes it when run from the project's folder."""
    path = Path(span.file)
    if path.is_absolute() and path.is_relative_to(ROOT):
        path = path.relative_to(ROOT)
    return f"{path.as_posix()}:{span.line}:{span.col}"


class JobTemplate:
    """A job's event lines with the row's key, folder, job id and times left as tokens."""

    def __init__(self, lines: list[tuple[float, list[str]]]) -> None:
        self.lines = lines  # (seconds after the job starts, the line cut at its tokens)

    def fill(self, values: dict[str, str], start: float, scale: float) -> Iterator[str]:
        for offset, parts in self.lines:
            at = start + offset * scale
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at % 1 * 1e6):06d}Z"
            vals = {**values, AT: f"{at:.6f}", TS: f'"{stamp}"'}
            yield "".join(p if i % 2 == 0 else vals[p] for i, p in enumerate(parts))


_SERIAL = itertools.count(1)
_TOKEN = re.compile("(" + "|".join(re.escape(t) for t in (T_EMAIL, T_SLUG, T_ROWDIR, T_JOB, f'"{AT}"', f'"{TS}"')) + ")")


def _template(events: Sequence[tuple[float, Event]], redactor: Redactor, tmp: Path) -> JobTemplate:
    """Serialise the events with the real log listener (its JSON shape, its redaction), then cut
    the lines at the tokens."""
    path = tmp / f"template-{next(_SERIAL)}.jsonl"
    listener = LogFileListener(path, redactor)
    for _, e in events:
        listener.on_event(e)
    listener.close()
    lines = []
    for (offset, _), line in zip(events, path.read_text(encoding="utf-8").splitlines(), strict=True):
        data = json.loads(line)
        data["at"], data["timestamp"] = AT, TS
        text = json.dumps(data, ensure_ascii=False, default=str)
        parts = _TOKEN.split(text)
        parts = [p[1:-1] if p in (f'"{AT}"', f'"{TS}"') else p for p in parts]
        lines.append((offset, parts))
    return JobTemplate(lines)


def _job_events(plan: Plan, run: Path, *, fail_at: str | None, secret: str) -> list[tuple[float, Event]]:
    """The events of the plan's job, as the engine emits them: StepStarted before, StepFinished
    after each step (a `use` finishes after its children); a `repeat` whose condition held at
    once runs no round; `when`-false steps skipped. `fail_at`: the step id that fails (then its
    parents fail and nothing else runs)."""
    folder = str(run / T_ROWDIR / T_JOB)
    out: list[tuple[float, Event]] = []
    clock = [0.0]
    shots = [0]
    failed = [False]

    def walk(planned: PlannedStep) -> str:
        step = planned.step
        title = step.title()
        out.append((clock[0], StepStarted(T_JOB, planned.id, title, step.action, _src(step.source), len(planned.chain))))
        status, reason, error = "passed", None, None
        if step.action in ("done", "fail") and planned.chain == ():
            status, reason = "skipped", f"when: {step.when.expr} is false" if step.when else "skipped"
        children_status = []
        if step.action != "repeat":
            for child in planned.children:
                if failed[0]:
                    break
                children_status.append(walk(child))
        if "failed" in children_status:
            status, error = "failed", f"sub-runbook failed at a step of {planned.children[0].runbook}: {HTTP_500}"
        elif planned.id == fail_at:
            status = "failed"
            error = f"step {planned.id} '{title}' ({_src(step.source).rsplit(':', 1)[0]}): {HTTP_500}"
            if secret:
                error += f" (the form still held {secret})"
        duration = 0.9 if step.action in ("click", "goto", "select") else 0.05
        clock[0] += duration
        target = getattr(step.args, "target", None)
        matches = ()
        if target is not None:
            matches = (LocatorMatch(target.entry, target.describe(), 0, 2, f"role=button name=/^{title}$/i", False),)
        checked = "not_checked" if status == "failed" else "passed"
        assertions = tuple(
            AssertionResult(
                a.kind, f"{a.target.describe() if a.target else 'page'} {a.kind}", checked,
                target=a.target.entry if a.target else None, source=_src(a.source), duration_ms=120.0,
            )
            for a in step.expect
        )
        artifacts: tuple[Artifact, ...] = ()
        if status == "failed" and planned.id == fail_at:
            shots[0] += 1
            base = f"{folder}/{shots[0]:03d}-{_slug(title)}-failure"
            artifacts = (
                Artifact("screenshot", base + ".jpg", "page at failure"),
                Artifact("html", base + ".html", "page HTML"),
                Artifact("aria", base + ".aria.yaml", "aria snapshot"),
            )
        elif step.screenshot != "none" and status == "passed" and step.action not in ("use", "repeat"):
            shots[0] += 1
            artifacts = (Artifact("screenshot", f"{folder}/{shots[0]:03d}-{_slug(title)}.jpg", title),)
        out.append((clock[0], StepFinished(
            T_JOB, planned.id, title, step.action, _src(step.source), status, runbook=planned.runbook,  # type: ignore[arg-type]
            target=target.describe() if target is not None else None, depth=len(planned.chain),
            chain=tuple(_src(c) for c in planned.chain), reason=reason, error=error,
            yaml=f"- {step.action}: {title}\n" if status == "failed" else "",
            step=step.model_dump(mode="json"),
            timings=Timings(duration * 600, duration * 300, 120.0, duration * 1000),
            matches=matches, assertions=assertions, artifacts=artifacts, destructive=step.destructive,
            rounds=0 if step.action == "repeat" else None,
        )))  # fmt: skip
        if status == "failed":
            failed[0] = True
        return status

    for planned in plan.steps:
        if failed[0]:
            break
        walk(planned)
    return out


def _row_job(ws: Workspace, run: Path, target: str, *, fail: bool, secret: str) -> list[tuple[float, Event]]:
    params = {"user_email": T_EMAIL, "from_tier": "Pro", "target_tier": target}
    plan = ws.plan("_bulk/reassign_license.yaml", params)
    steps = _job_events(plan, run, fail_at="6.5" if fail else None, secret=secret)
    end = steps[-1][0] + 0.3
    folder = str(run / T_ROWDIR / T_JOB)
    start = JobStarted(run.name, T_JOB, "reassign_license", "runbooks/_bulk/reassign_license.yaml", "http://portal",
                       params, len(steps) // 2, folder)  # fmt: skip
    finished = JobFinished(
        run.name, T_JOB, "reassign_license", "failed" if fail else "passed", end * 1000,
        {"passed": 12, "skipped": 2} if not fail else {"passed": 10, "failed": 2},
        error=steps[-1][1].error if fail else None,  # type: ignore[union-attr]
        failed_step="6" if fail else None, outputs={"old_tier": "Pro"},
        artifacts=(Artifact("trace", folder + "/trace.zip", "trace"),) if fail else (),
        artifacts_dir=folder,
        performed=(f"'Save {T_EMAIL} on {target}' was sent and may have gone through",) if fail else (),
    )  # fmt: skip
    return [(0.0, start), *steps, (end, finished)]


def _other_job(ws: Workspace, run: Path, kind: str, plan: Plan, job_id: str) -> list[tuple[float, Event]]:
    folder = run / ("logins" if kind == "login" else "ops") / job_id
    events = _job_events(plan, run, fail_at=None, secret="")
    # The steps were made for a row folder: these live elsewhere.
    fixed: list[tuple[float, Event]] = []
    for at, e in events:
        if isinstance(e, StepFinished):
            e = StepFinished(**{**e.__dict__, "job_id": job_id, "artifacts": tuple(  # type: ignore[arg-type]
                Artifact(a.kind, a.path.replace(str(run / T_ROWDIR / T_JOB), str(folder)), a.label) for a in e.artifacts)})
        else:
            e = StepStarted(**{**e.__dict__, "job_id": job_id})  # type: ignore[arg-type]
        fixed.append((at, e))
    end = fixed[-1][0] + 0.2 if fixed else 0.5
    start = JobStarted(run.name, job_id, plan.runbook.name, str(plan.runbook.path), "http://portal", {}, len(fixed) // 2,
                       str(folder))  # fmt: skip
    done = JobFinished(run.name, job_id, plan.runbook.name, "passed", end * 1000, {"passed": len(fixed) // 2},
                       artifacts_dir=str(folder))  # fmt: skip
    return [(0.0, start), *fixed, (end, done)]


# --- the run folder ---------------------------------------------------------------------------------


def fabricate(folder: Path, rows: int, shape: Shape = Shape(), seed: int = 7, *, events: bool = True) -> dict[str, Any]:
    """Write a bulk run folder of `rows` rows into `folder` (created). Returns counts: rows by
    status, events and bytes of the log. `events=False`: the journal only (an empty log)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    run = folder.resolve()
    ws = Workspace.open(ROOT / "runbooks", ROOT / "selectors")
    redactor = Redactor([shape.secret] if shape.secret else [])
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        templates = {
            (target, fail): _template(_row_job(ws, run, target, fail=fail, secret=shape.secret), redactor, tmp)
            for target in ("Eco", "Advanced") for fail in (False, True)
        }  # fmt: skip
        others = {
            "login": _template(_other_job(ws, run, "login", ws.login_plan(ADMIN), T_JOB), redactor, tmp),
            "read": _template(_other_job(ws, run, "read", ws.plan("_bulk/read_pool.yaml", {}), T_JOB), redactor, tmp),
        }
    statuses = _statuses(rows, shape, rng)
    log = (folder / "run.log.jsonl").open("w", encoding="utf-8")
    if not events:
        log.close()
        log = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    written = 0
    db_rows: list[tuple[Any, ...]] = []
    ops: list[tuple[Any, ...]] = []
    notes: list[tuple[Any, ...]] = []
    session_split = int(rows * 0.6)
    clock = START

    def other(kind: str, job_id: str, at: float) -> float:
        nonlocal written
        values = {T_JOB: job_id, T_ROWDIR: T_ROWDIR, T_EMAIL: ADMIN, T_SLUG: _slug(ADMIN)}
        lines = list(others[kind].fill(values, at, 1.0)) if events else []
        log.write("\n".join(lines) + "\n")
        written += len(lines)
        return at + others[kind].lines[-1][0]

    for session, batch in ((1, range(1, session_split + 1)), (2, range(session_split + 1, rows + 1))):
        if session == 2:
            notes.append((clock, "session-end", None, "stopped: circuit breaker: 3 rows failed in a row"))
            clock += PAUSE_S
            notes.append((clock, "resume", None, "session 2"))
        for w in range(1, shape.workers + 1):
            clock = other("login", f"login-w{w}-{session}", clock)
        clock = other("read", f"read-s{session}-1", clock)
        workers = [(clock + w * 0.7, f"w{w}") for w in range(1, shape.workers + 1)]
        heapq.heapify(workers)
        seq = 0
        for n in batch:
            status = statuses[n]
            email = f"user{n:06d}@acme.example"
            if status == "not_found":
                db_rows.append((n, email, "failed", "user not found: will fail", None, None, None, 0, None, None, None))
                continue
            at, worker = heapq.heappop(workers)
            progress = n / rows
            scale = (1.0 + 1.6 * progress) * rng.uniform(0.8, 1.25)  # the portal slows down as the run goes
            target = "Advanced" if n % 3 == 0 else "Eco"
            rowdir = f"rows/{n:04d}-{email}"
            jobs = [True, False] if status == "retried" else [status in ("failed", "attention")]
            started = at
            for fail in jobs:
                seq += 1
                job_id = f"reassign-r{n:04d}-s{session}-{seq}"
                values = {T_JOB: job_id, T_ROWDIR: rowdir, T_EMAIL: email, T_SLUG: _slug(email)}
                template = templates[(target, fail)]
                lines = list(template.fill(values, at, scale)) if events else []
                log.write("\n".join(lines) + "\n")
                written += len(lines)
                ops.append((len(ops) + 1, "reassign", n, None, None, "reassign",
                            json.dumps({"email": email, "from": "Pro", "to": target}), at,
                            None if status == "attention" else ("not_done" if fail else "done"),
                            "verified: still holds Pro" if fail else "seen on the page", at + 5, int(fail)))  # fmt: skip
                at += template.lines[-1][0] * scale + 0.4
            final = {"retried": "changed"}.get(status, status)
            reason = {"changed": f"Pro → {target}", "unchanged": f"already on {target}",
                      "failed": f"step 6 'Move {email} to {target}': {HTTP_500}",
                      "attention": f"'Save {email} on {target}' may or may not have happened"}.get(final, "")  # fmt: skip
            db_rows.append((n, email, final, reason, "Pro", target if final == "changed" else None, worker,
                            1, started, at, str(run / rowdir)))  # fmt: skip
            heapq.heappush(workers, (at, worker))
        clock = max(t for t, _ in workers)
    notes.append((clock, "session-end", None, "finished"))
    log.close()
    _journal(folder / "journal.sqlite", db_rows, ops, notes, rows)
    _plan_and_run(folder, rows, statuses)
    counts: dict[str, int] = {}
    for r in db_rows:
        counts[r[2]] = counts.get(r[2], 0) + 1
    return {"rows": rows, "statuses": counts, "events": written, "log_bytes": (folder / "run.log.jsonl").stat().st_size}


def _statuses(rows: int, shape: Shape, rng: random.Random) -> dict[int, str]:
    out = {}
    for n in range(1, rows + 1):
        r = rng.random()
        edges = [("not_found", shape.not_found), ("failed", shape.failed), ("attention", shape.attention),
                 ("retried", shape.retried), ("unchanged", shape.unchanged)]  # fmt: skip
        status, acc = "changed", 0.0
        for name, share in edges:
            acc += share
            if r < acc:
                status = name
                break
        out[n] = status
    return out


def _journal(path: Path, rows: list[tuple[Any, ...]], ops: list[tuple[Any, ...]], notes: list[tuple[Any, ...]],
             total: int) -> None:  # fmt: skip
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.executemany(
        "INSERT INTO rows (row, key, params, status, reason, before, after, worker, attempts, started, finished,"
        " artifacts) VALUES (?, ?, '{}', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    eco = sum(1 for r in rows if r[5] == "Eco")
    adv = sum(1 for r in rows if r[5] == "Advanced")
    buys = [(1, "purchase", None, "Eco", eco, "purchase", "{}", START, "done", "Pay for Eco", START + 9, 0),
            (2, "purchase", None, "Advanced", adv, "purchase", "{}", START, "done", "Pay for Advanced", START + 19, 0)]  # fmt: skip
    db.executemany("INSERT INTO ops VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", buys)
    db.executemany(
        "INSERT INTO ops (kind, row, tier, quantity, phase, intent, intent_at, outcome, outcome_detail, outcome_at,"
        " verified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [op[1:] for op in ops],
    )
    db.executemany("INSERT INTO events (at, kind, row, detail) VALUES (?, ?, ?, ?)", notes)
    db.executemany(
        "INSERT INTO run (key, value) VALUES (?, ?)",
        [("plan_hash", json.dumps("bench")), ("sessions", json.dumps(2)), ("strategy", json.dumps("aggregate"))],
    )
    db.commit()
    db.close()


def _plan_and_run(folder: Path, rows: int, statuses: dict[int, str]) -> None:
    plan_rows = [{"row": n, "key": f"user{n:06d}@acme.example", "action": "fail" if statuses[n] == "not_found" else
                  "reassign", "text": "", "before": "Pro", "target": "Eco"} for n in range(1, rows + 1)]  # fmt: skip
    eco = sum(1 for r in plan_rows if r["action"] == "reassign")
    totals = {"buy": {"Eco": eco}, "use_free": {}, "remove": {"Pro": eco},
              "bill_before_cents": rows * 2900, "bill_after_cents": rows * 900}  # fmt: skip
    plan = {"runbook": "downgrade_license", "strategy": "aggregate", "rows": plan_rows, "totals": totals}
    (folder / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    BulkRunDir(folder).write_run(RunInfo(
        runbook=str(ROOT / "runbooks" / "downgrade_license.yaml"), runbook_sha256="bench", input=str(folder / "input.csv"),
        input_sha256="bench", base_url="http://portal.example", strategy="aggregate", workers=4, sessions=2,
    ))  # fmt: skip


# --- measuring --------------------------------------------------------------------------------------


def build_once(folder: Path, trace: bool) -> dict[str, Any]:
    """Build the report of `folder` in this process: sizes, time, peak memory."""
    from executor.bulk.report_page import write_report

    if trace:
        tracemalloc.start()
    started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    written = write_report(folder)
    seconds = time.perf_counter() - started
    used = resource.getrusage(resource.RUSAGE_SELF)
    out: dict[str, Any] = {
        "html_bytes": written.html_bytes,
        "data_bytes": written.data.bytes,
        "data_files": written.data.files,
        "largest_file": max(p.stat().st_size for p in (folder / "report-data").iterdir()),
        "events": written.data.events,
        "seconds": seconds,
        # CPU seconds: on a busy machine the wall-clock time says more about the neighbours.
        "cpu": used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    if trace:
        out["traced_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return out


def _in_child(folder: Path, trace: bool) -> dict[str, Any]:
    args = [sys.executable, __file__, "--build", str(folder)] + (["--trace"] if trace else [])
    result = subprocess.run(args, capture_output=True, text=True, check=True)
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 1e6 else f"{n / 1e3:,.0f} KB"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[200, 1000, 10000])
    parser.add_argument("--keep", type=Path, help="write the run folders here and keep them")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build:
        print(json.dumps(build_once(args.build, args.trace)))
        return 0
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-bulk-report-"))
    print(f"{'rows':>7} {'events':>9} {'log':>9} | {'html':>8} {'data':>9} {'files':>5} {'largest':>8} | "
          f"{'time':>7} {'cpu':>7} {'peak RSS':>9} {'py peak':>8}")  # fmt: skip
    try:
        for rows in args.rows:
            folder = base / f"run-{rows}"
            if folder.exists():
                shutil.rmtree(folder)
            made = fabricate(folder, rows)
            load = os.getloadavg()[0]
            timed = _in_child(folder, trace=False)
            traced = _in_child(folder, trace=True)
            print(f"{rows:>7,} {made['events']:>9,} {_mb(made['log_bytes']):>9} | {_mb(timed['html_bytes']):>8} "
                  f"{_mb(timed['data_bytes']):>9} {timed['data_files']:>5} {_mb(timed['largest_file']):>8} | "
                  f"{timed['seconds']:>6.1f}s {timed['cpu']:>6.1f}s {_mb(timed['max_rss_kb'] * 1024):>9} "
                  f"{_mb(traced['traced_peak']):>8}",
                  f"   (load {load:.1f} on {os.cpu_count()} CPUs)", flush=True)  # fmt: skip
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
