"""Safety gates: the confirmation before destructive work, the canary, the circuit breaker, and the
gate every worker passes before each action (Ctrl-C, pauses on session expiry)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

FAILURE_RATE_MIN_ROWS = 10  # a rate over fewer rows says little


class Halted(Exception):
    """A second Ctrl-C: no new step starts (the running one has finished)."""


@dataclass
class Gate:
    """Shared by all workers. `stop()`: no new job starts, running ones finish. `halt()`: no new step
    starts either. `pause()`/`resume()`: every worker waits before its next action."""

    stop_reason: str | None = None
    halted: bool = False
    _running: asyncio.Event = field(default_factory=asyncio.Event)
    pause_reason: str | None = None

    def __post_init__(self) -> None:
        self._running.set()

    @property
    def stopping(self) -> bool:
        return self.stop_reason is not None

    def stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason

    def halt(self) -> None:
        self.halted = True
        self._running.set()  # a paused worker must wake up to notice

    def pause(self, reason: str) -> None:
        self.pause_reason = reason
        self._running.clear()

    def resume(self) -> None:
        self.pause_reason = None
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    async def wait(self) -> None:
        if self.halted:
            raise Halted("interrupted: no new step starts")
        await self._running.wait()
        if self.halted:
            raise Halted("interrupted: no new step starts")


@dataclass
class CircuitBreaker:
    """Stops the run after `max_consecutive` failed rows in a row, or when the failure rate over at
    least FAILURE_RATE_MIN_ROWS finished rows exceeds `max_rate`."""

    max_consecutive: int = 3
    max_rate: float | None = None
    consecutive: int = 0
    finished: int = 0
    failed: int = 0

    def record(self, ok: bool) -> str | None:
        """Count a finished row; the reason to stop, if it is time."""
        self.finished += 1
        if ok:
            self.consecutive = 0
        else:
            self.failed += 1
            self.consecutive += 1
        if self.max_consecutive and self.consecutive >= self.max_consecutive:
            rows = "row" if self.consecutive == 1 else "rows"
            return f"circuit breaker: {self.consecutive} {rows} failed in a row (--max-failures {self.max_consecutive})"
        if self.max_rate is not None and self.finished >= FAILURE_RATE_MIN_ROWS:
            rate = self.failed / self.finished
            if rate > self.max_rate:
                return (
                    f"circuit breaker: {self.failed} of {self.finished} rows failed ({rate:.0%} > "
                    f"--max-failure-rate {self.max_rate:.0%})"
                )
        return None


Ask = Callable[[str], str]


def interactive() -> bool:
    return sys.stdin.isatty()


def confirm(question: str, *, assume_yes: bool, ask: Ask | None = None) -> bool:
    """True with --yes; else ask on the terminal (the answer must be "yes"); False without one."""
    if assume_yes:
        return True
    if ask is None:
        if not interactive():
            return False
        ask = input
    try:
        return ask(f"{question} Type 'yes' to go on: ").strip().lower() == "yes"
    except EOFError:
        return False
