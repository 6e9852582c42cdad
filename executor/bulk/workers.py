"""N browser contexts, in one browser or spread over several browser servers, each logged in,
taking jobs from a shared queue.

Browsers. Workers are spread over the browsers the run was given (one launched here, or Playwright
browser servers elsewhere), round robin. When a browser goes away mid-run (a server killed, a
crash), its workers stop taking work: the job it was running raises `WorkerLost`, its row goes back
to the front of the queue with its operation's outcome unknown, and the next worker to take it
reads the portal first (exactly as after a lost answer). When no browser is left the run stops
cleanly (`NoBrowserLeft`) and `runbook resume` continues it, on other servers if given.

Memory. A worker's context is recycled (its session saved, the context closed and opened again
from it) at a job boundary, never in the middle of a row, every `recycle_every` jobs or once its
page's JavaScript heap passes `recycle_heap_mb`: a long-lived page's renderer keeps the garbage of
every page it showed (executor.bulk.page_memory).

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
from executor.bulk.page_memory import PageMemory
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


class WorkerLost(Exception):
    """The worker's browser went away (a browser server stopped, a crash): its job's outcome is
    unknown, and the work goes to another worker."""

    def __init__(self, worker: Worker) -> None:
        super().__init__(f"{worker.name}'s browser ({worker.server}) is gone")
        self.worker = worker


class NoBrowserLeft(Exception):
    """Every browser of the run is gone: the run stops, and resumes on others."""


# Playwright's TargetClosedError wording: a call that failed because its browser went away. The
# browser's "disconnected" event may come a moment after it, so such a failure waits for it.
_CLOSED = "has been closed"
_DISCONNECT_WAIT_S = 10.0

NO_BROWSER_LEFT = "every browser is gone: resume the run (runbook resume RUN_DIR), with --browser-server for others"


@dataclass(frozen=True)
class BrowserSlot:
    """One browser the workers run in, and how it is named in notes and reports (never its full
    address: a server's path is a secret)."""

    label: str
    browser: Browser


@dataclass
class Worker:
    name: str
    context: BrowserContext
    generation: int = 0  # the pool's login generation this context's cookies come from
    job_generation: int = 0  # ... when its current job started
    busy: str = ""  # the job it runs
    browser: Browser | None = None
    server: str = "local"
    jobs_since_fresh: int = 0  # jobs its context ran since it was opened

    @property
    def lost(self) -> bool:
        return self.browser is not None and not self.browser.is_connected()


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
        browsers: list[BrowserSlot],
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
        recycle_every: int = 0,
        recycle_heap_mb: float = 0,
    ) -> None:
        self.ws = ws
        self.browsers = list(browsers)
        self.recycle_every = recycle_every  # 0: never
        self.recycle_heap_mb = recycle_heap_mb  # 0: no bound
        self.memory = PageMemory()
        self.recycled = 0
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
        self._disconnected = {slot.label: asyncio.Event() for slot in self.browsers}
        self.closing = False
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
        for slot in self.browsers:
            slot.browser.on("disconnected", lambda *_, label=slot.label: self._gone(label))
        for number in range(1, self.size + 1):
            slot = self.browsers[(number - 1) % len(self.browsers)]
            context = await slot.browser.new_context(**self._context_args(state))
            worker = Worker(f"w{number}", context, browser=slot.browser, server=slot.label)
            self.workers.append(worker)
            if self.auth.login_as and (number == 1 or not self.auth.shared):
                await self._login(worker)
                if self.auth.shared:
                    # Later contexts start from the first one's cookies: one login for all.
                    state = dict(await context.storage_state())
            worker.generation = self.generation

    async def close(self) -> None:
        self.closing = True  # the browsers' "disconnected" events that follow are ours
        for worker in self.workers:
            try:
                await worker.context.close()
            except Exception:  # noqa: BLE001 - closing after a crash of the browser
                pass

    def _gone(self, label: str) -> None:
        self._disconnected[label].set()
        if not self.gate.stopping and not self.closing:
            names = ", ".join(w.name for w in self.workers if w.server == label)
            self._note("warning", f"browser {label} is gone ({names}): their rows are checked on the portal and finished by the others")

    async def went_away(self, worker: Worker, error: str | None) -> bool:
        """Whether a failure (its message) came from the worker's browser going away rather than
        from the portal: settled by the browser's "disconnected" event, waited for a moment."""
        if worker.lost:
            return True
        event = self._disconnected.get(worker.server)
        if event is None or not error or _CLOSED not in error:
            return False
        try:
            await asyncio.wait_for(event.wait(), _DISCONNECT_WAIT_S)
        except TimeoutError:
            pass
        return worker.lost

    def alive(self) -> list[Worker]:
        return [w for w in self.workers if not w.lost]

    async def refresh(self, worker: Worker) -> None:
        """A fresh context for the worker, from its current session (cookies and storage)."""
        if worker.browser is None:
            return
        state = dict(await worker.context.storage_state())
        old = worker.context
        self.memory.forget(old)
        # Closed before the new one opens: two renderers per worker, even for a moment, would be
        # the run's memory peak.
        try:
            await old.close()
        except Exception:  # noqa: BLE001 - the old context's browser may be going away
            pass
        worker.context = await worker.browser.new_context(**self._context_args(state))
        worker.jobs_since_fresh = 0
        self.recycled += 1

    async def _refresh_if_due(self, worker: Worker) -> None:
        """At a row boundary: a fresh context after `recycle_every` jobs, or once the page's heap
        passed `recycle_heap_mb` (see executor.bulk.page_memory)."""
        if worker.lost or worker.jobs_since_fresh == 0:
            return
        due = bool(self.recycle_every) and worker.jobs_since_fresh >= self.recycle_every
        if not due and self.recycle_heap_mb:
            heap = await self.memory.heap_mb(worker.context)
            due = heap is not None and heap >= self.recycle_heap_mb
        if due:
            await self.refresh(worker)

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
        if worker.lost:
            raise WorkerLost(worker)
        worker.busy = job_id
        worker.job_generation = worker.generation
        worker.jobs_since_fresh += 1
        publish(self.bus, JobAssigned(worker.name, job_id, label or job_id))
        if listener is not None:
            self.bus.subscribe(listener)
        try:
            result = await run_plan(
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
        except Exception as err:
            if await self.went_away(worker, str(err)):
                raise WorkerLost(worker) from err
            raise
        finally:
            if listener is not None:
                self.bus.unsubscribe(listener)
            worker.busy = ""
        # Whatever the job says, if it ran in a browser that went away its outcome is unknown.
        if await self.went_away(worker, None if result.passed else result.error):
            raise WorkerLost(worker)
        return result

    async def each(self, items: Iterable[T], work: Callable[[Worker, T], Awaitable[None]]) -> None:
        """Every worker takes the next item until none is left or the run is stopping. An item
        whose worker's browser went away goes back to the front of the queue for the others;
        when no browser is left the run stops (NO_BROWSER_LEFT)."""
        queue = deque(items)
        errors: list[BaseException] = []

        async def loop(worker: Worker) -> None:
            while queue and not self.gate.stopping and not worker.lost:
                item = queue.popleft()
                try:
                    await self._refresh_if_due(worker)
                    await work(worker, item)
                except WorkerLost:
                    queue.appendleft(item)
                    return
                except Exception as err:  # noqa: BLE001 - stop the others, then raise it below
                    if await self.went_away(worker, str(err)):  # the same as WorkerLost
                        queue.appendleft(item)
                        return
                    self.gate.stop(f"internal error: {type(err).__name__}: {err}")
                    errors.append(err)
                    return

        # Rounds: an item handed back by a lost worker after the others emptied the queue.
        while queue and not self.gate.stopping and not errors:
            alive = self.alive()
            if not alive:
                self.gate.stop(NO_BROWSER_LEFT)
                break
            await asyncio.gather(*(loop(w) for w in alive))
        if errors:
            raise errors[0]

    def first(self) -> Worker:
        """A worker whose browser is still there; NoBrowserLeft when none is."""
        for worker in self.workers:
            if not worker.lost:
                return worker
        raise NoBrowserLeft(NO_BROWSER_LEFT)

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
