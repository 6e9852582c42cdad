"""The one exception business operations raise when a rule refuses a change."""

from __future__ import annotations

from .labels import Labels


class RuleViolation(Exception):
    """A refused change. `key` names its text in labels.py; `fields` fill that text."""

    def __init__(self, key: str, **fields: object) -> None:
        self.key = key
        self.fields = fields
        super().__init__(Labels("2026")(key, **fields))

    def message(self, labels: Labels) -> str:
        return labels(self.key, **self.fields)
