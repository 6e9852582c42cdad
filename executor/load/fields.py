"""Typed reads from marked YAML with diagnostics: the small vocabulary both loaders are written in.

Every reader reports a problem and returns `None` (or a default) instead of raising, so one pass
over a file finds all its problems.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from executor.load.diagnostics import Diagnostic
from executor.load.suggest import closest, did_you_mean, one_of
from executor.load.yaml_source import Mark, SourceFile, YamlMap, YamlSeq
from executor.model.base import SourceSpan

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DURATION = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|m)\s*$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000}
DURATION_HINT = "write a number with ms, s or m: 500ms, 2s, 1m (a bare number is milliseconds)"


def type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})" if len(value) <= 40 else "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


class Checker:
    """Collects diagnostics for one YAML file."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    @property
    def failed(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    def error(self, mark: Mark, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(self.source.diagnostic(mark, message, hint))

    def warning(self, mark: Mark, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(self.source.diagnostic(mark, message, hint, warning=True))

    def span(self, mark: Mark) -> SourceSpan:
        return self.source.span(mark)

    # --- shapes -------------------------------------------------------------------------------

    def mapping(self, value: Any, mark: Mark, what: str) -> YamlMap | None:
        if isinstance(value, YamlMap):
            return value
        self.error(mark, f"{what} must be a mapping, got {type_name(value)}")
        return None

    def sequence(self, value: Any, mark: Mark, what: str) -> YamlSeq | None:
        if isinstance(value, YamlSeq):
            return value
        self.error(mark, f"{what} must be a list, got {type_name(value)}")
        return None

    def keys(
        self,
        m: YamlMap,
        allowed: Collection[str],
        what: str,
        *,
        required: Collection[str] = (),
        suggest_from: Collection[str] | None = None,
    ) -> bool:
        """Unknown keys (with the closest known ones) and missing required keys; True when clean."""
        clean = True
        suggested: set[str] = set()
        for key in m:
            if key in allowed:
                continue
            clean = False
            if not isinstance(key, str):
                self.error(m.key_mark(key), f"{what}: a key must be a word, got {type_name(key)}")
                continue
            pool = suggest_from if suggest_from is not None else allowed
            suggested.update(closest(key, pool))
            hint = did_you_mean(key, pool)
            self.error(
                m.key_mark(key), f"unknown key '{key}' in {what}", hint or f"expected {one_of(allowed)}"
            )
        for key in required:
            if key not in m and key not in suggested:  # "did you mean 'candidates'?" already said it
                clean = False
                self.error(m.mark, f"{what} is missing '{key}'")
        return clean

    # --- scalars ------------------------------------------------------------------------------

    def string(self, m: YamlMap, key: str, what: str, *, allow_numbers: bool = False) -> str | None:
        if key not in m:
            return None
        return self.string_value(m[key], m.value_mark(key), f"'{key}' in {what}", allow_numbers=allow_numbers)

    def string_value(self, value: Any, mark: Mark, what: str, *, allow_numbers: bool = False) -> str | None:
        if isinstance(value, str):
            return value
        if allow_numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        self.error(mark, f"{what} must be a string, got {type_name(value)}")
        return None

    def boolean(self, m: YamlMap, key: str, what: str, default: bool = False) -> bool:
        if key not in m:
            return default
        value = m[key]
        if isinstance(value, bool):
            return value
        self.error(m.value_mark(key), f"'{key}' in {what} must be true or false, got {type_name(value)}")
        return default

    def integer(self, m: YamlMap, key: str, what: str, *, minimum: int | None = None) -> int | None:
        if key not in m:
            return None
        value = m[key]
        if not isinstance(value, int) or isinstance(value, bool):
            self.error(m.value_mark(key), f"'{key}' in {what} must be a whole number, got {type_name(value)}")
            return None
        if minimum is not None and value < minimum:
            self.error(m.value_mark(key), f"'{key}' in {what} must be at least {minimum}, got {value}")
            return None
        return value

    def choice(self, m: YamlMap, key: str, choices: Collection[str], what: str) -> str | None:
        if key not in m:
            return None
        value = m[key]
        mark = m.value_mark(key)
        if not isinstance(value, str):
            self.error(mark, f"'{key}' in {what} must be {one_of(choices)}; got {type_name(value)}")
            return None
        if value not in choices:
            self.error(
                mark,
                f"invalid {key} '{value}' in {what}",
                did_you_mean(value, choices) or f"expected {one_of(choices)}",
            )
            return None
        return value

    def duration(self, m: YamlMap, key: str, what: str) -> int | None:
        if key not in m:
            return None
        return self.duration_value(m[key], m.value_mark(key), f"'{key}' in {what}")

    def duration_value(self, value: Any, mark: Mark, what: str) -> int | None:
        """Milliseconds from `500ms`, `2s`, `1.5s`, `1m`, or an int (already milliseconds)."""
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                self.error(mark, f"{what} must not be negative, got {value}", DURATION_HINT)
                return None
            return value
        if isinstance(value, str):
            match = _DURATION.match(value)
            if match:
                return round(float(match["num"]) * _UNIT_MS[match["unit"]])
            self.error(mark, f"invalid duration '{value}' for {what}", DURATION_HINT)
            return None
        self.error(mark, f"{what} must be a duration, got {type_name(value)}", DURATION_HINT)
        return None

    def identifier(self, value: Any, mark: Mark, what: str) -> str | None:
        text = self.string_value(value, mark, what)
        if text is None:
            return None
        if not IDENTIFIER.match(text):
            self.error(
                mark,
                f"{what}: '{text}' is not a valid name",
                "use letters, digits and _ (not starting with a digit)",
            )
            return None
        return text
