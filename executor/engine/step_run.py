"""One step in progress: the `StepContext` the actions see, implemented over the job.

The step sees the job through `JobHost`, the few things a job offers its steps (the current page,
the catalogue, running a child step...), so this module and the job's do not import each other.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page

from executor import plan as planning
from executor.describe import title_of
from executor.engine.conditions import describe_condition
from executor.engine.locate import LocatorError, Mode, Resolution, resolve
from executor.engine.memo import Memo
from executor.engine.options import EngineOptions
from executor.events import Artifact, AssertionResult, Event, LocatorMatch, OperatorPrompt, StepFinished
from executor.model.catalogue import Catalogue
from executor.model.plan import PlannedStep
from executor.model.runbook import Condition, Step, TargetRef

T = TypeVar("T")


class JobHost(Protocol):
    """What a job offers the steps it runs (implemented by `executor.engine.job.Job`)."""

    catalogue: Catalogue
    base_url: str
    options: EngineOptions
    artifacts_dir: Path
    job_id: str
    masks: list[Locator]

    @property
    def page(self) -> Page: ...

    def memo(self) -> Memo: ...

    def emit(self, event: Event) -> Event: ...

    def run_context(self) -> dict[str, Any]: ...

    async def run_step(self, planned: PlannedStep, depth: int, variables: dict[str, Any]) -> StepFinished: ...

    async def condition(
        self, cond: Condition, planned: PlannedStep, variables: Mapping[str, Any], *, wait_ms: float
    ) -> bool: ...

    async def capture(self, seq: int, name: str, *, full: bool = False) -> Path: ...

    async def switch_tab(self, to: str, timeout_ms: float) -> str: ...

    async def close_tab(self) -> str: ...

    async def number_locale(self, given: str | None) -> str: ...


class LoopNotReached(Exception):
    """A `repeat` ran all its rounds and its `until` still does not hold."""


class ChildFailed(Exception):
    """A step of a `use`d sub-runbook failed: its `use` step fails with it."""

    def __init__(self, child: StepFinished) -> None:
        super().__init__(child.error or "")
        self.child = child


def slug(text: str, limit: int = 48) -> str:
    """A file-name-safe piece of a step title."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit] or "step"


class StepRun:
    """One step in progress: the `StepContext` the actions see."""

    def __init__(
        self, job: JobHost, planned: PlannedStep, step: Step, depth: int, seq: int, variables: dict[str, Any]
    ) -> None:
        self.job = job
        self.planned = planned
        self.step = step
        self.depth = depth
        self.seq = seq
        self.base_url = job.base_url
        self.catalogue = job.catalogue
        self.variables = variables  # the vars of the runbook this step is written in
        self.headed = job.options.headed
        self.interactive = job.options.is_interactive()
        self.deadline = time.monotonic() + self.budget_ms() / 1000
        self.matches: list[LocatorMatch] = []
        self.assertions: list[AssertionResult] = []
        self.artifacts: list[Artifact] = []
        self.notes: list[str] = []
        self.variables_set: dict[str, Any] = {}
        self.attempts = 1
        self.trusted: list[TargetRef] = []  # targets this step took from the page's memo
        # The action went through ("done"), may have ("maybe": it failed after sending), or not yet.
        self.acted: Literal["done", "maybe"] | None = None
        self.rounds: int | None = None  # `repeat`: the rounds run

    @property
    def page(self) -> Page:
        # The job's current tab: a step that opens a tab is checked on the new one.
        return self.job.page

    def budget_ms(self) -> float:
        pause_timeout = getattr(self.step.args, "timeout_ms", None)
        if self.step.action == "pause_for_operator" and isinstance(pause_timeout, int):
            return pause_timeout
        return self.step.timeout_ms or self.job.options.action_timeout_ms

    def restart_clock(self) -> None:
        self.deadline = time.monotonic() + self.budget_ms() / 1000
        self.matches.clear()
        self.assertions.clear()

    # --- StepContext ---

    def timeout_ms(self) -> float:
        # Whole milliseconds: Playwright repeats the number in its messages.
        return float(max(round((self.deadline - time.monotonic()) * 1000), 1))

    async def resolve(
        self,
        target: TargetRef,
        *,
        mode: Mode = "strict",
        wait: bool = True,
        timeout_ms: float | None = None,
        scope_timeout_ms: float | None = None,
    ) -> Resolution:
        # A dry run exists to look at every destructive locator: never take one from the memo.
        memo = self.job.memo() if (mode == "strict" and wait and not self.job.options.dry_run) else None
        res = memo.get(target) if memo is not None else None
        if res is not None:
            self.trusted.append(target)
        else:
            budget = self.timeout_ms() if timeout_ms is None else timeout_ms
            res = await resolve(
                self.page,
                self.job.catalogue,
                target,
                timeout_ms=budget,
                mode=mode,
                wait=wait,
                scope_timeout_ms=scope_timeout_ms,
            )
            if memo is not None:
                memo.remember(target, res)
        self.matches.append(res.match())
        return res

    async def trusting(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run `work` (the action, or one check). If it fails on a target taken from the memo,
        look at the page again: a `LocatorError` from the full search (not found, ambiguous) says
        more than Playwright's timeout and replaces it; after a strict-mode refusal (raised before
        acting) `work` runs once more, searching the candidates in order. The targets are
        forgotten either way, so a retry of the step searches again."""
        trusted, matched = len(self.trusted), len(self.matches)
        try:
            return await work()
        except (AssertionError, PlaywrightError) as err:
            if len(self.trusted) == trusted:
                raise
            located = await self._search_again(trusted)
            if located is not None:
                raise located from err
            if not (isinstance(err, PlaywrightError) and "strict mode violation" in err.message):
                raise
        del self.matches[matched:]
        return await work()

    async def _search_again(self, since: int) -> LocatorError | None:
        """The memo's targets taken since `since`, forgotten and searched for in full."""
        targets, self.trusted[since:] = self.trusted[since:], []
        memo = self.job.memo()
        for target in targets:
            memo.forget(target)
        for target in targets:
            try:
                await resolve(self.page, self.job.catalogue, target, timeout_ms=0, wait=False, diagnose=True)
            except LocatorError as err:
                return err
        return None

    async def locate(self, target: TargetRef, *, mode: Mode = "strict", wait: bool = True) -> Locator:
        return (await self.resolve(target, mode=mode, wait=wait)).locator

    def is_secret(self, value: str) -> bool:
        redactor = self.job.options.redactor
        return bool(redactor) and redactor.redact(value) != value

    async def protect(self, locator: Locator) -> None:
        self.job.masks.append(locator)
        # Dots on screen before the value is typed: the trace's screencast never shows it.
        await locator.evaluate(
            "e => { if (e.type !== 'password') e.style.setProperty('-webkit-text-security', 'disc') }",
            timeout=self.timeout_ms(),
        )

    def set_var(self, name: str, value: Any) -> None:
        self.variables[name] = value
        self.variables_set[name] = value

    def add_secret(self, value: str) -> None:
        self.job.options.redactor.add(value)

    async def condition(self, condition: Condition, *, wait_ms: float) -> bool:
        return await self.job.condition(condition, self.planned, self.variables, wait_ms=wait_ms)

    async def run_children(self) -> None:
        """The sub-runbook runs with vars of its own; its `outputs` become this runbook's vars."""
        planned = self.planned
        run = self.job.run_context()
        if planned.needs_runtime:  # its params read vars: the children's scope is known only now
            planned = planning.expand_use(planned, self.variables, run=run)
            if planned.sub_runbook is not None:
                self.job.options.redactor.add(*planning.secret_values(planned.sub_runbook, planned.sub_scope))
        child_vars: dict[str, Any] = {}
        for child in planned.children:
            event = await self.job.run_step(child, self.depth + 1, child_vars)
            if event.status == "failed":
                raise ChildFailed(event)
        for name, value in planning.use_outputs(planned, child_vars, run=run).items():
            self.set_var(name, value)

    async def run_rounds(self, until: Condition, max_rounds: int) -> int:
        """`repeat`: check `until`, run the body, again, at most `max_rounds` times. The body shares
        this runbook's vars; each round's steps are reported with the round in their id
        (`4[2].1`: step 1 of round 2 of step 4). Returns the rounds run; raises ActionError when
        `until` still does not hold after the last round."""
        for round_number in range(1, max_rounds + 2):
            self.rounds = round_number - 1
            if await self.condition(until, wait_ms=until.within_ms):
                return round_number - 1
            if round_number > max_rounds:
                break
            for child in self.planned.children:
                local = child.id.rsplit(".", 1)[-1]
                numbered = child.model_copy(update={"id": f"{self.planned.id}[{round_number}].{local}"})
                event = await self.job.run_step(numbered, self.depth + 1, self.variables)
                if event.status == "failed":
                    raise ChildFailed(event)
                self.variables_set.update(event.variables)
        raise LoopNotReached(f"not reached after {max_rounds} rounds: {describe_condition(until)}")

    async def screenshot(self, name: str | None, *, full: bool) -> str:
        label = name or "screenshot"
        path = await self.job.capture(self.seq, f"{slug(title_of(self.step))}-{slug(label)}", full=full)
        self.artifacts.append(Artifact("extra", str(path), label))
        return str(path)

    def prompt(self, message: str, timeout_ms: int) -> None:
        self.job.emit(OperatorPrompt(self.job.job_id, self.planned.id, message, timeout_ms))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def add_artifact(self, artifact: Artifact) -> None:
        self.artifacts.append(artifact)

    def job_folder(self) -> Path:
        return self.job.artifacts_dir

    async def switch_tab(self, to: str) -> str:
        return await self.job.switch_tab(to, self.timeout_ms())

    async def close_tab(self) -> str:
        return await self.job.close_tab()

    async def number_locale(self, given: str | None) -> str:
        return await self.job.number_locale(given)
