"""Checking and coercing param values by type: shared by validation (`tests` examples, `use`
params written as literals) and planning (CLI `--param k=v` strings, params files, env vars)."""

from __future__ import annotations

import re
from typing import Any

from executor.load.suggest import did_you_mean
from executor.model.runbook import Param, ParamType

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})


class ParamValueError(ValueError):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _shown(param: Param, value: Any) -> str:
    # A secret's value never appears in a message, not even a wrong one.
    return "the given value" if param.secret else repr(value)


def coerce(param: Param, value: Any) -> Any:
    """The value as the param's type (str, int or bool); ParamValueError says why it cannot be."""
    if isinstance(value, (dict, list, tuple, set)):
        raise ParamValueError(f"param '{param.name}' must be a single value, got a {type(value).__name__}")
    if param.type is ParamType.INT:
        return _to_int(param, value)
    if param.type is ParamType.BOOL:
        return _to_bool(param, value)
    if value is None:
        raise ParamValueError(f"param '{param.name}' has no value")
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if param.type is ParamType.EMAIL and not EMAIL.match(text):
        raise ParamValueError(f"param '{param.name}' must be an email address, got {_shown(param, text)}")
    if param.type is ParamType.ENUM and text not in param.values:
        raise ParamValueError(
            f"param '{param.name}' must be one of {', '.join(param.values)}; got {_shown(param, text)}",
            None if param.secret else did_you_mean(text, param.values),
        )
    return text


def _to_int(param: Param, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
        return int(value)
    raise ParamValueError(f"param '{param.name}' must be a whole number, got {_shown(param, value)}")


def _to_bool(param: Param, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ParamValueError(
        f"param '{param.name}' must be true or false, got {_shown(param, value)}", "true/false, yes/no or 1/0"
    )
