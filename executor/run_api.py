"""How the CLI and the pytest plugin run plans.

`run_plan` (async) runs one job on a browser, context or page the caller owns. `run_plans` (sync)
opens Playwright and one Chromium, runs each plan in its own fresh context, closes everything, and
returns the results, emitting RunStarted/RunFinished around the jobs.

Decision, for the pytest plugin: pytest-playwright's `browser`/`context`/`page` fixtures are
*sync* API objects, driven by a greenlet on their own event loop; async Playwright objects cannot
be mixed with them, and the engine is async. So the plugin does not hand its `page` to the
engine. It hands over the plain dicts pytest-playwright computes from the command line and the
user's overrides, `browser_type_launch_args` (--headed, --slowmo, --browser-channel, ...) and
`browser_context_args` (viewport, locale, storage_state, base_url, ...), and either calls
`run_plans(launch=..., context_args=...)`, which launches an async browser with them (completed by
our Chromium discovery, `merged_launch_args`), or keeps its own async browser on a loop of its own
and calls `run_plan(context=...)` per test. The user's options still apply; the price is a browser
process of our own beside pytest-playwright's. `run_plans` works from sync code, in a worker
thread when the calling thread already runs an event loop (as a sync-Playwright test does).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import time
import uuid
from collections import Counter
from collections.abc import Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from playwright.async_api import Browser, BrowserContext, Page

from executor.browser import BrowserSettings, chromium_flags, launch_args, open_browser
from executor.engine import EngineOptions, Job, JobResult, SessionExpired
from executor.events import Bus, JobStatus, RunFinished, RunStarted
from executor.model.catalogue import Catalogue
from executor.model.plan import Plan

T = TypeVar("T")

__all__ = [
    "EngineOptions",
    "JobResult",
    "SessionExpired",
    "merged_launch_args",
    "run_plan",
    "run_plans",
    "run_plans_async",
    "run_sync",
]


async def run_plan(
    plan: Plan,
    catalogue: Catalogue,
    *,
    base_url: str,
    artifacts_dir: Path | str,
    browser: Browser | None = None,
    context: BrowserContext | None = None,
    page: Page | None = None,
    context_args: Mapping[str, Any] | None = None,
    options: EngineOptions | None = None,
    bus: Bus | None = None,
    job_id: str | None = None,
    run_id: str = "",
) -> JobResult:
    """Run one job. Give exactly one of `browser` (a fresh context is made with `context_args`
    and closed afterwards), `context` (its first page is reused, or one is opened) or `page`."""
    if sum(x is not None for x in (browser, context, page)) != 1:
        raise ValueError("give exactly one of browser, context or page")
    options = options or EngineOptions()
    bus = bus or Bus()
    owned: BrowserContext | None = None
    if browser is not None:
        owned = context = await browser.new_context(**dict(context_args or {}))
    if page is None:
        assert context is not None
        page = context.pages[0] if context.pages else await context.new_page()
    try:
        job = Job(
            plan,
            catalogue,
            page,
            base_url=base_url,
            artifacts_dir=Path(artifacts_dir),
            options=options,
            bus=bus,
            job_id=job_id,
            run_id=run_id,
        )
        return await job.run()
    finally:
        if owned is not None:
            await owned.close()


def merged_launch_args(launch: Mapping[str, Any] | None, headed: bool, slow_mo_ms: int) -> dict[str, Any]:
    """Our defaults (discovery, flags) under the caller's launch args (pytest-playwright's)."""
    caller = dict(launch or {})
    if "headless" in caller:
        headed = not caller["headless"]
    if "channel" in caller or "executable_path" in caller:
        # The caller chose the browser: only our flags.
        ours: dict[str, Any] = {"headless": not headed, "args": chromium_flags()}
    else:
        ours = launch_args(headed, slow_mo_ms=slow_mo_ms)
    args = [*ours.get("args", []), *[a for a in caller.get("args", []) if a not in ours.get("args", [])]]
    merged = {**ours, **caller}
    if args:
        merged["args"] = args
    return merged


def _job_ids(plans: Sequence[Plan]) -> list[str]:
    seen: Counter[str] = Counter()
    ids = []
    for plan in plans:
        name = plan.runbook.name
        seen[name] += 1
        ids.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return ids


async def run_plans_async(
    plans: Sequence[Plan] | Plan,
    catalogue: Catalogue,
    *,
    base_url: str,
    artifacts_dir: Path | str,
    options: EngineOptions | None = None,
    bus: Bus | None = None,
    launch: Mapping[str, Any] | None = None,
    context_args: Mapping[str, Any] | None = None,
    settings: BrowserSettings | None = None,
    run_id: str | None = None,
) -> list[JobResult]:
    plans = [plans] if isinstance(plans, Plan) else list(plans)
    options = options or EngineOptions()
    settings = settings or BrowserSettings(headed=options.headed, slow_mo_ms=options.slow_mo_ms)
    bus = bus or Bus()
    run_id = run_id or uuid.uuid4().hex[:12]
    root = Path(artifacts_dir)
    kwargs = merged_launch_args(launch, settings.headed, settings.slow_mo_ms) if launch is not None else None
    if kwargs is not None and not kwargs.get("headless", True) and not options.headed:
        options = dataclasses.replace(options, headed=True)
    ctx_args = {**settings.context_kwargs(), **dict(context_args or {})}
    started = time.monotonic()
    results: list[JobResult] = []
    bus.emit(RunStarted(run_id=run_id, base_url=base_url, job_count=len(plans), artifacts_dir=str(root)))
    try:
        async with open_browser(settings, launch=kwargs) as browser:
            for plan, job_id in zip(plans, _job_ids(plans)):
                results.append(
                    await run_plan(
                        plan,
                        catalogue,
                        base_url=base_url,
                        artifacts_dir=root / job_id,
                        browser=browser,
                        context_args=ctx_args,
                        options=options,
                        bus=bus,
                        job_id=job_id,
                        run_id=run_id,
                    )
                )
    finally:
        counts = Counter(r.status for r in results)
        status: JobStatus = (
            "failed"
            if counts["failed"] or len(results) < len(plans)
            else ("warned" if counts["warned"] else "passed")
        )
        bus.emit(
            RunFinished(
                run_id=run_id,
                status=status,
                duration_ms=(time.monotonic() - started) * 1000,
                jobs={str(k): n for k, n in counts.items()},
            )
        )
    return results


def run_plans(
    plans: Sequence[Plan] | Plan,
    catalogue: Catalogue,
    *,
    base_url: str,
    artifacts_dir: Path | str,
    options: EngineOptions | None = None,
    bus: Bus | None = None,
    launch: Mapping[str, Any] | None = None,
    context_args: Mapping[str, Any] | None = None,
    settings: BrowserSettings | None = None,
    run_id: str | None = None,
) -> list[JobResult]:
    """Sync wrapper of `run_plans_async` (see the module docstring for the pytest plugin)."""
    return run_sync(
        run_plans_async(
            plans,
            catalogue,
            base_url=base_url,
            artifacts_dir=artifacts_dir,
            options=options,
            bus=bus,
            launch=launch,
            context_args=context_args,
            settings=settings,
            run_id=run_id,
        )
    )


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even when this thread already runs a loop
    (pytest-playwright's sync fixtures keep one running for the whole session)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from code that already runs a loop (a sync-Playwright test): a thread of our own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
