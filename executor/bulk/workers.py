"""N browser contexts in one browser, each logged in, taking jobs from a shared queue.

Sessions. With one shared session (login once, then every context starts from its storage state)
workers cost one login, but they also share the portal's per-session purchase summary and flash
messages: two workers each adding a line to the summary could each pay both. So a shared session
is used only where the strategy never has two state-changing jobs that use those at once (the
aggregate downgrade: purchases and removals run alone, reassignments use neither). Otherwise each
worker logs in for itself (one after the other: the login reads "the newest" e-mail link).

Session expiry pauses every worker before its next action (the gate). With `--login-as` the
worker logs in again and the strategy retries the job from its last verified point; with a saved
`--auth-state` the operator is asked to log in again (interactive) or the run stops with the
resume command.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from playwright.async_api import Browser, BrowserContext

from executor.browser import BrowserSettings
from executor.bulk.rate_limit import PAGE_ACTIONS, RateLimiter
from executor.bulk.row_events import BulkNote, JobAssigned, publish
from executor.bulk.safety import Gate
from executor.engine import EngineOptions, JobResult
from executor.events import Bus, Listener
from executor.model.plan import Plan
from executor.model.runbook import Step
from executor.run_api import run_plan
from executor.workspace import Workspace

T = TypeVar("T")
# (step id, step) -> awaited just before the act: a destructive step's intent is written here.
StepHook = Callable[[str, Step], Awaitable[None]]


class LoginFailed(Exception):
    pass


@dataclass
class Worker:
    name: str
    context: BrowserContext
    generation: int = 0  # the pool's login generation this context's cookies come from
    job_generation: int = 0  # ... when its current job started
    busy: str = ""  # the job it runs


@dataclass(frozen=True)
class AuthPlan:
    login_as: str | None = None
    state_file: Path | None = None
    shared: bool = True  # one session for all workers (see the module docstring)
    interactive: bool = False  # may ask the operator to log in again


class WorkerPool:
    def __init__(
        self,
        *,
        ws: Workspace,
        browser: Browser,
        settings: BrowserSettings,
        base_url: str,
        auth: AuthPlan,
        size: int,
        options: EngineOptions,
        bus: Bus,
        gate: Gate,
        artifacts_dir: Path,
        limiter: RateLimiter | None = None,
        run_id: str = "",
    ) -> None:
        self.ws = ws
        self.browser = browser
        self.settings = settings
        self.base_url = base_url
        self.auth = auth
        self.size = max(1, size)
        self.options = options
        self.bus = bus
        self.gate = gate
        self.artifacts_dir = artifacts_dir
        self.limiter = limiter
        self.run_id = run_id
        self.workers: list[Worker] = []
        self.generation = 0
        self.logins = 0
        self.expiries = 0
        self._lock = asyncio.Lock()
        # Also where notes go besides the bus (the journal's events), once the run has one.
        self.note_sink: Callable[[str, str], None] | None = None

    # --- start and stop -------------------------------------------------------------------------

    def _context_args(self, state: dict[str, Any] | str | None) -> dict[str, Any]:
        args: dict[str, Any] = {**self.settings.context_kwargs(), "base_url": self.base_url}
        if state is not None:
            args["storage_state"] = state
        return args

    async def start(self) -> None:
        state: dict[str, Any] | str | None = str(self.auth.state_file) if self.auth.state_file else None
        for number in range(1, self.size + 1):
            context = await self.browser.new_context(**self._context_args(state))
            worker = Worker(f"w{number}", context)
            self.workers.append(worker)
            if self.auth.login_as and (number == 1 or not self.auth.shared):
                await self._login(worker)
                if self.auth.shared:
                    # Later contexts start from the first one's cookies: one login for all.
                    state = dict(await context.storage_state())
            worker.generation = self.generation

    async def close(self) -> None:
        for worker in self.workers:
            try:
                await worker.context.close()
            except Exception:  # noqa: BLE001 - closing after a crash of the browser
                pass

    async def _login(self, worker: Worker) -> None:
        assert self.auth.login_as
        self.logins += 1
        job_id = f"login-{worker.name}-{self.logins}"
        result = await run_plan(
            self.ws.login_plan(self.auth.login_as),
            self.ws.catalogue,
            base_url=self.base_url,
            artifacts_dir=self.artifacts_dir / "logins" / job_id,
            context=worker.context,
            options=self.options,
            bus=self.bus,
            job_id=job_id,
            run_id=self.run_id,
        )
        if result.status == "failed":
            raise LoginFailed(f"login as {self.auth.login_as} failed: {result.error}")

    # --- jobs -----------------------------------------------------------------------------------

    def job_options(self, hook: StepHook | None = None, **changes: Any) -> EngineOptions:
        gate, limiter = self.gate, self.limiter

        async def before_action(step_id: str, step: Step) -> None:
            await gate.wait()
            if limiter is not None and step.action in PAGE_ACTIONS:
                await limiter.acquire()
            if hook is not None:
                await hook(step_id, step)  # last: nothing may happen between the intent and the act

        # A worker's job never visits the sign-in page: landing there means its session is gone,
        # even once the portal has dropped the "expired" hint (a read-only step's retry).
        return replace(self.options, before_action=before_action, session_check="login_page", **changes)

    async def run_job(
        self,
        worker: Worker,
        job_id: str,
        plan: Plan,
        artifacts_dir: Path,
        *,
        label: str = "",
        hook: StepHook | None = None,
        listener: Listener | None = None,
        dry_run: bool = False,
    ) -> JobResult:
        """One job on the worker's page. The caller looks at `session_expired` (and calls `recover`)."""
        worker.busy = job_id
        worker.job_generation = worker.generation
        publish(self.bus, JobAssigned(worker.name, job_id, label or job_id))
        if listener is not None:
            self.bus.subscribe(listener)
        try:
            return await run_plan(
                plan,
                self.ws.catalogue,
                base_url=self.base_url,
                artifacts_dir=artifacts_dir,
                context=worker.context,
                options=self.job_options(hook, dry_run=dry_run),
                bus=self.bus,
                job_id=job_id,
                run_id=self.run_id,
            )
        finally:
            if listener is not None:
                self.bus.unsubscribe(listener)
            worker.busy = ""

    async def each(self, items: Iterable[T], work: Callable[[Worker, T], Awaitable[None]]) -> None:
        """Every worker takes the next item until none is left or the run is stopping."""
        queue = deque(items)
        errors: list[BaseException] = []

        async def loop(worker: Worker) -> None:
            while queue and not self.gate.stopping:
                item = queue.popleft()
                try:
                    await work(worker, item)
                except Exception as err:  # noqa: BLE001 - stop the others, then raise it below
                    self.gate.stop(f"internal error: {type(err).__name__}: {err}")
                    errors.append(err)
                    return

        await asyncio.gather(*(loop(w) for w in self.workers))
        if errors:
            raise errors[0]

    def first(self) -> Worker:
        return self.workers[0]

    # --- session expiry -------------------------------------------------------------------------

    async def recover(self, worker: Worker) -> bool:
        """After a job ended on an expired session. True: the worker is logged in again (retry the
        job); False: it cannot be (the run stops; `gate.stop_reason` says why)."""
        async with self._lock:
            if worker.generation != worker.job_generation:
                return True  # another worker logged everyone in again while this job ran
            self.expiries += 1
            self.gate.pause("session expired")
            self._note("warning", f"session expired (seen by {worker.name}): every worker pauses")
            try:
                if self.auth.login_as:
                    await self._login(worker)
                elif not await self._operator_login():
                    self.gate.stop(
                        "the session expired: log in again with `runbook login --save-state FILE`, then resume"
                    )
                    return False
                self.generation += 1
                worker.generation = self.generation
                if self.auth.shared or not self.auth.login_as:
                    await self._share_session(worker)
                self._note("info", "logged in again; workers go on")
                return True
            except LoginFailed as err:
                self.gate.stop(str(err))
                return False
            finally:
                self.gate.resume()

    async def _share_session(self, source: Worker) -> None:
        if self.auth.login_as:
            cookies = (await source.context.storage_state())["cookies"]
        else:
            assert self.auth.state_file is not None
            cookies = json.loads(self.auth.state_file.read_text())["cookies"]
        for other in self.workers:
            if other is not source or not self.auth.login_as:
                # storage_state() cookies are the add_cookies shape; the stubs type them apart.
                await other.context.add_cookies(cookies)  # type: ignore[arg-type]
            other.generation = self.generation

    async def _operator_login(self) -> bool:
        if not self.auth.interactive or self.auth.state_file is None:
            return False
        prompt = (
            f"\nThe portal session expired. In another terminal run\n"
            f"  runbook login --base-url {self.base_url} --save-state {self.auth.state_file}\n"
            "then press Enter here (or type 'stop'): "
        )
        answer = await asyncio.to_thread(input, prompt)
        return answer.strip().lower() != "stop"

    def _note(self, level: str, message: str) -> None:
        publish(self.bus, BulkNote(level, message))
        if self.note_sink is not None:
            self.note_sink(level, message)
