"""The CLI on a pseudo-terminal, as an operator sees it: prompts are answered by typing.

`runbook` asks questions only on a terminal (and never under CI), so these tests give it one.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


class Terminal:
    def __init__(self, args: Sequence[str], *, env: dict[str, str] | None = None) -> None:
        master, slave = pty.openpty()
        environment = {k: v for k, v in os.environ.items() if k != "CI"}  # CI means "never ask"
        environment.update({"TERM": "xterm", "COLUMNS": "160", "LINES": "50", **(env or {})})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "executor.cli", *args],
            cwd=ROOT,
            env=environment,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            close_fds=True,
            start_new_session=True,
        )
        os.close(slave)
        self._master = master
        self._raw = b""

    @property
    def screen(self) -> str:
        """Everything printed so far, without colours and cursor moves."""
        return _ANSI.sub("", self._raw.decode(errors="replace"))

    def _read(self, timeout: float) -> int:
        """Bytes read within `timeout`; -1 once the other end is closed (the process exited)."""
        ready, _, _ = select.select([self._master], [], [], timeout)
        if not ready:
            return 0
        try:
            chunk = os.read(self._master, 65536)
        except OSError:
            return -1
        self._raw += chunk
        return len(chunk) if chunk else -1

    def expect(self, text: str, timeout: float = 180) -> None:
        """Read until `text` is on the screen (a condition, not a fixed wait)."""
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not appear within {timeout} s; screen:\n{self.screen[-3000:]}")
            if self._read(min(1.0, max(deadline - time.monotonic(), 0.01))) < 0:
                raise AssertionError(f"the CLI exited ({self.proc.returncode}) before {text!r}:\n{self.screen[-3000:]}")

    def until(self, condition: Callable[[], bool], what: str, timeout: float = 180) -> None:
        """Keep reading (a full terminal would block the CLI) until `condition()` holds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout} s; screen:\n{self.screen[-3000:]}")
            if self._read(0.2) < 0:
                raise AssertionError(f"the CLI exited ({self.proc.wait()}) before {what}:\n{self.screen[-3000:]}")

    def type(self, line: str) -> None:
        os.write(self._master, (line + "\n").encode())

    def wait(self, timeout: float = 300) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"the CLI did not exit within {timeout} s:\n{self.screen[-3000:]}")
            self._read(0.5)
        while self._read(0.05) > 0:  # what is left to read
            pass
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        os.close(self._master)
