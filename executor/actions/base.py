"""The action registry and the context an action runs in.

An action is a small async function `(ctx, args) -> None` registered under the runbook name it
implements (`Step.action`), with the capabilities the engine's policies need:
- `changes_state`: it can change the portal (a click may pay); reads and waits cannot.
- a `dry_run` function (resolve the target, do not act) makes a state-changing action usable in a
  dry run; actions that change nothing run as usual there. `supports_dry_run` says either holds.
The engine looks actions up by name: no `if action == ...` chain anywhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from playwright.async_api import Locator, Page

from executor.engine.locate import Mode, Resolution
from executor.events import Artifact
from executor.model.catalogue import Catalogue
from executor.model.runbook import Condition, Step, TargetRef


T = TypeVar("T")


class ActionError(Exception):
    """The action could not do its job; a plain message, the engine adds the step and location."""


class StepContext(Protocol):
    """What an action may use. The engine implements it; actions never see the engine itself."""

    page: Page
    step: Step
    base_url: str
    catalogue: Catalogue  # entries, texts and value sets (the portal's words)
    variables: dict[str, Any]
    headed: bool
    interactive: bool

    def timeout_ms(self) -> float:
        """What is left of the step's budget for the action (resolution included)."""
        ...

    async def locate(self, target: TargetRef, *, mode: Mode = "strict", wait: bool = True) -> Locator:
        """Resolve a catalogue target (waiting within the budget unless `wait=False`) and record
        which candidate matched. Raises `executor.engine.locate.LocatorError`s."""
        ...

    async def resolve(
        self,
        target: TargetRef,
        *,
        mode: Mode = "strict",
        wait: bool = True,
        timeout_ms: float | None = None,
        scope_timeout_ms: float | None = None,
    ) -> Resolution:
        """Like `locate`, returning the whole resolution (assertions report which candidate matched).
        A one-look probe (`wait=False`) may still wait `scope_timeout_ms` for the target's scope."""
        ...

    async def trusting(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run an action or check; if it fails on a target the memo handed out without looking,
        report what a full search finds, or retry once in candidate order (see `StepRun`)."""
        ...

    def is_secret(self, value: str) -> bool: ...

    async def protect(self, locator: Locator) -> None:
        """A field about to receive a secret: masked in screenshots from now on, dots on screen."""
        ...

    def set_var(self, name: str, value: Any) -> None: ...

    def add_secret(self, value: str) -> None:
        """A value read at run time that is a secret (a 2FA code): redacted from now on."""
        ...

    async def condition(self, condition: Condition, *, wait_ms: float) -> bool: ...

    async def run_children(self) -> None:
        """`use`: run the sub-runbook's planned steps in place."""
        ...

    async def screenshot(self, name: str | None, *, full: bool) -> str: ...

    def prompt(self, message: str, timeout_ms: int) -> None:
        """Tell the operator something (an `OperatorPrompt` event)."""
        ...

    def note(self, text: str) -> None:
        """A remark shown with the step in reports."""
        ...

    async def run_rounds(self, until: Condition, max_rounds: int) -> int:
        """`repeat`: run the step's children in rounds until `until` holds; the rounds run."""
        ...

    def add_artifact(self, artifact: Artifact) -> None:
        """A file the step kept as evidence (a download)."""
        ...

    def job_folder(self) -> Path:
        """The job's evidence folder."""
        ...

    async def switch_tab(self, to: str) -> str:
        """Continue on another open tab (`previous`, `first`, `/url regex/`); its URL."""
        ...

    async def close_tab(self) -> str:
        """Close the current tab and continue on the previous one; its URL."""
        ...

    async def number_locale(self, given: str | None) -> str:
        """The locale to read numbers in: `given` (the step's), else the run's or the catalogue's."""
        ...


A = TypeVar("A")
ActionFn = Callable[[StepContext, Any], Awaitable[None]]


@dataclass(frozen=True)
class ActionSpec:
    name: str
    run: ActionFn
    changes_state: bool
    dry_run: ActionFn | None = None
    doc: str = ""

    @property
    def supports_dry_run(self) -> bool:
        return not self.changes_state or self.dry_run is not None


REGISTRY: dict[str, ActionSpec] = {}


def action(
    name: str, *, changes_state: bool, dry_run: ActionFn | None = None
) -> Callable[[Callable[[StepContext, A], Awaitable[None]]], Callable[[StepContext, A], Awaitable[None]]]:
    """Register `fn` as the implementation of runbook action `name`."""

    def register(
        fn: Callable[[StepContext, A], Awaitable[None]],
    ) -> Callable[[StepContext, A], Awaitable[None]]:
        if name in REGISTRY:
            raise ValueError(f"action {name!r} registered twice")
        REGISTRY[name] = ActionSpec(name, fn, changes_state, dry_run, (fn.__doc__ or "").strip())
        return fn

    return register


async def resolve_only(ctx: StepContext, args: Any) -> None:
    """Dry run of a target action: prove the element is there, touch nothing."""
    await ctx.locate(args.target)
