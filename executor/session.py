"""One browser session for a CLI run: log in once, then run the jobs in the same context.

Authentication comes first and from one of two places: a saved Playwright storage state
(`--auth-state`, what an operator makes with `runbook login` on the real portal), or the
`_shared/login` runbook (`--login-as`, which completes without a person on the fake portal).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Browser, BrowserContext

from executor.browser import BrowserSettings, open_browser
from executor.engine import EngineOptions, JobResult
from executor.events import Bus, JobStatus, RunFinished, RunStarted
from executor.model.plan import Plan
from executor.run_api import run_plan
from executor.workspace import RunDirectory, Workspace, write_private


@dataclass(frozen=True)
class Auth:
    state_file: Path | None = None  # a saved storage state to start from
    login_as: str | None = None  # run the login runbook as this user first
    save_state: Path | None = None  # write the storage state here after the jobs (mode 0600)


def overall_status(results: Sequence[JobResult], expected: int) -> JobStatus:
    counts = Counter(r.status for r in results)
    if counts["failed"] or len(results) < expected:
        return "failed"
    return "warned" if counts["warned"] else "passed"


async def new_context(
    browser: Browser, settings: BrowserSettings, base_url: str, auth: Auth
) -> BrowserContext:
    context_args = {**settings.context_kwargs(), "base_url": base_url}
    if auth.state_file is not None:
        context_args["storage_state"] = str(auth.state_file)
    return await browser.new_context(**context_args)


async def run_session(
    ws: Workspace,
    jobs: Sequence[tuple[str, Plan]],
    *,
    base_url: str,
    artifacts_dir: Path,
    auth: Auth,
    options: EngineOptions,
    bus: Bus,
    settings: BrowserSettings | None = None,
    after: Callable[[BrowserContext], Awaitable[None]] | None = None,
) -> list[JobResult]:
    """Run `jobs` (id, plan) one after the other in one logged-in context; stop at the first failure.

    `after` gets the context once every job passed (e.g. `selectors check` looks at pages with it).
    """
    settings = settings or BrowserSettings(headed=options.headed, slow_mo_ms=options.slow_mo_ms)
    all_jobs = list(jobs)
    if auth.login_as:
        all_jobs.insert(0, ("login", ws.login_plan(auth.login_as)))
    run_id = uuid.uuid4().hex[:12]
    started = time.monotonic()
    results: list[JobResult] = []
    bus.emit(
        RunStarted(
            run_id=run_id, base_url=base_url, job_count=len(all_jobs), artifacts_dir=str(artifacts_dir)
        )
    )
    try:
        async with open_browser(settings) as browser:
            context = await new_context(browser, settings, base_url, auth)
            try:
                for job_id, plan in all_jobs:
                    result = await run_plan(
                        plan,
                        ws.catalogue,
                        base_url=base_url,
                        artifacts_dir=artifacts_dir / job_id,
                        context=context,
                        options=options,
                        bus=bus,
                        job_id=job_id,
                        run_id=run_id,
                    )
                    results.append(result)
                    if result.status == "failed":
                        break
                if auth.save_state is not None and results and results[-1].status != "failed":
                    write_private(auth.save_state, json.dumps(await context.storage_state()))
                if after is not None and (not results or results[-1].status != "failed"):
                    await after(context)
            finally:
                await context.close()
    finally:
        counts = Counter(r.status for r in results)
        bus.emit(
            RunFinished(
                run_id=run_id,
                status=overall_status(results, len(all_jobs)),
                duration_ms=(time.monotonic() - started) * 1000,
                jobs=dict(counts),
            )
        )
    return results


def run_in_scratch(
    ws: Workspace,
    *,
    name: str,
    base_url: str,
    auth: Auth,
    options: EngineOptions,
    after: Callable[[BrowserContext], Awaitable[None]] | None = None,
    settings: BrowserSettings | None = None,
) -> list[JobResult]:
    """A session whose evidence nobody keeps (`login`, `selectors check`): a temporary run folder."""
    with tempfile.TemporaryDirectory(prefix=f"runbook-{name}-") as tmp:
        run_dir = RunDirectory.create(name, path=Path(tmp), redactor=options.redactor, console=False)
        try:
            return asyncio.run(
                run_session(
                    ws, [], base_url=base_url, artifacts_dir=run_dir.path, auth=auth, options=options,
                    bus=run_dir.bus, after=after, settings=settings,
                )
            )
        finally:
            run_dir.close()
