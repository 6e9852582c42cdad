"""Shared bases for the frozen models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Immutable, strict-shaped model: evaluated copies are made with `model_copy(update=...)`."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceSpan(Frozen):
    """Where a node starts in its YAML file (1-based line and column), for `file:line:col:` messages."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


UNKNOWN_SOURCE = SourceSpan(file="<unknown>", line=0, col=0)
