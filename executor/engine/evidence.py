"""Screenshots: the cheapest capture that still shows exactly what the page looked like.

`bench/screenshots.py` measures the options. Median ms per capture right after the page changed
(fake portal /licenses, 1280x800, 2 cores, 2026-11):

    playwright png (default) 39.5 | png caret=initial 38.0 | playwright jpeg q75 29.5
    cdp png 36.5 | cdp png optimizeForSpeed 27.0 (+30% bytes) | cdp jpeg q75 optimizeForSpeed 27.9
    cdp webp q75 68.3 | this module (cdp jpeg q75, file written in a thread) 28.2 | with a mask 33.1

A capture costs one or two compositor frames (16.7 ms each) whatever the method: a changed page
must be drawn before it can be copied. What is left to save is around that, hence:
- JPEG quality 75 rather than PNG: a cheaper encode, a smaller file, still readable evidence;
- Chromium's own `Page.captureScreenshot` over a CDP session with `optimizeForSpeed`, skipping
  Playwright's screenshot preparation (caret style injection, font wait), one round trip;
- the file written off the event loop (`asyncio.to_thread`).
Never overlapped with the next step: the picture must show the state after the step's assertions.
On failure, `failure_evidence` also keeps the page's HTML and aria snapshot (redacted).

Masking: Playwright's `mask=` is used whenever the job filled a secret (the masked locators are
passed in), and for full-page captures; CDP has no mask, so those captures take Playwright's path.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import structlog
from playwright.async_api import CDPSession, Error, Locator, Page

from executor.events import Artifact
from executor.redaction import Redactor

log = structlog.get_logger("executor.engine.evidence")

ImageFormat = Literal["jpeg", "png"]
Method = Literal["cdp", "playwright"]


@dataclass(frozen=True)
class CaptureSettings:
    format: ImageFormat = "jpeg"
    quality: int = 75  # jpeg only
    method: Method = "cdp"
    timeout_ms: int = 10_000

    @property
    def suffix(self) -> str:
        return ".jpg" if self.format == "jpeg" else ".png"


class Capturer:
    """Screenshots of one page. Keeps its CDP session (one per page, created on first use)."""

    def __init__(self, page: Page, settings: CaptureSettings | None = None) -> None:
        self.page = page
        self.settings = settings or CaptureSettings()
        self._cdp: CDPSession | None = None
        self._cdp_failed = False

    async def _session(self) -> CDPSession | None:
        if self._cdp is None and not self._cdp_failed:
            try:
                self._cdp = await self.page.context.new_cdp_session(self.page)
            except Error:
                # Not Chromium (or a remote browser without CDP): Playwright's path works everywhere.
                self._cdp_failed = True
        return self._cdp

    async def grab(self, *, full: bool = False, mask: Sequence[Locator] = ()) -> bytes:
        """The image bytes (not written anywhere)."""
        s = self.settings
        if s.method == "cdp" and not full and not mask:
            session = await self._session()
            if session is not None:
                params: dict[str, Any] = {"format": s.format, "optimizeForSpeed": True}
                if s.format == "jpeg":
                    params["quality"] = s.quality
                try:
                    # CDP has no timeout of its own, and a capture waits for a frame that a page
                    # in the middle of a navigation may never paint: bound it, never hang a run.
                    result = await asyncio.wait_for(
                        session.send("Page.captureScreenshot", params), timeout=s.timeout_ms / 2000
                    )
                    return base64.b64decode(result["data"])
                except (Error, TimeoutError):
                    # Chromium sometimes refuses the fast path ("Unable to capture screenshot") when
                    # a frame is not ready under load; Playwright's screenshot waits for one.
                    pass
        options: dict[str, Any] = {
            "type": s.format,
            "full_page": full,
            "caret": "initial",  # hiding the caret costs a style injection and round trip
            "scale": "css",
            "timeout": s.timeout_ms,
        }
        if s.format == "jpeg":
            options["quality"] = s.quality
        if mask:
            options["mask"] = list(mask)
        return await self.page.screenshot(**options)

    async def close(self) -> None:
        """Detach the CDP session (a page reused by the next job gets a session of its own)."""
        session, self._cdp = self._cdp, None
        if session is not None:
            try:
                await session.detach()
            except Error:
                pass  # the page or browser is already gone

    async def capture(self, path: Path, *, full: bool = False, mask: Sequence[Locator] = ()) -> Path:
        data = await self.grab(full=full, mask=mask)
        path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(path.write_bytes, data)
        return path


async def failure_evidence(
    page: Page,
    capturer: Capturer,
    base: Path,
    *,
    mask: Sequence[Locator],
    redactor: Redactor,
    full: bool = False,
) -> list[Artifact]:
    """Screenshot, HTML and aria snapshot of the page as a failed step left it, beside `base`
    (`.jpg`, `.html`, `.aria.yaml`), the texts redacted (the aria snapshot shows field values).
    Best effort: the page may be gone, and evidence must never hide the step's own error."""
    found: list[Artifact] = []
    if page.is_closed():
        log.info("failure_evidence_skipped", reason="the page is closed")
        return found
    try:
        shot = await capturer.capture(
            base.with_name(base.name + capturer.settings.suffix), full=full, mask=mask
        )
        found.append(Artifact("screenshot", str(shot), "page at failure"))
    except Exception as err:  # noqa: BLE001 - see the docstring
        log.warning("failure_screenshot_failed", error=str(err))
        if page.is_closed():  # its browser went away: nothing more to read
            return found
    texts: list[tuple[str, str, Callable[[], Awaitable[str]]]] = [
        # content() has no timeout and waits out a navigation in progress: bounded here.
        ("html", ".html", lambda: asyncio.wait_for(page.content(), timeout=5)),
        ("aria", ".aria.yaml", lambda: page.locator("body").aria_snapshot(timeout=2_000)),
    ]
    for kind, suffix, read in texts:
        try:
            text = redactor.redact(await read())
            path = base.with_name(base.name + suffix)
            await asyncio.to_thread(path.write_text, text, "utf-8")
            found.append(Artifact(kind, str(path), "page HTML" if kind == "html" else "aria snapshot"))  # type: ignore[arg-type]
        except Exception as err:  # noqa: BLE001 - see the docstring
            log.warning("failure_evidence_failed", kind=kind, error=str(err))
    return found
