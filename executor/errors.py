"""Turning Playwright's long error texts into the one line a report needs."""

from __future__ import annotations

import re

_NOISE = re.compile(r"^(retrying .*|waiting \d+ms|attempting .* action|.*with timeout \d+ms)$")
_COUNT = re.compile(r"^\d+ × ")


def actual_value(message: str) -> str | None:
    """`Actual value: 25.00` from an `expect` failure."""
    match = re.search(r"^Actual value: (.*)$", message, re.MULTILINE)
    if match is None:
        return None
    value = match.group(1).strip()
    follow = re.search(r"^Error: (.*)$", message, re.MULTILINE)
    if value == "None" and follow:
        return follow.group(1).strip()
    return value


def summarize(message: str) -> str:
    """First line plus the last two meaningful call-log lines ("element is not enabled")."""
    lines = message.splitlines()
    if not lines:
        return message
    head = lines[0].strip()
    if "Call log:" not in message:
        return head
    log = message.split("Call log:", 1)[1].split("\n\n", 1)[0]
    seen: list[str] = []
    for raw in log.splitlines():
        line = _COUNT.sub("", raw.strip().lstrip("-").strip())
        if not line or _NOISE.match(line) or line in seen:
            continue
        seen.append(line)
    tail = [line for line in seen if not line.startswith("waiting for locator")][-2:]
    return f"{head} ({'; '.join(tail)})" if tail else head
