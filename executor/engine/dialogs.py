"""Native dialogs (`alert`, `confirm`, `prompt`, `beforeunload`): the engine answers every one.

Playwright answers a dialog nobody listens to with "Cancel", so a `confirm()` before a destructive
post makes the click "work" while nothing happens. Here every page of a job's context has a
`DialogGuard` (one listener per page, kept for the page's life like the memo), and the guard hands
each dialog to the page's current owner, the job's `DialogBroker`:
- a step declares the dialogs its action raises (`dialog:`), in order; the broker answers each
  declared dialog as declared when its type and message match, and records it;
- anything else (undeclared, or not the declared message) is dismissed, recorded, and fails the
  step, quoting its text: an unexpected "Delete for good?" must never be accepted;
- a dry run never accepts a dialog;
- a page no job owns (between jobs) dismisses whatever comes.
Declared dialogs that are not `optional` must appear within the step's budget (`wait_declared`).
Optional ones left over stay armed until the next step arms its own: a portal's `alert()` raised
by the page a destructive post led to may come a moment after that step's checks passed.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field

import structlog
from playwright.async_api import Dialog, Page
from playwright.async_api import Error as PlaywrightError

from executor.engine.page_state import kept
from executor.events import DialogSeen
from executor.engine.wording import WordingError, text_pattern
from executor.model.catalogue import Catalogue
from executor.model.runbook import DialogSpec, MessageMatch, TextRef

log = structlog.get_logger("executor.engine.dialogs")


class DialogError(Exception):
    """A dialog the step did not declare, or a declared one that never came."""


def message_matches(match: MessageMatch | TextRef | None, message: str, catalogue: Catalogue) -> bool:
    if match is None:
        return True
    if isinstance(match, TextRef):  # the portal's wording, from the catalogue
        return text_pattern(catalogue, match).search(message) is not None
    if match.regex:
        return re.search(match.value, message, re.IGNORECASE if match.ignore_case else 0) is not None
    if match.ignore_case:
        return match.value.lower() in message.lower()
    return match.value in message


def _fits(spec: DialogSpec, dialog_type: str, message: str, catalogue: Catalogue) -> str | None:
    """Why `spec` does not describe this dialog, or None when it does."""
    if spec.type is not None and spec.type != dialog_type:
        return f"a {spec.type} was declared"
    try:
        fits = message_matches(spec.message, message, catalogue)
    except re.error as err:  # a regex made from a template: checked only now
        return f"the declared message is not a valid regex ({err})"
    except WordingError as err:
        return str(err)
    if not fits:
        assert spec.message is not None
        return f"its message does not match {spec.message.describe()}"
    return None


@dataclass
class _Armed:
    step_id: str
    specs: list[DialogSpec]
    seen: list[DialogSeen] = field(default_factory=list)
    # A declared dialog whose message did not match: dismissed, the step fails with this.
    refused: list[str] = field(default_factory=list)


def _undeclared(seen: DialogSeen) -> str:
    if seen.type == "beforeunload":
        return "an undeclared beforeunload was dismissed (the page asked to confirm leaving it): declare it to leave"
    return f"an undeclared {seen.type} was dismissed: {seen.message!r}"


class DialogBroker:
    """One job's expectations and record of dialogs, across every page the job drives."""

    def __init__(self, catalogue: Catalogue, *, dry_run: bool) -> None:
        self.catalogue = catalogue
        self.dry_run = dry_run
        self._armed: _Armed | None = None
        self._leftover: _Armed | None = None  # optional specs of the previous step
        self._changed = asyncio.Event()
        self.unexpected: list[DialogSeen] = []  # not declared by any armed step: fails the current step

    # --- the engine's side -----------------------------------------------------------------------

    def arm(self, step_id: str, specs: tuple[DialogSpec, ...]) -> None:
        """The step's action is about to run: expect `specs`, in order."""
        self._leftover = self._armed if self._armed and any(s.optional for s in self._armed.specs) else None
        self._armed = _Armed(step_id, list(specs))

    def disarm(self) -> None:
        """The step is over; its optional specs not yet seen stay armed until the next `arm`."""
        armed = self._armed
        if armed is not None:
            armed.specs = [s for s in armed.specs if s.optional]
        self._leftover, self._armed = None, armed

    async def wait_declared(self, deadline: float) -> None:
        """Wait (until the monotonic `deadline`) for every declared, non-optional dialog."""
        armed = self._armed
        if armed is None:
            return
        while any(not s.optional for s in armed.specs):
            if armed.refused:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                missing = next(s for s in armed.specs if not s.optional)
                raise DialogError(f"the declared dialog did not appear: {missing.describe()}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=remaining)
            except TimeoutError:
                continue

    def problem(self, step_id: str) -> str | None:
        """Why the step must fail for its dialogs so far (undeclared, refused), without clearing."""
        problems = list(self._armed.refused) if self._armed and self._armed.step_id == step_id else []
        problems += [_undeclared(d) for d in self.unexpected]
        return "; ".join(problems) or None

    def take(self, step_id: str) -> tuple[list[DialogSeen], str | None]:
        """The dialogs the step saw, and the failure they cause (undeclared, refused), if any."""
        seen: list[DialogSeen] = []
        problems: list[str] = []
        armed = self._armed
        if armed is not None and armed.step_id == step_id:
            seen, armed.seen = armed.seen, []
            problems += armed.refused
            armed.refused = []
        leftover = self._leftover
        if leftover is not None and leftover.seen:
            seen = [*leftover.seen, *seen]
            leftover.seen = []
        if self.unexpected:
            seen += self.unexpected
            problems += [_undeclared(d) for d in self.unexpected]
            self.unexpected = []
        return seen, ("; ".join(problems) or None)

    # --- the page's side -------------------------------------------------------------------------

    def decide(self, dialog_type: str, message: str) -> tuple[DialogSpec | None, DialogSeen]:
        """What to answer to a dialog (the spec that declared it, if any) and the record of it."""
        for armed in (self._armed, self._leftover):
            if armed is None or not armed.specs:
                continue
            spec = armed.specs[0]
            why = _fits(spec, dialog_type, message, self.catalogue)
            if why is not None and spec.optional:
                # An optional dialog that did not come: the next declared one may be this one.
                later = next(
                    (s for s in armed.specs[1:] if _fits(s, dialog_type, message, self.catalogue) is None), None
                )
                if later is not None:
                    while armed.specs[0] is not later:
                        armed.specs.pop(0)
                    spec, why = later, None
            if why is not None:
                seen = DialogSeen(dialog_type, message, "dismissed", True, note=why)
                armed.refused.append(f"the {dialog_type} {message!r} was dismissed: {why}")
                armed.seen.append(seen)
                self._notify()
                return None, seen
            armed.specs.pop(0)
            accept = spec.accept and not self.dry_run
            note = "dry run: never accepted" if spec.accept and self.dry_run else ""
            seen = DialogSeen(
                dialog_type,
                message,
                "accepted" if accept else "dismissed",
                True,
                prompt=spec.prompt if accept and dialog_type == "prompt" else None,
                note=note,
            )
            armed.seen.append(seen)
            self._notify()
            return (spec if accept else None), seen
        seen = DialogSeen(dialog_type, message, "dismissed", False, note="not declared")
        self.unexpected.append(seen)
        self._notify()
        return None, seen

    def _notify(self) -> None:
        self._changed.set()


class DialogGuard:
    """The page's one dialog listener; answers through the page's current broker."""

    def __init__(self, page: Page) -> None:
        self.broker: DialogBroker | None = None
        page.on("dialog", self._on_dialog)

    async def _on_dialog(self, dialog: Dialog) -> None:
        broker = self.broker
        try:
            if broker is None:
                log.warning("dialog_without_job", type=dialog.type, message=dialog.message)
                await dialog.dismiss()
                return
            spec, _seen = broker.decide(dialog.type, dialog.message)
            if spec is None:
                await dialog.dismiss()
            elif dialog.type == "prompt" and spec.prompt is not None:
                await dialog.accept(spec.prompt)
            else:
                await dialog.accept()
        except PlaywrightError as err:
            # The page closed or navigated away with the dialog open: nothing left to answer.
            log.warning("dialog_answer_failed", error=err.message)


def guard_for(page: Page) -> DialogGuard:
    """The page's guard (one listener per page, created on first use)."""
    return kept(page, "dialogs", DialogGuard)
