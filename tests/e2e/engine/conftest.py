"""Real Chromium on static pages served from 127.0.0.1 (port 0), no fake portal needed.

Tests are sync and submit the async engine's coroutines to a session-wide browser running on an
event loop in a thread (pytest-asyncio is not a dependency).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "engine"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_site import PAGES
from playwright.async_api import Browser, Page

from executor.browser import BrowserSettings, find_chromium, open_browser
from executor.engine import EngineOptions, JobResult
from executor.events import Bus, Recorder
from executor.model.catalogue import Catalogue
from executor.model.plan import Plan
from executor.run_api import run_plan

T = TypeVar("T")

if find_chromium() is None:  # pragma: no cover - the machine has no browser at all
    pytest.skip("no Chromium available", allow_module_level=True)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        body = PAGES.get(path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b"<h1>Not found</h1>")
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        # Every form post answers with a redirect (post/redirect/get), like the portal.
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        if urlsplit(self.path).path == "/hangup":  # the connection drops: no answer at all
            self.close_connection = True
            return
        if urlsplit(self.path).path == "/boom":  # the portal failing a change
            body = b"<!doctype html><title>Error</title><h1>Internal Server Error</h1>"
            self.send_response(500)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(303)
        self.send_header("Location", "/done")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Site:
    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    with Site() as s:
        yield s


class BrowserThread:
    """One Chromium for the whole session, on an event loop in a thread of its own.

    Tests stay sync and submit coroutines to it; each job still gets a fresh context, so a
    launch (~0.4 s) is paid once instead of per test.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.settings = BrowserSettings()
        self._cm: Any = None
        self.browser: Browser | None = None

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self) -> Self:
        self.thread.start()

        async def start() -> Browser:
            self._cm = open_browser(self.settings)
            return await self._cm.__aenter__()

        self.browser = self.run(start())
        return self

    def __exit__(self, *exc: object) -> None:
        self.run(self._cm.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="session")
def browser_thread() -> Iterator[BrowserThread]:
    with BrowserThread() as bt:
        yield bt


EngineRun = Callable[..., tuple[JobResult, Recorder]]


@pytest.fixture
def engine_run(site: Site, tmp_path: Path, browser_thread: BrowserThread) -> EngineRun:
    """`engine_run(plan, catalogue, **EngineOptions fields)` -> (result, recorder of events)."""

    def run(
        plan: Plan, catalogue: Catalogue, *, listeners: tuple[Any, ...] = (), **fields: Any
    ) -> tuple[JobResult, Recorder]:
        fields.setdefault("trace", "off")
        fields.setdefault("action_timeout_ms", 3_000)
        fields.setdefault("assertion_timeout_ms", 1_500)
        options = EngineOptions(**fields)
        recorder = Recorder()
        bus = Bus([recorder, *listeners])
        assert browser_thread.browser is not None
        coro = run_plan(
            plan,
            catalogue,
            base_url=site.base_url,
            artifacts_dir=tmp_path / "artifacts",
            browser=browser_thread.browser,
            context_args=browser_thread.settings.context_kwargs(),
            options=options,
            bus=bus,
        )
        return browser_thread.run(coro), recorder

    return run


OnPage = Callable[[Callable[[Page], Coroutine[Any, Any, T]]], T]


@pytest.fixture
def on_page(site: Site, browser_thread: BrowserThread) -> OnPage[Any]:
    """`on_page(async_fn)`: run `async_fn(page)` on a fresh page at the site's home."""

    def run(fn: Callable[[Page], Coroutine[Any, Any, T]], path: str = "/") -> T:
        async def main() -> T:
            assert browser_thread.browser is not None
            context = await browser_thread.browser.new_context(**browser_thread.settings.context_kwargs())
            try:
                page = await context.new_page()
                await page.goto(site.base_url + path)
                return await fn(page)
            finally:
                await context.close()

        return browser_thread.run(main())

    return run
