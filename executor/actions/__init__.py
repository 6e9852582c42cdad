"""The action registry: `get(step.action)` -> the small async function that implements it.

Importing the domain modules registers their actions; adding an action is one function in the
module of its domain (and its args model in `executor.model.runbook.ACTION_ARGS`).
"""

from __future__ import annotations

from executor.actions import (  # noqa: F401 - importing registers the actions
    assertions,
    data,
    downloads,
    flow,
    interact,
    navigate,
    screenshot,
    tabs,
)
from executor.actions.base import REGISTRY, ActionError, ActionSpec, StepContext, action


class UnknownAction(KeyError):
    pass


def get(name: str) -> ActionSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownAction(f"no action named {name!r} (known: {', '.join(sorted(REGISTRY))})") from None


__all__ = ["REGISTRY", "ActionError", "ActionSpec", "StepContext", "UnknownAction", "action", "get"]
