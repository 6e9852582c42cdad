"""The one redaction set: every secret value a run knows, masked wherever text leaves the engine.

Logs, events, reports, JUnit, journals and error messages all pass through the same `Redactor`,
so a secret cannot leak through a path someone forgot to mask.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

# Values this short would mask unrelated text ("1" inside every number); they are not secrets worth
# the collateral damage, and a secret param that short is refused at validation instead.
MIN_SECRET_LENGTH = 3


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        new = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET_LENGTH}
        if not new - self._secrets:
            return
        self._secrets |= new
        # Longest first, so a secret that contains another is masked whole.
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def redact(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def redact_obj(self, obj: Any) -> Any:
        """A copy of `obj` (str, mapping, sequence, scalar) with every secret masked."""
        if self._pattern is None:
            return obj
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, Mapping):
            return {self.redact_obj(k): self.redact_obj(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple, set, frozenset)):
            return (
                type(obj)(self.redact_obj(v) for v in obj)
                if not isinstance(obj, tuple)
                else tuple(self.redact_obj(v) for v in obj)
            )
        return obj
