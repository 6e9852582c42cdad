"""'did you mean ...?' hints."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    pool = sorted(set(choices))
    found = difflib.get_close_matches(word, pool, n=n, cutoff=cutoff)
    if not found:
        # A case slip ("eco" for "Eco") is not "close" for difflib's ratio on short words.
        found = [c for c in pool if c.lower() == word.lower()][:n]
    return found


def quoted_list(words: Iterable[str], conjunction: str = "or") -> str:
    items = [f"'{w}'" for w in words]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str | None:
    found = closest(word, choices, n=n)
    return f"did you mean {quoted_list(found)}?" if found else None


def one_of(choices: Iterable[str]) -> str:
    return f"one of: {', '.join(sorted(choices))}"
