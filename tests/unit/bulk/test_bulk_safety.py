"""Circuit breaker, confirmation, the gate, the rate limiter, canary batches."""

from __future__ import annotations

import asyncio
import time

import pytest

from executor.bulk.rate_limit import RateLimiter
from executor.bulk.run_state import split_canary
from executor.bulk.safety import CircuitBreaker, Gate, Halted, confirm
from executor.run_api import run_sync


def test_breaker_stops_after_consecutive_failures_only() -> None:
    b = CircuitBreaker(max_consecutive=3)
    assert [b.record(ok) for ok in (False, False, True, False, False)] == [None] * 5
    assert b.record(False) is not None


def test_breaker_on_failure_rate_waits_for_ten_rows() -> None:
    b = CircuitBreaker(max_consecutive=0, max_rate=0.2)
    results = [b.record(ok) for ok in (False, True, False, True, False, True, True, True, True)]
    assert results == [None] * 9  # 3 of 9 failed, but fewer than 10 rows
    assert b.record(True) is not None  # 3 of 10 > 20%


def test_confirm_needs_yes_or_an_answer() -> None:
    assert confirm("go?", assume_yes=True)
    assert confirm("go?", assume_yes=False, ask=lambda _: "yes")
    assert not confirm("go?", assume_yes=False, ask=lambda _: "y")
    assert not confirm("go?", assume_yes=False, ask=lambda _: "")


def test_gate_pauses_and_halts() -> None:
    async def scenario() -> list[str]:
        gate, seen = Gate(), []

        async def worker() -> None:
            await gate.wait()
            seen.append("ran")

        gate.pause("session expired")
        task = asyncio.create_task(worker())
        await asyncio.sleep(0.05)
        seen.append("paused")
        gate.resume()
        await task
        gate.halt()
        with pytest.raises(Halted):
            await gate.wait()
        return seen

    assert run_sync(scenario()) == ["paused", "ran"]


def test_rate_limiter_spaces_actions() -> None:
    async def scenario() -> float:
        limiter = RateLimiter(20)
        started = time.monotonic()
        for _ in range(6):
            await limiter.acquire()
        return time.monotonic() - started

    assert run_sync(scenario()) >= 0.24  # 5 intervals of 50 ms after the first


def test_canary_batches() -> None:
    assert split_canary([1, 2, 3, 4], 2) == [[1, 2], [3, 4]]
    assert split_canary([1, 2], 0) == [[1, 2]]
    assert split_canary([1, 2], 5) == [[1, 2]]
    assert split_canary([], 2) == []
