"""The engine: walks a plan on one page and leaves evidence for every step.

Per step: evaluate (render `vars.*` templates) -> `when` -> act (Playwright auto-waits) -> the
step's `expect` assertions (web-first, retrying) -> screenshot -> `StepFinished`. A failure saves a
screenshot, the page's HTML and its aria snapshot (all redacted) and stops the job, unless the step
is `optional` (then it warns). Policies (retry, optional, dry run, session expiry) live here, the
actions stay small; errors are enriched here, at the boundary that knows the step and its location.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import structlog
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from executor import actions
from executor import plan as planning
from executor.actions.assertions import check as check_assertion
from executor.actions.assertions import describe as describe_assertion
from executor.actions.base import ActionError, ActionSpec
from executor.actions.flow import DoneRequested, FailRequested
from executor.capture import Capturer, CaptureSettings, failure_evidence
from executor.conditions import describe_condition, page_condition
from executor.describe import step_yaml, target_of, title_of
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
from executor.locate import LocatorError, memo_for
from executor.server_errors import ServerError, watch_for
from executor.model.catalogue import Catalogue
from executor.model.plan import Plan, PlannedStep
from executor.model.runbook import Condition, Step
from executor.redaction import Redactor
from executor.step_run import ChildFailed, StepRun, slug
from executor.trace_file import JobTrace, TraceMode

log = structlog.get_logger("executor.engine")

ScreenshotPolicy = Literal["every_step", "on_failure", "off"]
SessionCheck = Callable[[Page], Awaitable[bool]]
# Awaited with (step id, evaluated step) just before an action runs, after its `when` held, on
# every attempt: a bulk run's rate limit and pause gate, and the journal's intent before a
# destructive act (an exception here fails the step without acting).
BeforeAction = Callable[[str, Step], Awaitable[None]]

SESSION_EXPIRED_MESSAGE = "session expired: run `runbook login` again"


async def login_page_expired(page: Page) -> bool:
    """The portal sends an expired session to `/login?expired=1`."""
    url = urlsplit(page.url)
    return url.path.rstrip("/").endswith("/login") and parse_qs(url.query).get("expired") == ["1"]


def interactive_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty() and not os.environ.get("CI")


@dataclass(frozen=True)
class EngineOptions:
    action_timeout_ms: int = 10_000
    assertion_timeout_ms: int = 5_000
    screenshots: ScreenshotPolicy = "every_step"
    capture: CaptureSettings = field(default_factory=CaptureSettings)
    trace: TraceMode = "retain-on-failure"
    # After every step; None disables the check.
    session_expired: SessionCheck | None = login_page_expired
    headed: bool = False
    interactive: bool | None = None  # None: a terminal and not CI
    slow_mo_ms: int = 0
    redactor: Redactor = field(default_factory=Redactor)
    # Resolve destructive steps' locators without acting (their assertions are not checked).
    dry_run: bool = False
    before_action: BeforeAction | None = None

    def is_interactive(self) -> bool:
        return interactive_terminal() if self.interactive is None else self.interactive


class SessionExpired(Exception):
    def __init__(self, message: str = SESSION_EXPIRED_MESSAGE) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class JobResult:
    job_id: str
    runbook: str
    status: JobStatus
    steps: tuple[StepFinished, ...]
    duration_ms: float
    artifacts_dir: Path
    error: str | None = None
    failed_step: str | None = None
    session_expired: bool = False
    outputs: Mapping[str, Any] = field(default_factory=dict)  # redacted
    trace: Path | None = None
    done: str | None = None  # a `done` step ended the job: its message (the effect already held)

    @property
    def passed(self) -> bool:
        return self.status != "failed"


class _AssertionFailed(Exception):
    def __init__(self, result: AssertionResult) -> None:
        super().__init__(result.expected)
        self.result = result


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
        self.page = page
        self.base_url = base_url
        self.artifacts_dir = Path(artifacts_dir)
        self.options = options
        self.bus = bus
        self.job_id = job_id or plan.runbook.name
        self.run_id = run_id
        self.variables: dict[str, Any] = {}
        self.masks: list[Locator] = []
        self.memo = memo_for(page, catalogue)
        self.server_errors = watch_for(page)
        self.capturer = Capturer(page, options.capture)
        self.trace = JobTrace(page.context, options.trace, options.redactor)
        self.finished: list[StepFinished] = []
        self.done: str | None = None
        self._seq = 0
        self._add_plan_secrets()

    def _add_plan_secrets(self) -> None:
        # Secret values: those of the runbook's secret params, and whatever the plan collected
        # (secret params of `use`d sub-runbooks).
        runbook = self.plan.runbook
        values = [self.plan.params.get(p.name) for p in runbook.params if p.secret]
        values += list(self.plan.secrets)
        self.options.redactor.add(*(str(v) for v in values if v is not None))

    # --- plumbing ---

    def emit(self, event: Event) -> Event:
        event = redact_event(event, self.options.redactor)
        self.bus.emit(event)
        return event

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    async def capture(self, seq: int, name: str, *, full: bool = False) -> Path:
        path = self.artifacts_dir / f"{seq:03d}-{name}{self.options.capture.suffix}"
        return await self.capturer.capture(path, full=full, mask=self.masks)

    # --- the job ---

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
            await self._finish(started, "failed", error, failed_step, False, index, trace)
            raise
        status: JobStatus = "failed" if error else ("warned" if self._count()["warned"] else "passed")
        await self.capturer.close()
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
        )

    def _skip_rest(self, start: int, reason: str) -> None:
        """After `done`: the steps left are reported as skipped, with the reason."""
        for planned in self.plan.steps[start:]:
            step, title = planned.step, title_of(planned.step)
            self.emit(StepStarted(self.job_id, planned.id, title, step.action, str(step.source), 0))
            event = self.emit(
                StepFinished(
                    job_id=self.job_id,
                    step_id=planned.id,
                    title=title,
                    action=step.action,
                    source=str(step.source),
                    status="skipped",
                    runbook=planned.runbook,
                    target=target_of(step),
                    chain=tuple(str(s) for s in planned.chain),
                    reason=reason,
                    destructive=planning.is_destructive(planned),
                )
            )
            assert isinstance(event, StepFinished)
            self.finished.append(event)

    def _count(self) -> Counter[str]:
        return Counter(e.status for e in self.finished)

    def run_context(self) -> dict[str, Any]:
        """`run.*` in templates."""
        return {"base_url": self.base_url, "run_id": self.run_id}

    def _outputs(self) -> dict[str, Any]:
        # Every run reports its outputs, a failed one too (a var never set gives None).
        return (
            planning.render_outputs(self.plan, self.variables, run=self.run_context())
            if self.plan.outputs
            else {}
        )

    # --- one step ---

    def _evaluate(self, planned: PlannedStep, variables: Mapping[str, Any]) -> Step:
        if not planned.needs_runtime:
            return planned.step
        return planning.evaluate_at_runtime(planned, variables, run=self.run_context())

    async def run_step(self, planned: PlannedStep, depth: int, variables: dict[str, Any]) -> StepFinished:
        """Run one planned step (and, for `use`, its children) with the vars of its runbook.
        Returns its event; raises only SessionExpired (the job must stop at once)."""
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
        await self.trace.group(title, step.source)
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
            status, error, expired = "failed", self._located(run, err), err
        except ChildFailed as err:
            status = "failed"
            error = self._located(run, err)
        except Exception as err:  # noqa: BLE001 - any failure of the step is reported, located
            status, error, own_failure = "failed", self._located(run, err), True
        finally:
            await self._safe(self.trace.group_end())

        if status == "failed" and step.optional and expired is None:
            status, reason = "warned", "optional step failed"

        shot_started = time.monotonic()
        if own_failure:
            run.artifacts.extend(
                await failure_evidence(
                    self.page,
                    self.capturer,
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

        if expired is None and status != "skipped" and await self._session_expired():
            expired = SessionExpired()
            status, error = "failed", self._located(run, expired)

        event = self.emit(
            StepFinished(
                job_id=self.job_id,
                step_id=planned.id,
                title=title,
                action=step.action,
                source=str(step.source),
                status=status,
                runbook=planned.runbook,
                target=target_of(step),
                depth=depth,
                chain=tuple(str(s) for s in planned.chain),
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
            )
        )
        assert isinstance(event, StepFinished)
        self.finished.append(event)
        if expired is not None:
            raise expired
        if done is not None:
            raise _JobDone(done)
        return event

    def _wants_screenshot(self, step: Step) -> bool:
        if self.options.screenshots != "every_step" or step.screenshot == "none":
            return False
        # A `use` ends where its last child did, and that child has its picture already.
        return step.action != "use" or bool(step.expect)

    async def _skip_reason(
        self, planned: PlannedStep, step: Step, variables: Mapping[str, Any]
    ) -> str | None:
        plan_reason = getattr(planned, "skip_reason", None)  # a `when` on params, decided by the plan
        if plan_reason:
            return str(plan_reason)
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
                message = self._located(run, err)
                self.emit(StepRetrying(self.job_id, run.planned.id, attempt, message))
                assert retry is not None
                await asyncio.sleep(retry.delay_ms / 1000)  # the runbook's own back-off, not a UI wait

    async def _act_and_assert(self, run: StepRun, spec: ActionSpec, timings: dict[str, float]) -> None:
        if run.step.action == "use":
            await self._act_then_assert(run, spec, timings)  # its children guard themselves
            return
        if self.options.before_action is not None:
            await self.options.before_action(run.planned.id, run.step)
            run.restart_clock()  # time spent waiting is not the step's budget
        await self.server_errors.guard(self._act_then_assert(run, spec, timings))

    async def _act_then_assert(self, run: StepRun, spec: ActionSpec, timings: dict[str, float]) -> None:
        t0 = time.monotonic()
        await run.trusting(lambda: spec.run(run, run.step.args))
        t1 = time.monotonic()
        timings["act_ms"] = (t1 - t0) * 1000
        try:
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
                raise _AssertionFailed(failed)
        finally:
            timings["assert_ms"] = (time.monotonic() - t1) * 1000

    def _located(self, run: StepRun, err: BaseException) -> str:
        """`step 4 'Open the license page' (runbooks/x.yaml:31:5): <what was expected, what was found>`."""
        where = f"step {run.planned.id} '{title_of(run.step)}' ({run.step.source})"
        return f"{where}: {self._detail(run, err)}"

    def _detail(self, run: StepRun, err: BaseException) -> str:
        if isinstance(err, _AssertionFailed):
            r = err.result
            detail = f"expected {r.expected}: {r.error}"
            return f"{r.message} ({detail})" if r.message else detail
        if isinstance(err, ChildFailed):
            c = err.child
            return f"sub-runbook {c.runbook or ''} failed at step {c.step_id} '{c.title}' ({c.location})".replace(
                "  ", " "
            )
        if isinstance(err, (LocatorError, ActionError, ServerError, SessionExpired)):
            return str(err)
        if isinstance(err, PlaywrightError):
            target = target_of(run.step)
            message = summarize(err.message)
            if isinstance(err, PlaywrightTimeoutError):
                # Playwright names the budget left after resolution; the author wrote the step's.
                message = re.sub(
                    r"Timeout [\d.]+ms exceeded\.?", f"timed out after {run.budget_ms():.0f} ms", message
                )
            return f"{run.step.action}{' ' + target if target else ''}: {message}"
        if type(err).__name__ == "TemplateRenderError":
            return f"cannot evaluate the step: {err}"
        return f"{type(err).__name__}: {err}"

    async def _session_expired(self) -> bool:
        check = self.options.session_expired
        if check is None or self.page.is_closed():
            return False
        return await check(self.page)

    async def _safe(self, awaitable: Awaitable[Any]) -> None:
        try:
            await awaitable
        except PlaywrightError as err:
            log.warning("trace_group_failed", error=err.message)

    # --- conditions (`when`, `pause_for_operator.until`) ---

    async def condition(
        self, cond: Condition, planned: PlannedStep, variables: Mapping[str, Any], *, wait_ms: float
    ) -> bool:
        if cond.expr is not None:
            return planning.evaluate_condition_expr(
                cond.expr, planned.scope, variables, run=self.run_context()
            )
        return await page_condition(self.page, self.catalogue, cond, wait_ms=wait_ms)
