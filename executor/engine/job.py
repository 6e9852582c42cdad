"""A job: one plan walked on one page (and the tabs it opens), leaving evidence for every step.

Per step: evaluate (render `vars.*` templates) -> `when` -> arm the dialogs it declares -> act
(Playwright auto-waits) -> let a navigation it started settle -> the dialogs it declared, the tab
it opens -> the step's `expect` assertions (web-first, retrying) -> screenshot -> `StepFinished`.
A failure saves a screenshot, the page's HTML and its aria snapshot (all redacted) and stops the
job, unless the step is `optional` (then it warns). Policies (retry, optional, dry run, session
expiry, dialogs) live here; the actions stay small; errors are located here, at the boundary
that knows the step (`failures.py`).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import structlog
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page

from executor import actions
from executor import plan as planning
from executor.actions.assertions import check as check_assertion
from executor.actions.assertions import describe as describe_assertion
from executor.actions.base import ActionSpec
from executor.actions.flow import DoneRequested, FailRequested
from executor.describe import step_yaml, target_of, title_of
from executor.engine.conditions import describe_condition, page_condition
from executor.engine.dialogs import DialogBroker, DialogError
from executor.engine.evidence import Capturer, failure_evidence
from executor.engine.failures import AssertionFailed, located
from executor.engine.locate import LocatorError
from executor.engine.memo import Memo, memo_for
from executor.engine.navigation import navigation_for
from executor.engine.options import EngineOptions
from executor.engine.results import JobResult, SessionExpired
from executor.engine.server_errors import watch_for
from executor.engine.signatures import signature_holds
from executor.engine.step_run import ChildFailed, StepRun, slug
from executor.engine.tabs import Tabs
from executor.engine.trace_file import JobTrace
from executor.errors import summarize
from executor.events import (
    Artifact,
    AssertionResult,
    Bus,
    Event,
    JobFinished,
    JobStarted,
    JobStatus,
    StepFinished,
    StepRetrying,
    StepStarted,
    StepStatus,
    Timings,
    redact_event,
)
from executor.model.catalogue import Catalogue
from executor.model.plan import Plan, PlannedStep
from executor.model.runbook import PAGE_ACTIONS, Condition, Step
from executor.numbers import check_locale

log = structlog.get_logger("executor.engine")

DEFAULT_LOCALE = "en-CA"

# Errors a retry cannot fix: the runbook's own `fail`, a missing action, a broken template.
_NOT_RETRIED: tuple[type[BaseException], ...] = (
    FailRequested,
    DoneRequested,
    actions.UnknownAction,
    ChildFailed,
)


class _JobDone(Exception):
    """Raised after a `done` step's event (and its `use` parents') was emitted: ends the job."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Job:
    """One plan on one page. `run()` once."""

    def __init__(
        self,
        plan: Plan,
        catalogue: Catalogue,
        page: Page,
        *,
        base_url: str,
        artifacts_dir: Path,
        options: EngineOptions,
        bus: Bus,
        job_id: str | None = None,
        run_id: str = "",
    ) -> None:
        self.plan = plan
        self.catalogue = catalogue
        self.base_url = base_url
        self.artifacts_dir = Path(artifacts_dir)
        self.options = options
        self.bus = bus
        self.job_id = job_id or plan.runbook.name
        self.run_id = run_id
        self.variables: dict[str, Any] = {}
        self.masks: list[Locator] = []
        self.dialogs = DialogBroker(catalogue, dry_run=options.dry_run)
        self.tabs = Tabs(page, self.dialogs)
        self._capturers: dict[int, Capturer] = {}
        self.trace = JobTrace(page.context, options.trace, options.redactor, snapshots=options.trace_snapshots)
        self.finished: list[StepFinished] = []
        self.done: str | None = None
        # Destructive steps whose action was started: the money may have moved (see `performed`).
        self.performed: list[str] = []
        self._seq = 0
        self._page_locales: dict[int, str] = {}
        self._add_plan_secrets()

    def _add_plan_secrets(self) -> None:
        # Secret values: those of the runbook's secret params, and whatever the plan collected
        # (secret params of `use`d sub-runbooks).
        runbook = self.plan.runbook
        values = [self.plan.params.get(p.name) for p in runbook.params if p.secret]
        values += list(self.plan.secrets)
        self.options.redactor.add(*(str(v) for v in values if v is not None))

    # --- what the steps see of the job (`step_run.JobHost`) -------------------------------------

    @property
    def page(self) -> Page:
        return self.tabs.current

    def memo(self) -> Memo:
        return memo_for(self.page, self.catalogue)

    def emit(self, event: Event) -> Event:
        event = redact_event(event, self.options.redactor)
        self.bus.emit(event)
        return event

    def run_context(self) -> dict[str, Any]:
        """`run.*` in templates."""
        return {"base_url": self.base_url, "run_id": self.run_id}

    def _capturer(self) -> Capturer:
        page = self.page
        capturer = self._capturers.get(id(page))
        if capturer is None or capturer.page is not page:
            capturer = self._capturers[id(page)] = Capturer(page, self.options.capture)
        return capturer

    async def capture(self, seq: int, name: str, *, full: bool = False) -> Path:
        path = self.artifacts_dir / f"{seq:03d}-{name}{self.options.capture.suffix}"
        return await self._capturer().capture(path, full=full, mask=self.masks)

    async def switch_tab(self, to: str, timeout_ms: float) -> str:
        page = self.tabs.find(to)
        self.tabs.switch(page)
        await page.bring_to_front()
        return page.url

    async def close_tab(self) -> str:
        return (await self.tabs.close_current()).url

    async def number_locale(self, given: str | None) -> str:
        """The locale numbers are read in: the step's, the run's, the catalogue's (`page`: the
        page's `<html lang>`), else en-CA."""
        chosen = given or self.options.locale or self.catalogue.portal.locale or DEFAULT_LOCALE
        if chosen != "page":
            return chosen
        page = self.page
        known = self._page_locales.get(id(page))
        if known is None:
            try:
                lang = await page.evaluate("() => document.documentElement.lang || ''")
                check_locale(lang)
                known = lang
            except Exception:  # noqa: BLE001 - no or unknown lang attribute: the default
                known = DEFAULT_LOCALE
            self._page_locales[id(page)] = known
        return known

    async def condition(
        self, cond: Condition, planned: PlannedStep, variables: Mapping[str, Any], *, wait_ms: float
    ) -> bool:
        if cond.expr is not None:
            return planning.evaluate_condition_expr(cond.expr, planned.scope, variables, run=self.run_context())
        return await page_condition(self.page, self.catalogue, cond, wait_ms=wait_ms)

    # --- the job ----------------------------------------------------------------------------------

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    async def run(self) -> JobResult:
        started = time.monotonic()
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        runbook = self.plan.runbook
        self.emit(
            JobStarted(
                run_id=self.run_id,
                job_id=self.job_id,
                runbook=runbook.name,
                runbook_path=runbook.path,
                base_url=self.base_url,
                params=dict(self.plan.params),
                step_count=len(self.plan.steps),
                artifacts_dir=str(self.artifacts_dir),
            )
        )
        self.tabs.start()
        await self.trace.start(f"{runbook.name} ({self.job_id})")
        error: str | None = None
        failed_step: str | None = None
        expired = False
        index = 0
        try:
            for index, planned in enumerate(self.plan.steps):
                event = await self.run_step(planned, 0, self.variables)
                if event.status == "failed":
                    error, failed_step = event.error, event.step_id
                    break
            else:
                index = len(self.plan.steps)
        except _JobDone as done:
            self.done = done.message
            self._skip_rest(index + 1, f"done: {done.message}")
            index = len(self.plan.steps)
        except SessionExpired as err:
            expired, error = True, str(err)
            failed_step = next((e.step_id for e in reversed(self.finished) if e.status == "failed"), None)
        except BaseException as err:
            # A bug or a cancellation: still close the job (trace kept, event emitted), then raise.
            error = f"engine error: {type(err).__name__}: {err}"
            trace = None
            try:
                trace = await self.trace.stop(self.artifacts_dir, failed=True)
            except Exception as trace_err:  # noqa: BLE001 - the original error matters more
                log.warning("trace_stop_failed", error=str(trace_err))
            self.tabs.stop()
            await self._finish(started, "failed", error, failed_step, False, index, trace)
            raise
        status: JobStatus = "failed" if error else ("warned" if self._count()["warned"] else "passed")
        for capturer in self._capturers.values():
            await capturer.close()
        self.tabs.stop()
        trace = await self.trace.stop(self.artifacts_dir, failed=status == "failed")
        return await self._finish(started, status, error, failed_step, expired, index, trace)

    async def _finish(
        self,
        started: float,
        status: JobStatus,
        error: str | None,
        failed_step: str | None,
        expired: bool,
        index: int,
        trace: Path | None,
    ) -> JobResult:
        outputs = self._outputs()
        not_run = tuple(title_of(p.step) for p in self.plan.steps[index + 1 :]) if error else ()
        performed = tuple(self.performed) if status == "failed" else ()
        finished = self.emit(
            JobFinished(
                run_id=self.run_id,
                job_id=self.job_id,
                runbook=self.plan.runbook.name,
                status=status,
                duration_ms=(time.monotonic() - started) * 1000,
                counts=dict(self._count()),
                error=error,
                failed_step=failed_step,
                session_expired=expired,
                outputs=outputs,
                not_run=not_run,
                artifacts=(Artifact("trace", str(trace), "Playwright trace"),) if trace else (),
                artifacts_dir=str(self.artifacts_dir),
                done=self.done,
                performed=performed,
            )
        )
        assert isinstance(finished, JobFinished)
        return JobResult(
            job_id=self.job_id,
            runbook=self.plan.runbook.name,
            status=status,
            steps=tuple(self.finished),
            duration_ms=finished.duration_ms,
            artifacts_dir=self.artifacts_dir,
            error=finished.error,
            failed_step=failed_step,
            session_expired=expired,
            outputs=finished.outputs,
            trace=trace,
            done=self.done,
            performed=finished.performed,
        )

    def _step_finished(self, planned: PlannedStep, evaluated: Step, title: str, **fields: Any) -> StepFinished:
        """Emit (redacted) and keep a step's `StepFinished`."""
        event = self.emit(
            StepFinished(
                job_id=self.job_id,
                step_id=planned.id,
                title=title,
                action=evaluated.action,
                source=str(evaluated.source),
                runbook=planned.runbook,
                target=target_of(evaluated),
                chain=tuple(str(s) for s in planned.chain),
                **fields,
            )
        )
        assert isinstance(event, StepFinished)
        self.finished.append(event)
        return event

    def _skip_rest(self, start: int, reason: str) -> None:
        """After `done`: the steps left are reported as skipped, with the reason."""
        for planned in self.plan.steps[start:]:
            step, title = planned.step, title_of(planned.step)
            self.emit(StepStarted(self.job_id, planned.id, title, step.action, str(step.source), 0))
            self._step_finished(
                planned, step, title, status="skipped", reason=reason, destructive=planning.is_destructive(planned)
            )

    def _count(self) -> Counter[str]:
        return Counter(e.status for e in self.finished)

    def _outputs(self) -> dict[str, Any]:
        # Every run reports its outputs, a failed one too (a var never set gives None).
        return planning.render_outputs(self.plan, self.variables, run=self.run_context()) if self.plan.outputs else {}

    # --- one step ---------------------------------------------------------------------------------

    def _evaluate(self, planned: PlannedStep, variables: Mapping[str, Any]) -> Step:
        if not planned.needs_runtime:
            return planned.step
        return planning.evaluate_at_runtime(planned, variables, run=self.run_context())

    async def run_step(self, planned: PlannedStep, depth: int, variables: dict[str, Any]) -> StepFinished:
        """Run one planned step (and, for `use` and `repeat`, its children) with the vars of its
        runbook. Returns its event; raises only SessionExpired (the job must stop at once)."""
        started = time.monotonic()
        seq = self._next_seq()
        eval_error: Exception | None = None
        try:
            step = self._evaluate(planned, variables)
        except Exception as err:  # noqa: BLE001 - reported as this step's failure below
            step, eval_error = planned.step, err
        run = StepRun(self, planned, step, depth, seq, variables)
        title = title_of(step)
        self.emit(StepStarted(self.job_id, planned.id, title, step.action, str(step.source), depth))

        status: StepStatus = "passed"
        reason: str | None = None
        error: str | None = None
        own_failure = False  # this step failed (not a child of it): save the page as evidence
        expired: SessionExpired | None = None
        done: str | None = None
        timings: dict[str, float] = {"act_ms": 0.0, "assert_ms": 0.0, "screenshot_ms": 0.0}
        await self._safe(self.trace.group(title, step.source))
        try:
            if eval_error is not None:
                raise eval_error
            skip = await self._skip_reason(planned, step, variables)
            if skip is not None:
                status, reason = "skipped", skip
            elif self.options.dry_run and step.destructive:
                status, reason = "skipped", await self._dry_run(run)
            else:
                await self._attempts(run, timings)
        except (DoneRequested, _JobDone) as err:
            done = err.message
            reason = f"done: {done}"
        except SessionExpired as err:
            status, error, expired = "failed", located(run, err), err
        except ChildFailed as err:
            status = "failed"
            error = located(run, err)
        except Exception as err:  # noqa: BLE001 - any failure of the step is reported, located
            status, error, own_failure = "failed", located(run, err), True
        finally:
            await self._safe(self.trace.group_end())

        # Dialogs raised while the step ran (an undeclared one fails it, even if its checks passed).
        seen, dialog_problem = self.dialogs.take(planned.id) if step.action not in ("use", "repeat") else ([], None)
        if dialog_problem and status in ("passed", "warned"):
            status, error, own_failure = "failed", located(run, DialogError(dialog_problem)), True
        run.notes += self.tabs.notes()

        if status == "failed" and step.optional and expired is None:
            status, reason = "warned", "optional step failed"

        shot_started = time.monotonic()
        if own_failure:
            run.artifacts.extend(
                await failure_evidence(
                    self.page,
                    self._capturer(),
                    self.artifacts_dir / f"{seq:03d}-{slug(title)}-failure",
                    mask=self.masks,
                    redactor=self.options.redactor,
                    full=step.screenshot == "full",
                )
            )
        elif status == "passed" and self._wants_screenshot(step):
            try:
                path = await self.capture(seq, slug(title), full=step.screenshot == "full")
                run.artifacts.insert(0, Artifact("screenshot", str(path), title))
            except PlaywrightError as problem:
                # The step did what it should; only its evidence is missing, which a person must see.
                status, error = "warned", f"no screenshot after the step: {summarize(str(problem))}"
        timings["screenshot_ms"] = (time.monotonic() - shot_started) * 1000

        if expired is None and status != "skipped" and await self._logged_out():
            expired = SessionExpired()
            status, error = "failed", located(run, expired)

        event = self._step_finished(
            planned,
            step,
            title,
            status=status,
            depth=depth,
            reason=reason,
            error=error,
            # Only failure reports show it; a YAML dump per step is a measurable cost in bulk runs.
            yaml=step_yaml(step) if status in ("failed", "warned") else "",
            step=step.model_dump(mode="json"),
            timings=Timings(total_ms=(time.monotonic() - started) * 1000, **timings),
            matches=tuple(run.matches),
            assertions=tuple(run.assertions),
            artifacts=tuple(run.artifacts),
            variables=dict(run.variables_set),
            attempts=run.attempts,
            destructive=step.destructive,
            notes=tuple(run.notes),
            dialogs=tuple(seen),
            rounds=run.rounds,
        )
        if expired is not None:
            raise expired
        if done is not None:
            raise _JobDone(done)
        return event

    def _wants_screenshot(self, step: Step) -> bool:
        if self.options.screenshots != "every_step" or step.screenshot == "none":
            return False
        # A `use` or `repeat` ends where its last child did, and that child has its picture already.
        return step.action not in ("use", "repeat") or bool(step.expect)

    async def _skip_reason(self, planned: PlannedStep, step: Step, variables: Mapping[str, Any]) -> str | None:
        if planned.skip_reason:  # a `when` on params, decided by the plan
            return planned.skip_reason
        if step.when is None:
            return None
        if await self.condition(step.when, planned, variables, wait_ms=step.when.within_ms):
            return None
        return f"when: {describe_condition(step.when)} is false"

    async def _dry_run(self, run: StepRun) -> str:
        spec = actions.get(run.step.action)
        if spec.dry_run is None:
            return f"dry run: {run.step.action} not run"
        await spec.dry_run(run, run.step.args)
        found = ", ".join(f"{m.target} ({m.label})" for m in run.matches)
        return f"dry run: found {found}, not acted on" if found else "dry run: not acted on"

    async def _attempts(self, run: StepRun, timings: dict[str, float]) -> None:
        step = run.step
        spec = actions.get(step.action)
        retry = step.retry
        allowed = step.read_only or step.idempotent
        if retry is not None and not allowed:
            # The loader refuses this; guard anyway: repeating a purchase is never safe.
            run.note("retry ignored: the step is neither read_only nor idempotent")
        attempts = retry.attempts if retry is not None and allowed else 1
        for attempt in range(1, attempts + 1):
            run.attempts = attempt
            if attempt > 1:
                run.restart_clock()
            try:
                await self._act_and_assert(run, spec, timings)
                return
            except _NOT_RETRIED:
                raise
            except Exception as err:
                if attempt == attempts:
                    raise
                self.emit(StepRetrying(self.job_id, run.planned.id, attempt, located(run, err)))
                assert retry is not None
                await asyncio.sleep(retry.delay_ms / 1000)  # the runbook's own back-off, not a UI wait

    async def _act_and_assert(self, run: StepRun, spec: ActionSpec, timings: dict[str, float]) -> None:
        if run.step.action in ("use", "repeat"):
            await self._act_then_assert(run, spec, timings)  # their children guard themselves
            return
        if self.options.before_action is not None:
            await self.options.before_action(run.planned.id, run.step)
            run.restart_clock()  # time spent waiting is not the step's budget
        try:
            await watch_for(self.page).guard(self._act_then_assert(run, spec, timings))
        except (LocatorError, DialogError):
            raise  # nothing was clicked, or the portal's confirmation was refused: nothing went through
        except Exception:
            if run.acted is None:
                run.acted = "maybe"  # the request may have left (a lost answer, a 5xx after it)
            raise
        finally:
            self._note_performed(run)

    def _note_performed(self, run: StepRun) -> None:
        if not run.step.destructive or run.acted is None:
            return
        title = title_of(run.step)
        self.performed.append(
            f"'{title}' was performed" if run.acted == "done" else f"'{title}' was sent and may have gone through"
        )

    async def _act_then_assert(self, run: StepRun, spec: ActionSpec, timings: dict[str, float]) -> None:
        step = run.step
        on_page = step.action in PAGE_ACTIONS
        if on_page:
            self.dialogs.arm(run.planned.id, step.dialog)
        if step.opens == "tab":
            self.tabs.expect_new()
        t0 = time.monotonic()
        try:
            await run.trusting(lambda: spec.run(run, step.args))
            run.acted = "done"
            if on_page:
                await navigation_for(self.page).settle(run.timeout_ms())
            if step.dialog:
                await self.dialogs.wait_declared(run.deadline)
            if step.opens == "tab":
                await self.tabs.follow_new(run.timeout_ms())
        finally:
            self.tabs.cancel_expect()
        t1 = time.monotonic()
        timings["act_ms"] = (t1 - t0) * 1000
        try:
            if on_page:
                problem = self.dialogs.problem(run.planned.id)
                if problem:
                    run.acted = None  # the dialog was dismissed: the portal did not act
                    # What the page did after a refused dialog is unknown: no checks on it.
                    raise DialogError(problem)
            await self._check(run)
        finally:
            timings["assert_ms"] = (time.monotonic() - t1) * 1000
            if on_page:
                self.dialogs.disarm()

    async def _check(self, run: StepRun) -> None:
        failed: AssertionResult | None = None
        for assertion in run.step.expect:
            if failed is not None:
                run.assertions.append(
                    AssertionResult(
                        kind=assertion.kind,
                        expected=describe_assertion(assertion),
                        status="not_checked",
                        target=assertion.target.describe() if assertion.target else None,
                        message=assertion.message,
                        source=str(assertion.source),
                    )
                )
                continue
            timeout = assertion.timeout_ms or run.step.timeout_ms or self.options.assertion_timeout_ms
            result = await check_assertion(run, assertion, timeout)
            run.assertions.append(result)
            if result.status == "failed":
                failed = result
        if failed is not None:
            raise AssertionFailed(failed)

    async def _logged_out(self) -> bool:
        check = self.options.session_check
        signature = getattr(self.catalogue.portal, check) if check else None
        if signature is None:
            return False
        return await signature_holds(self.page, self.catalogue, signature)

    async def _safe(self, awaitable: Any) -> None:
        try:
            await awaitable
        except PlaywrightError as err:
            log.warning("trace_group_failed", error=err.message)
