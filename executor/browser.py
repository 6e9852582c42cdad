"""Which Chromium to drive, and how to launch it.

Discovery order (the same as `scripts/ensure-chromium`): `RUNBOOK_CHROMIUM`, then the browser
Playwright manages (if it was downloaded), then a system Chromium/Chrome on PATH. Playwright only
needs `executable_path` when the browser is not its own, so `launch_args` adds it only then.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, async_playwright

ENV_VAR = "RUNBOOK_CHROMIUM"
SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome")

# Flags that keep a test browser quiet and predictable: no GPU process (CI machines have none),
# no background downloads, component updates or sync traffic competing with the run.
BASE_ARGS = (
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class ChromiumNotFound(RuntimeError):
    pass


def _managed_chromium() -> str | None:
    """Path of the Chromium `playwright install` would have downloaded, if it is there.

    Computed from the driver's `browsers.json` (the revision) instead of starting Playwright: this
    runs before any event loop exists and must stay cheap.
    """
    import playwright

    browsers_json = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    try:
        browsers = json.loads(browsers_json.read_text())["browsers"]
        revision = next(b["revision"] for b in browsers if b["name"] == "chromium")
    except (OSError, ValueError, KeyError, StopIteration):
        return None
    root = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if root in (None, "", "0"):
        if sys.platform == "darwin":
            base = Path.home() / "Library" / "Caches" / "ms-playwright"
        elif sys.platform == "win32":
            base = Path(os.environ.get("LOCALAPPDATA", Path.home())) / "ms-playwright"
        else:
            base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ms-playwright"
    else:
        base = Path(root)
    folder = base / f"chromium-{revision}"
    for relative in (
        "chrome-linux64/chrome",
        "chrome-linux/chrome",
        "chrome-mac/Chromium.app/Contents/MacOS/Chromium",
        "chrome-mac-arm64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
        "chrome-mac-x64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
        "chrome-win64/chrome.exe",
        "chrome-win/chrome.exe",
    ):
        candidate = folder / relative
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def find_chromium() -> str | None:
    """The Chromium to use, or None when there is none (the caller says how to get one)."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return explicit
    managed = _managed_chromium()
    if managed:
        return managed
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in SYSTEM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _is_root() -> bool:
    geteuid = getattr(os, "geteuid", None)  # absent on Windows
    return geteuid is not None and geteuid() == 0


def chromium_flags() -> list[str]:
    flags = list(BASE_ARGS)
    if _is_root():
        flags.append("--no-sandbox")
    return flags


def launch_args(
    headed: bool = False, *, slow_mo_ms: int = 0, executable: str | None = None
) -> dict[str, Any]:
    """Keyword arguments for `BrowserType.launch`.

    `executable` wins over discovery; the path is only passed when it is not Playwright's own
    browser. Chromium refuses to start its sandbox as root (containers, CI), hence `--no-sandbox`
    there and only there.
    """
    path = executable or find_chromium()
    if path is None:
        raise ChromiumNotFound(
            "no Chromium found: set RUNBOOK_CHROMIUM, run `python -m playwright install chromium`, "
            "or install your system's chromium package"
        )
    options: dict[str, Any] = {"headless": not headed, "args": chromium_flags()}
    if path != _managed_chromium():
        options["executable_path"] = path
    if slow_mo_ms:
        options["slow_mo"] = slow_mo_ms
    return options


@dataclass(frozen=True)
class BrowserSettings:
    headed: bool = False
    slow_mo_ms: int = 0
    executable: str | None = None
    viewport: tuple[int, int] = (1280, 800)
    # Extra `new_context` options (locale, storage_state, ...), merged over the viewport.
    context_options: dict[str, Any] = field(default_factory=dict)

    def launch_kwargs(self) -> dict[str, Any]:
        return launch_args(self.headed, slow_mo_ms=self.slow_mo_ms, executable=self.executable)

    def context_kwargs(self) -> dict[str, Any]:
        width, height = self.viewport
        return {"viewport": {"width": width, "height": height}, **self.context_options}


@asynccontextmanager
async def open_browser(
    settings: BrowserSettings | None = None, *, launch: dict[str, Any] | None = None
) -> AsyncIterator[Browser]:
    """Playwright + one Chromium for the duration of the block.

    `launch` (plain `BrowserType.launch` kwargs, e.g. pytest-playwright's `browser_type_launch_args`
    completed by `launch_args`) wins over `settings`.
    """
    kwargs = launch if launch is not None else (settings or BrowserSettings()).launch_kwargs()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**kwargs)
        try:
            yield browser
        finally:
            await browser.close()
