"""A bulk run from the command line's point of view: validate, plan, confirm, run, resume.

`run_bulk` (runbook run --input, runbook plan --input) and `resume_bulk` (runbook resume) return
exit codes: 0 every row changed or unchanged; 1 a row failed or needs attention, or the run
stopped early; 2 invalid input (nothing was contacted).
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from executor.browser import BrowserSettings, open_browsers
from executor.bulk import aggregate, crash, per_row
from executor.bulk.journal import Journal, RowRecord, RowStatus
from executor.bulk.ledger import status_lines, summarize, write_results
from executor.bulk.planning import BulkPlan, RowPlan, money, plan_lines
from executor.bulk.progress import ProgressView
from executor.bulk.rate_limit import RateLimiter
from executor.bulk.report_page import write_report_or_warn
from executor.bulk.row_events import BulkNote, BulkStarted, publish
from executor.bulk.rows import InputError, InputRow, RowProblem, RowSet, read_rows
from executor.bulk.run_state import BulkRun, BulkSettings
from executor.bulk.rundir import BulkRunDir, RunInfo, sha256_of
from executor.bulk.safety import Ask, CircuitBreaker, Gate, confirm, interactive
from executor.bulk.workers import AuthPlan, BrowserSlot, LoginFailed, NoBrowserLeft, WorkerPool
from executor.engine import EngineOptions
from executor.events import Bus
from executor.listeners import StreamingJUnitListener
from executor.listeners.log_file import LogFileListener
from executor.load.diagnostics import LoadError, render_diagnostics
from executor.model.plan import Plan
from executor.model.runbook import Runbook
from executor.plan import PlanError, destructive_steps
from executor.redaction import MASK, Redactor
from executor.workspace import Workspace

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
STRATEGIES = {aggregate.RUNBOOK: aggregate.NAME}  # runbook name -> its aggregate strategy
# Runbooks whose checks read pool-wide counts ("one more free Pro than before"): rows run side by
# side change those counts under each other, so per-row runs of them use one worker.
SERIAL = {aggregate.RUNBOOK: "its checks compare pool-wide license counts, which parallel rows change"}


@dataclass
class BulkRequest:
    runbook: Path
    input: Path
    base_url: str
    params: dict[str, Any] = field(default_factory=dict)  # --param: the same for every row
    sheet: str | None = None  # an .xlsx input's sheet (default: the first)
    settings: BulkSettings = BulkSettings()
    dry_run: bool = False
    strategy: str | None = None  # aggregate | per-row; None: aggregate when the runbook has one
    run_dir: Path | None = None
    login_as: str | None = None
    auth_state: Path | None = None
    runbooks_root: Path | None = None
    selectors: Path | None = None
    engine: EngineOptions = field(default_factory=EngineOptions)
    browser: BrowserSettings = field(default_factory=BrowserSettings)
    ask: Ask | None = None  # tests answer the confirmations
    live: bool | None = None  # the rich live view (default: when stderr is a terminal)


@dataclass
class Prepared:
    ws: Workspace
    runbook: Runbook
    rowset: RowSet
    plans: dict[int, Plan]
    strategy: str
    redactor: Redactor


def _err(text: str) -> None:
    print(text, file=sys.stderr)


# --- validation (no browser) -------------------------------------------------------------------


def prepare(req: BulkRequest, input_path: Path | None = None) -> Prepared | int:
    """Load the runbook, validate the whole input and plan every row; an exit code on failure."""
    try:
        ws = Workspace.open(req.runbooks_root, req.selectors)
        runbook = ws.runbook(req.runbook)
    except LoadError as err:
        _err(render_diagnostics(err.diagnostics))
        return EXIT_INVALID
    except OSError as err:
        _err(f"error: {err}")
        return EXIT_INVALID
    strategy = req.strategy or STRATEGIES.get(runbook.name, per_row.NAME)
    if strategy == aggregate.NAME and STRATEGIES.get(runbook.name) != aggregate.NAME:
        _err(f"error: --strategy aggregate: {runbook.name} has no aggregate strategy (use per-row)")
        return EXIT_INVALID
    try:
        rowset = read_rows(input_path or req.input, runbook, req.params, sheet=req.sheet)
    except InputError as err:
        _err(err.render())
        return EXIT_INVALID
    plans: dict[int, Plan] = {}
    problems: list[RowProblem] = []
    for row in rowset.rows:
        try:
            plans[row.number] = ws.plan(runbook, dict(row.params))
        except PlanError as err:
            problems += [RowProblem(p, line=row.line, row=row.number) for p in err.problems]
    if problems:
        _err(InputError(req.input, problems).render())
        return EXIT_INVALID
    if strategy == aggregate.NAME:
        try:
            for name in aggregate.RUNBOOKS:
                ws.runbook(name)
        except LoadError as err:
            _err(render_diagnostics(err.diagnostics))
            return EXIT_INVALID
    secrets: set[str] = set()
    for plan in plans.values():
        secrets |= set(plan.secrets)
    return Prepared(ws, runbook, rowset, plans, strategy, Redactor(secrets))


def _check_auth(req: BulkRequest) -> str | None:
    if req.auth_state is not None and not req.auth_state.is_file():
        return f"--auth-state {req.auth_state}: no such file (make one with `runbook login`)"
    if req.login_as is None and req.auth_state is None:
        return "a bulk run needs --login-as EMAIL or --auth-state FILE"
    return None


# --- listeners ------------------------------------------------------------------------------------


@dataclass
class Evidence:
    # No HTML listener: report.html is built from the run folder (journal + run.log.jsonl) when the
    # session ends (executor.bulk.report_page), so memory does not grow with the rows.
    bus: Bus
    junit: StreamingJUnitListener
    log: LogFileListener
    progress: ProgressView

    def close(self) -> None:
        self.progress.stop()
        self.junit.write()
        self.log.close()


def _evidence(rundir: BulkRunDir, runbook: str, redactor: Redactor, live: bool | None) -> Evidence:
    bus = Bus()
    junit = StreamingJUnitListener(rundir.path / "junit.xml", suite_name=runbook)
    log = LogFileListener(rundir.path / "run.log.jsonl", redactor)
    progress = ProgressView(live=live)
    for listener in (junit, log, progress):
        bus.subscribe(listener)
    return Evidence(bus, junit, log, progress)


# --- plans ------------------------------------------------------------------------------------------


def _generic_plan(prep: Prepared) -> BulkPlan:
    rows = tuple(
        RowPlan(r.number, r.key, "run", f"will run {prep.runbook.name}") for r in prep.rowset.rows
    )
    return BulkPlan(prep.runbook.name, per_row.NAME, rows)


def _stored_plan_rows(rundir: BulkRunDir) -> dict[int, RowPlan]:
    data = rundir.read_plan()
    return {int(r["row"]): RowPlan(**r) for r in data["rows"]}


def _print_plan(plan: BulkPlan, rundir: BulkRunDir) -> None:
    rundir.write_plan(plan.as_json(), "\n".join(plan_lines(plan)))
    for line in plan_lines(plan, limit=40):
        print(line)
    print(f"plan: {rundir.path / 'plan.txt'}")


def _totals_question(plan: BulkPlan, prep: Prepared) -> str:
    t = plan.totals
    if plan.strategy == aggregate.NAME:
        what = (
            f"buy {', '.join(f'{n} {k}' for k, n in t.buy.items()) or 'nothing'}, "
            f"reassign {plan.counts()['reassign']} users, "
            f"remove {', '.join(f'{n} {k}' for k, n in t.remove.items()) or 'nothing'}; "
            f"monthly bill {money(t.bill_before_cents)} → {money(t.bill_after_cents)} CAD"
        )
    else:
        destructive = sorted({p.step.title() for plan_ in prep.plans.values() for p in destructive_steps(plan_.steps)})
        what = f"run {prep.runbook.name} on {len(prep.plans)} rows (destructive steps: {', '.join(destructive) or 'none'})"
    return f"This run will {what}."


# --- the session ----------------------------------------------------------------------------------


def _install_sigint(gate: Gate, bus: Bus) -> None:
    loop = asyncio.get_running_loop()

    def on_sigint() -> None:
        if not gate.stopping:
            gate.stop("interrupted (Ctrl-C)")
            publish(bus, BulkNote("warning", "Ctrl-C: no new row starts; running ones finish (Ctrl-C again: stop after the current step)"))
        else:
            gate.halt()
            publish(bus, BulkNote("error", "Ctrl-C again: stopping after the current step"))

    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    except (NotImplementedError, RuntimeError):  # not the main thread (tests, bench)
        pass


def _ignore_sigint() -> Any:
    try:
        return signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: nobody presses Ctrl-C there
        return None


def _remove_sigint() -> None:
    try:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
    except (NotImplementedError, RuntimeError):
        pass


async def _session(
    req: BulkRequest,
    prep: Prepared,
    rundir: BulkRunDir,
    *,
    resume: bool,
    session: int,
) -> int:
    gate = Gate()
    journal = Journal.open(rundir.journal) if resume or not req.dry_run else None
    ev = _evidence(rundir, prep.runbook.name, prep.redactor, req.live)
    settings = req.settings
    shared = prep.strategy == aggregate.NAME
    workers = settings.workers
    if not shared and workers > 1 and prep.runbook.name in SERIAL:
        publish(ev.bus, BulkNote("warning", f"per-row {prep.runbook.name}: {SERIAL[prep.runbook.name]}; using 1 worker"))
        workers = 1
    if not shared and req.login_as is None and workers > 1:
        publish(ev.bus, BulkNote("warning", "per-row with --auth-state: one session cannot serve several workers (they would share one purchase summary); using 1 worker"))
        workers = 1
    options = replace(req.engine, redactor=prep.redactor)
    limiter = RateLimiter(settings.rate_limit, burst=workers) if settings.rate_limit else None
    started = time.monotonic()
    # Ctrl-C must reach this process only: in a terminal it goes to the whole process group, and
    # Playwright's driver would die (and close the browser under the running steps). A child keeps
    # an ignored signal across exec, so SIGINT is ignored while the driver starts, the browser is
    # told not to handle it either, and only then does this process catch it.
    previous = _ignore_sigint()
    try:
        launch = None if req.browser.remotes else {**req.browser.launch_kwargs(), "handle_sigint": False}
        async with open_browsers(req.browser, launch=launch) as browsers:
            _install_sigint(gate, ev.bus)
            if settings.workers_per_server:
                workers = settings.workers_per_server * len(browsers)
            pool = WorkerPool(
                ws=prep.ws,
                browsers=[BrowserSlot(label, browser) for label, browser in browsers],
                settings=req.browser,
                base_url=req.base_url,
                auth=AuthPlan(req.login_as, req.auth_state, shared=shared, interactive=settings.interactive),
                size=1 if (req.dry_run and shared) else workers,
                options=options,
                bus=ev.bus,
                gate=gate,
                artifacts_dir=rundir.path,
                limiter=limiter,
                run_id=rundir.path.name,
                recycle_every=settings.recycle_every,
                recycle_heap_mb=settings.recycle_heap_mb,
            )
            try:
                await pool.start()
            except LoginFailed as err:
                _err(f"error: {err}")
                return EXIT_FAILED
            try:
                return await _work(req, prep, rundir, pool, gate, ev, journal, resume=resume, session=session)
            finally:
                await pool.close()
    finally:
        _remove_sigint()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        ev.close()
        if journal is not None:
            write_results(journal, rundir.results)
            journal.close()
        # --- report: built from the run folder once the log and the journal are closed ---
        write_report_or_warn(rundir.path)
        _err(f"time: {time.monotonic() - started:.1f} s; run folder: {rundir.path}")


async def _work(
    req: BulkRequest,
    prep: Prepared,
    rundir: BulkRunDir,
    pool: WorkerPool,
    gate: Gate,
    ev: Evidence,
    journal: Journal | None,
    *,
    resume: bool,
    session: int,
) -> int:
    rows = {r.number: r for r in prep.rowset.rows}
    scratch = journal or Journal.open(rundir.path / ".dry-run.sqlite")
    run = BulkRun(
        ws=prep.ws,
        runbook=prep.runbook,
        rows=rows,
        journal=scratch,
        rundir=rundir,
        pool=pool,
        gate=gate,
        bus=ev.bus,
        settings=req.settings,
        breaker=CircuitBreaker(req.settings.max_failures, req.settings.max_failure_rate),
        ask=req.ask,
        session=session,
    )
    if journal is not None:
        pool.note_sink = lambda level, message: journal.event(level, message)
    try:
        if resume:
            assert journal is not None
            plan_rows = _stored_plan_rows(rundir)
        else:
            plan = await _make_plan(run, prep, dry_run=req.dry_run)
            if plan is None:
                return EXIT_FAILED
            _print_plan(plan, rundir)
            if req.dry_run:
                return EXIT_OK
            # In a thread: the browser's connection keeps being served while the operator reads.
            question = _totals_question(plan, prep)
            if not await asyncio.to_thread(confirm, question, assume_yes=req.settings.yes, ask=req.ask):
                _err("not confirmed: nothing was changed")
                return EXIT_FAILED
            assert journal is not None
            _start_journal(journal, plan, rows, rundir, {p.name for p in prep.runbook.params if p.secret})
            crash.point("planned")
            plan_rows = {r.row: r for r in plan.rows}
        if gate.stopping:
            return EXIT_FAILED
        todo = len(journal.rows("pending", "running"))
        publish(ev.bus, BulkStarted(str(rundir.path), todo, len(rows) - todo, len(pool.workers), prep.strategy))
        if prep.strategy == aggregate.NAME:
            await aggregate.AggregateDowngrade(run, plan_rows).execute()
        else:
            await per_row.PerRow(run, prep.plans).execute()
    except (aggregate.StateReadFailed, LoginFailed, NoBrowserLeft) as err:
        run.stop(str(err))
    finally:
        if journal is None:
            scratch.close()
            (rundir.path / ".dry-run.sqlite").unlink(missing_ok=True)
    assert journal is not None
    journal.event("session-end", gate.stop_reason or "finished")
    ev.progress.stop()  # the live view ends before the summary is printed
    return _conclude(journal, rundir, gate, run)


async def _make_plan(run: BulkRun, prep: Prepared, *, dry_run: bool) -> BulkPlan | None:
    """The plan: from the portal's state (aggregate; a dry run also probes the destructive
    locators) or, per-row, from a dry run of every row (only when a dry run is asked for)."""
    worker = run.pool.first()
    if prep.strategy == aggregate.NAME:
        strategy = aggregate.AggregateDowngrade(run, {})
        try:
            plan, state = await strategy.make_plan(worker)
        except aggregate.StateReadFailed as err:
            _err(f"error: {err}")
            return None
        if dry_run:
            plan = replace(plan, notes=tuple(await strategy.probe(worker, plan, state)))
        return plan
    if dry_run:
        return await per_row.PerRow(run, prep.plans).dry_run()
    return _generic_plan(prep)


def _start_journal(
    journal: Journal, plan: BulkPlan, rows: Mapping[int, InputRow], rundir: BulkRunDir, secret: set[str]
) -> None:
    """Every row, once. Rows the plan already decided (already on target, user not found) are
    final from the start; the rest are pending."""
    records = []
    for rp in plan.rows:
        row = rows[rp.row]
        status: RowStatus = {"unchanged": "unchanged", "fail": "failed"}.get(rp.action, "pending")  # type: ignore[assignment] - the literals above
        params = {k: (MASK if k in secret else v) for k, v in row.params.items()}
        records.append(
            RowRecord(
                rp.row,
                row.key,
                params,
                status,
                rp.text if status != "pending" else None,
                rp.before,
                rp.before if status == "unchanged" else None,
            )
        )
    journal.add_rows(records)
    journal.set_run(
        {"plan_hash": plan.digest(), "sessions": 1, "strategy": plan.strategy, "run_dir": str(rundir.path)}
    )


def _conclude(journal: Journal, rundir: BulkRunDir, gate: Gate, run: BulkRun) -> int:
    s = summarize(journal)
    print("\n".join(status_lines(journal, events=0)))
    print(
        f"retries: {run.retries}; outcomes verified on the portal this session: {run.verifications}; "
        f"browser contexts recycled: {run.pool.recycled}"
    )
    print(f"results: {rundir.results}")
    print(f"report: {rundir.report}")
    waste = aggregate.freed_not_removed(journal.ops())
    if waste:
        # Principle 5: say what is billed for nothing until the run goes on.
        print(
            "still in the pool, billed, until the run is resumed: "
            + ", ".join(f"{n} {t}" for t, n in sorted(waste.items()))
            + " license(s) this run freed or bought"
        )
    if gate.stopping or s.finished < s.rows:
        print(f"stopped: {gate.stop_reason or 'not every row finished'}")
        print(f"resume with: runbook resume {rundir.path}")
        return EXIT_FAILED
    return EXIT_OK if s.ok else EXIT_FAILED


# --- entry points ---------------------------------------------------------------------------------


def run_bulk(req: BulkRequest) -> int:
    prep = prepare(req)
    if isinstance(prep, int):
        return prep
    problem = _check_auth(req)
    if problem:
        _err(f"error: {problem}")
        return EXIT_INVALID
    if not req.dry_run and not req.settings.yes and req.ask is None and not interactive():
        _err("error: this run changes the portal: give --yes, or run it from a terminal to confirm the plan")
        return EXIT_INVALID
    try:
        rundir = BulkRunDir.create(f"{prep.runbook.name}-{'plan' if req.dry_run else 'bulk'}", req.run_dir)
    except FileExistsError as err:
        _err(f"error: {err}")
        return EXIT_INVALID
    shutil.copyfile(req.input, rundir.input_copy)
    if not req.dry_run:
        rundir.write_run(_run_info(req, prep))
    lock = rundir.lock()
    del lock  # held until the process exits
    return asyncio.run(_session(req, prep, rundir, resume=False, session=1))


def _run_info(req: BulkRequest, prep: Prepared) -> RunInfo:
    root = prep.ws.runbooks_root
    # Everything the run may execute is pinned: the strategy's runbooks and every shared piece any
    # of them uses (the money checks live in `_shared/checkout_licenses.yaml`).
    files = [root / name for name in aggregate.RUNBOOKS] if prep.strategy == aggregate.NAME else []
    for source in [prep.runbook, *(prep.ws.runbook(f) for f in list(files))]:
        files += prep.ws.used_files(source)
    others = {str(f): sha256_of(f) for f in dict.fromkeys(files)}
    secret = {p.name for p in prep.runbook.params if p.secret}
    s = req.settings
    return RunInfo(
        runbook=str(Path(prep.runbook.path).resolve()),
        runbook_sha256=sha256_of(Path(prep.runbook.path)),
        input=str(req.input.resolve()),
        input_sha256=prep.rowset.sha256,
        base_url=req.base_url,
        strategy=prep.strategy,
        workers=s.workers,
        runbooks=others,
        params={k: (MASK if k in secret else v) for k, v in req.params.items()},
        sheet=req.sheet,
        login_as=req.login_as,
        auth_state=str(req.auth_state) if req.auth_state else None,
        options={
            "canary": s.canary,
            "max_failures": s.max_failures,
            "max_failure_rate": s.max_failure_rate,
            "rate_limit": s.rate_limit,
            "screenshots": req.engine.screenshots,
            "trace": req.engine.trace,
            "timeout_ms": req.engine.action_timeout_ms,
        },
    )


def resume_bulk(run_dir: Path, req: BulkRequest) -> int:
    """`req` carries the options of this session (login, workers, --yes, ...); the runbook, the input
    and the base URL come from run.json."""
    rundir = BulkRunDir(run_dir)
    if not rundir.has_run():
        _err(f"error: {run_dir} holds no bulk run (no run.json)")
        return EXIT_INVALID
    info = rundir.read_run()
    problems = info.changed_files()
    if sha256_of(rundir.input_copy) != info.input_sha256:
        problems.append(f"{rundir.input_copy}: the run's copy of the input changed")
    if problems:
        for p in problems:
            _err(f"error: {p}")
        _err("refusing to resume: start a new run for the changed runbook or input")
        return EXIT_INVALID
    try:
        lock = rundir.lock()
    except BlockingIOError:
        _err(f"error: another process is working on {run_dir}")
        return EXIT_INVALID
    del lock
    req.runbook = Path(info.runbook)
    req.input = Path(info.input)
    req.base_url = req.base_url or info.base_url
    req.params = dict(info.params)
    req.sheet = info.sheet  # the same sheet as the first session read: other rows otherwise
    req.strategy = info.strategy
    req.login_as = req.login_as or info.login_as
    if req.auth_state is None and info.auth_state:
        req.auth_state = Path(info.auth_state)
    prep = prepare(req, input_path=rundir.input_copy)
    if isinstance(prep, int):
        return prep
    problem = _check_auth(req)
    if problem:
        _err(f"error: {problem}")
        return EXIT_INVALID
    journal = Journal.open(rundir.journal)
    try:
        if journal.run_value("plan_hash") is None:
            _err("error: the journal holds no plan: the run never started; start it again")
            return EXIT_INVALID
        session = int(journal.run_value("sessions", 1)) + 1
        journal.set_run({"sessions": session})
        journal.event("resume", f"session {session}")
        left = journal.rows("pending", "running", "failed")
        for rec in journal.rows("failed"):
            if rec.attempts > 0:  # tried and failed: try again (a plan-time failure stays)
                journal.set_row_status(rec.row, "pending", "retried on resume")
    finally:
        journal.close()
    if not left:
        print("every row is finished; checking for unknown outcomes and removals still due")
    info.sessions = session
    rundir.write_run(info)
    if not req.settings.yes and req.ask is None and not interactive():
        _err("error: resuming changes the portal: give --yes, or run it from a terminal to confirm")
        return EXIT_INVALID
    if not confirm(f"Resume {run_dir} ({len(left)} rows left)?", assume_yes=req.settings.yes, ask=req.ask):
        _err("not confirmed: nothing was changed")
        return EXIT_FAILED
    return asyncio.run(_session(req, prep, rundir, resume=True, session=session))


def status(run_dir: Path) -> int:
    rundir = BulkRunDir(run_dir)
    if not rundir.journal.is_file():
        _err(f"error: {run_dir} holds no journal (a dry run, or not a bulk run folder)")
        return EXIT_INVALID
    info = rundir.read_run() if rundir.has_run() else None
    if info is not None:
        print(f"run: {rundir.path} ({info.strategy}, {info.workers} worker(s), sessions: {info.sessions})")
        print(f"runbook: {info.runbook}  input: {info.input}")
        changed = info.changed_files()
        for problem in changed:
            print(f"warning: {problem} (resume would refuse)")
    journal = Journal.open(rundir.journal)
    try:
        for line in status_lines(journal):
            print(line)
        s = summarize(journal)
    finally:
        journal.close()
    if rundir.results.is_file():
        print(f"results: {rundir.results}")
    return EXIT_OK if s.ok else EXIT_FAILED
