"""Playwright browser servers for the bulk e2e tests, started with the documented command
(`runbook browser-server --port 0`), each in a process group of its own so that a test can kill
one outright (SIGKILL to the group: the server and its Chromium) the way a machine dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class BrowserServer:
    process: subprocess.Popen[str]
    endpoint: str

    def kill(self) -> None:
        """SIGKILL the server and its browser: no goodbye to the clients."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, as an operator stops it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server() -> BrowserServer:
    process = subprocess.Popen(
        [sys.executable, "-m", "executor.cli", "browser-server", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    endpoint = process.stdout.readline().strip()  # the first line, once it listens
    if not endpoint.startswith("ws://127.0.0.1:"):
        process.kill()
        raise RuntimeError(f"browser-server did not start: {endpoint!r} {process.stderr.read() if process.stderr else ''}")
    return BrowserServer(process, endpoint)


@contextmanager
def browser_servers(count: int) -> Iterator[list[BrowserServer]]:
    servers: list[BrowserServer] = []
    try:
        for _ in range(count):
            servers.append(start_server())
        yield servers
    finally:
        for server in servers:
            server.stop()
