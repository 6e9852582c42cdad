"""Which Chromium to drive: one launched here, or one running elsewhere.

Discovery order (the same as `scripts/ensure-chromium`): `RUNBOOK_CHROMIUM`, then the browser
Playwright manages (if it was downloaded), then a system Chromium/Chrome on PATH. Playwright only
needs `executable_path` when the browser is not its own, so `launch_args` adds it only then.

Remote browsers: a Playwright browser server (`runbook browser-server`, `playwright run-server`,
`launchServer`, the Playwright container image) through `BrowserType.connect`, or any Chromium
speaking CDP (a browser pool, a Chrome started with `--remote-debugging-port`) through
`connect_over_cdp`. What only a local launch can use (a local `executable_path`, `--headed`) is
refused with a clear message rather than dropped. Evidence still lands in the local run folder:
screenshots, traces and downloads come back over the connection.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from playwright.async_api import Browser, Playwright, async_playwright

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


SERVERS_ENV = "RUNBOOK_BROWSER_SERVERS"
CONNECT_TIMEOUT_MS = 30_000


class ChromiumNotFound(RuntimeError):
    pass


class RemoteOptionError(ValueError):
    """An option only a local launch can honour was given with a remote browser."""


@dataclass(frozen=True)
class RemoteBrowser:
    """A browser running elsewhere: a Playwright browser server (`ws://...`) or a CDP endpoint."""

    kind: Literal["server", "cdp"]
    endpoint: str

    def describe(self) -> str:
        """The endpoint without what may be a credential (user info, query, a server's secret
        path): it is shown in logs and reports, which must never carry one."""
        parts = urlsplit(self.endpoint)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        path = "/…" if parts.path.strip("/") else ""
        return urlunsplit((parts.scheme, netloc, path, "", ""))


def servers_from(values: list[str] | None, env: str | None) -> tuple[RemoteBrowser, ...]:
    """`--browser-server` values, else `RUNBOOK_BROWSER_SERVERS` (comma-separated)."""
    given = list(values or []) or [v.strip() for v in (env or "").split(",") if v.strip()]
    for endpoint in given:
        if urlsplit(endpoint).scheme not in ("ws", "wss"):
            raise RemoteOptionError(f"--browser-server {endpoint!r}: a Playwright browser server's address is ws://HOST:PORT/PATH")
    return tuple(RemoteBrowser("server", e) for e in given)


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
    # Browsers elsewhere (empty: launch one here). Several servers share a bulk run's workers.
    remotes: tuple[RemoteBrowser, ...] = ()

    def check_remote(self) -> None:
        """Raise RemoteOptionError for a launch option that cannot travel to a remote browser."""
        if not self.remotes:
            return
        kinds = {r.kind for r in self.remotes}
        if len(kinds) > 1 or ("cdp" in kinds and len(self.remotes) > 1):
            raise RemoteOptionError("give browser servers (--browser-server, repeatable) or one --cdp-endpoint, not both")
        if self.executable is not None:
            raise RemoteOptionError(
                f"a browser's executable path ({self.executable}) is a path on this machine: a remote browser "
                "runs the server's own; set it where the server starts (runbook browser-server, RUNBOOK_CHROMIUM)"
            )
        if self.headed:
            raise RemoteOptionError(
                "--headed cannot travel to a remote browser: whether its window shows is the server's choice "
                "(start it on a machine with a display)"
            )

    def launch_kwargs(self) -> dict[str, Any]:
        return launch_args(self.headed, slow_mo_ms=self.slow_mo_ms, executable=self.executable)

    def context_kwargs(self) -> dict[str, Any]:
        width, height = self.viewport
        return {"viewport": {"width": width, "height": height}, **self.context_options}


async def connect(playwright: Playwright, remote: RemoteBrowser, *, slow_mo_ms: int = 0) -> Browser:
    """A browser of a Playwright browser server, or a Chromium over CDP."""
    if remote.kind == "server":
        return await playwright.chromium.connect(remote.endpoint, slow_mo=slow_mo_ms, timeout=CONNECT_TIMEOUT_MS)
    return await playwright.chromium.connect_over_cdp(remote.endpoint, slow_mo=slow_mo_ms, timeout=CONNECT_TIMEOUT_MS)


@asynccontextmanager
async def open_browser(
    settings: BrowserSettings | None = None, *, launch: dict[str, Any] | None = None
) -> AsyncIterator[Browser]:
    """Playwright + one Chromium for the duration of the block: the first remote browser of
    `settings` when it names some, else one launched here.

    `launch` (plain `BrowserType.launch` kwargs, e.g. pytest-playwright's `browser_type_launch_args`
    completed by `launch_args`) wins over `settings` for a local launch.
    """
    settings = settings or BrowserSettings()
    settings.check_remote()
    async with async_playwright() as playwright:
        if settings.remotes:
            browser = await connect(playwright, settings.remotes[0], slow_mo_ms=settings.slow_mo_ms)
        else:
            browser = await playwright.chromium.launch(**(launch if launch is not None else settings.launch_kwargs()))
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def open_browsers(
    settings: BrowserSettings, *, launch: dict[str, Any] | None = None
) -> AsyncIterator[list[tuple[str, Browser]]]:
    """Every browser of `settings`, with a label for notes and reports: each remote one (connected
    in turn; one that cannot be reached is an error before anything runs), else one launched here."""
    settings.check_remote()
    async with AsyncExitStack() as stack:
        playwright = await stack.enter_async_context(async_playwright())
        browsers: list[tuple[str, Browser]] = []
        if settings.remotes:
            for remote in settings.remotes:
                browser = await connect(playwright, remote, slow_mo_ms=settings.slow_mo_ms)
                browsers.append((remote.describe(), browser))
        else:
            browser = await playwright.chromium.launch(**(launch if launch is not None else settings.launch_kwargs()))
            browsers.append(("local", browser))
        try:
            yield browsers
        finally:
            for _label, browser in browsers:
                try:
                    await browser.close()
                except Exception:  # noqa: BLE001 - a server that went away cannot be closed
                    pass
