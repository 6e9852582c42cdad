"""The job's Playwright trace: a chunk of its context's trace per job, a group per step, saved scrubbed.

Tracing starts once per browser context and each job records a chunk of it
(`tracing.start_chunk` / `stop_chunk`): a bulk worker's context runs hundreds of jobs, and a trace
started and stopped per job, or one trace over the worker's whole life, keeps growing (the
driver's snapshot resources, the time each stop takes). A chunk is written only when the mode
keeps it (`retain-on-failure`: the failed jobs), else dropped as it ends.

Snapshots: a full trace (DOM snapshots with network, and the screencast) is what a person debugging
one runbook wants; it is also what makes tracing expensive. Measured on a 100-row bulk run
(bench/bulk.py --scale): wall 1.60x of no trace with both, 1.28x with DOM snapshots alone, 1.03x
with neither. So a bulk run records the light trace by default (actions with their locators and
timings, console, page errors: a failed row's step screenshots, page HTML and aria snapshot are in
its evidence anyway) and the full one on request (`--trace-snapshots`).

Why scrubbing and not only pausing around a secret fill: Playwright's DOM snapshotter records the
current `value` of every <input> (`__playwright_value_`, password fields included) in *every*
snapshot taken after the fill, so stopping the trace for the fill alone still leaks the secret in
the following steps' snapshots. So the saved zip is rewritten with every secret (and its JSON-,
URL- and HTML-escaped forms) replaced by `***` in every entry: the fill's parameters, snapshots,
network bodies. A secret field is also drawn as dots before it is typed (see actions.interact),
which keeps it out of the trace's screencast pictures.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Literal
from urllib.parse import quote, quote_plus

from playwright.async_api import BrowserContext
from playwright.async_api import Error as PlaywrightError

from executor.model.base import SourceSpan
from executor.redaction import MASK, Redactor

TraceMode = Literal["on", "retain-on-failure", "off"]


def secret_forms(secret: str) -> set[bytes]:
    """The ways a value can be written inside a trace file."""
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret),
        html.escape(secret),
    }
    return {f.encode() for f in forms if f}


def scrub_zip(source: Path, target: Path, secrets: Iterable[str]) -> None:
    """Copy `source` to `target` with every form of every secret replaced by the mask."""
    forms = sorted({f for s in secrets for f in secret_forms(s)}, key=len, reverse=True)
    mask = MASK.encode()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            for form in forms:
                data = data.replace(form, mask)
            zout.writestr(info, data)


# Contexts whose tracing this module started (a context traced by someone else is left alone).
_TRACING: dict[int, BrowserContext] = {}


async def _ensure_tracing(context: BrowserContext, snapshots: bool) -> None:
    key = id(context)
    if _TRACING.get(key) is context:
        return
    await context.tracing.start(screenshots=snapshots, snapshots=snapshots, sources=False)
    _TRACING[key] = context
    context.once("close", lambda *_: _TRACING.pop(key, None))


class JobTrace:
    def __init__(self, context: BrowserContext, mode: TraceMode, redactor: Redactor, *, snapshots: bool = True) -> None:
        self.context = context
        self.mode = mode
        self.snapshots = snapshots
        self.redactor = redactor
        self.active = False
        self.problem: str | None = None

    async def start(self, title: str) -> None:
        if self.mode == "off":
            return
        try:
            await _ensure_tracing(self.context, self.snapshots)
            await self.context.tracing.start_chunk(title=title)
            self.active = True
        except PlaywrightError as err:
            # e.g. the caller's context is already tracing: run without ours rather than fail the job.
            self.problem = f"trace not recorded: {err.message.splitlines()[0]}"

    async def group(self, title: str, source: SourceSpan) -> None:
        if self.active:
            location = {"file": source.file, "line": source.line, "column": source.col}
            await self.context.tracing.group(f"{title} ({source.file}:{source.line})", location=location)  # type: ignore[arg-type]

    async def group_end(self) -> None:
        if self.active:
            await self.context.tracing.group_end()

    async def stop(self, directory: Path, *, failed: bool) -> Path | None:
        """Save the trace (scrubbed) when the mode keeps it; else discard it."""
        if not self.active:
            return None
        self.active = False
        keep = self.mode == "on" or (self.mode == "retain-on-failure" and failed)
        if not keep:
            await self.context.tracing.stop_chunk()
            return None
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / "trace.zip"
        # The raw zip (secrets inside) lives only in a private temporary folder, removed at once.
        tmp = Path(tempfile.mkdtemp(prefix="runbook-trace-"))
        try:
            os.chmod(tmp, 0o700)
            raw = tmp / "raw.zip"
            await self.context.tracing.stop_chunk(path=raw)
            secrets = self.redactor.secrets
            if secrets:
                await asyncio.to_thread(scrub_zip, raw, target, secrets)
            else:
                shutil.move(str(raw), target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target
