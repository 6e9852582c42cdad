"""A runbook: typed params, steps (one action each, with assertions checked after it), outputs.

String fields may hold `{{ ... }}` templates until the plan (or, for values read from the page by
`extract`, the engine at run time) evaluates them into a copy of the step.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from executor.model.base import UNKNOWN_SOURCE, Frozen, SourceSpan


class ParamType(StrEnum):
    STRING = "string"
    EMAIL = "email"
    ENUM = "enum"
    INT = "int"
    BOOL = "bool"


class Param(Frozen):
    name: str
    type: ParamType = ParamType.STRING
    required: bool = True
    default: Any = None
    values: tuple[str, ...] = ()  # for enum
    secret: bool = False  # never shown: redacted in logs, reports, journals, errors; masked in screenshots
    env: str | None = None  # take the value from this environment variable when not given
    description: str = ""
    source: SourceSpan = UNKNOWN_SOURCE


class TargetRef(Frozen):
    """A reference to a catalogue entry with its arguments (`users.manage_license` + `{email: ...}`)."""

    entry: str
    args: Mapping[str, str] = Field(default_factory=dict)
    source: SourceSpan = UNKNOWN_SOURCE

    def describe(self) -> str:
        if not self.args:
            return self.entry
        inner = ", ".join(f"{k}={v}" for k, v in self.args.items())
        return f"{self.entry}({inner})"


class TextRef(Frozen):
    """A portal text of the catalogue (`licenses.payment_accepted`) with its args: matches any of
    its wordings. Used where a runbook would otherwise write the portal's words."""

    text: str
    args: Mapping[str, str] = Field(default_factory=dict)
    source: SourceSpan = UNKNOWN_SOURCE

    def describe(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.args.items())
        return f"text {self.text}({inner})" if inner else f"text {self.text}"


Matcher = str | TextRef


AssertionKind = Literal[
    "number",
    "visible",
    "hidden",
    "text",
    "value",
    "count",
    "url",
    "title",
    "checked",
    "unchecked",
    "enabled",
    "disabled",
]


class Assertion(Frozen):
    """Checked after the step with Playwright's retrying web-first assertions."""

    kind: AssertionKind
    target: TargetRef | None = None  # None for url/title
    equals: Matcher | None = None
    contains: Matcher | None = None
    matches: str | None = None  # a Python regex
    # `number`: compared as decimals after parsing the element's text in `locale`.
    at_least: str | None = None
    at_most: str | None = None
    locale: str | None = None  # None: the run's locale (run option, else the catalogue's)
    ignore_case: bool = False
    message: str | None = None  # said when the assertion fails (e.g. "nothing was changed")
    timeout_ms: int | None = None
    source: SourceSpan = UNKNOWN_SOURCE


class Condition(Frozen):
    """`when` / `until`: an expression over params and variables, or a page condition with a bounded wait."""

    expr: str | None = None  # a template expression: "{{ params.target_tier != 'Pro' }}"
    visible: TargetRef | None = None
    hidden: TargetRef | None = None
    url_matches: str | None = None
    within_ms: int = 0
    source: SourceSpan = UNKNOWN_SOURCE


DialogType = Literal["alert", "confirm", "prompt", "beforeunload"]


class MessageMatch(Frozen):
    """What a dialog's message must say: a substring, or a regex (written `/.../i` in YAML)."""

    value: str
    regex: bool = False
    ignore_case: bool = False

    def describe(self) -> str:
        return f"/{self.value}/{'i' if self.ignore_case else ''}" if self.regex else repr(self.value)


class DialogSpec(Frozen):
    """A native dialog (`alert`, `confirm`, `prompt`, `beforeunload`) the step's action raises,
    and the answer to give. Declared dialogs are expected in order; each must appear within the
    step's timeout unless `optional` (a portal that asks on some tenants and not on others)."""

    accept: bool = True
    type: DialogType | None = None  # None: any type
    message: MessageMatch | TextRef | None = None  # None: any message
    prompt: str | None = None  # the text typed into a `prompt()` before accepting
    prompt_secret: bool = False  # the prompt text comes from a secret: redacted everywhere
    optional: bool = False

    def describe(self) -> str:
        kind = self.type or "dialog"
        said = f" saying {self.message.describe()}" if self.message is not None else ""
        answer = "accept" if self.accept else "dismiss"
        return f"{answer} a {kind}{said}{' (if raised)' if self.optional else ''}"


class RetryPolicy(Frozen):
    attempts: int = 2
    delay_ms: int = 500


# --- action arguments: one small model per action, the action registry keys on `Step.action` ---


class GotoArgs(Frozen):
    url: str  # absolute, or a path joined to the run's base URL


class TargetArgs(Frozen):
    """click, check, uncheck, hover, focus."""

    target: TargetRef


class FillArgs(Frozen):
    target: TargetRef
    value: str
    # The value is built from a secret param: mask the field in screenshots, never trace or log it.
    secret: bool = False

    def __repr_args__(self) -> Any:
        # A safety net for stray debug output; logs and reports still go through the Redactor.
        for name, value in super().__repr_args__():
            yield name, ("***" if name == "value" and self.secret else value)


class SelectArgs(Frozen):
    target: TargetRef
    option: str  # the option's label


class UploadArgs(Frozen):
    """Set the files of a file input: files on disk, or one file written inline (a param can carry
    CSV text). Exactly one of `files` and `content` is given."""

    target: TargetRef
    files: tuple[str, ...] = ()  # paths; a relative path is relative to the runbook file
    content: str | None = None  # the inline file's text (sent UTF-8 encoded)
    filename: str | None = None  # the inline file's name (required with `content`)
    mime_type: str | None = None  # the inline file's type; default: guessed from `filename`


class PressArgs(Frozen):
    key: str
    target: TargetRef | None = None


class WaitForArgs(Frozen):
    target: TargetRef | None = None
    state: Literal["visible", "hidden", "attached", "detached"] = "visible"
    url_matches: str | None = None


class NoArgs(Frozen):
    """expect: the step's assertions are its whole job."""


class ExtractArgs(Frozen):
    into: str  # variable name, read later as {{ vars.<into> }}
    target: TargetRef | None = None  # None: read from the page (url or title)
    # table: the target is a <table>; the value is a list of {column header: cell text}, one per body row.
    what: Literal["text", "count", "value", "attribute", "url", "title", "table"] = "text"
    attribute: str | None = None
    pattern: str | None = None  # regex; the first group (or the whole match) is kept
    as_type: Literal["string", "int", "number"] = "string"  # number: a Decimal, parsed in `locale`
    locale: str | None = None  # for `as: number`; None: the run's locale
    secret: bool = False  # the value read (a 2FA code) joins the run's redaction set


class ScreenshotArgs(Frozen):
    name: str | None = None
    full: bool = False


class UseArgs(Frozen):
    runbook: str  # a name under runbooks/_shared/, without .yaml
    params: Mapping[str, str] = Field(default_factory=dict)


class PauseArgs(Frozen):
    message: str
    until: Condition
    timeout_ms: int = 600_000


class FailArgs(Frozen):
    message: str


class DoneArgs(Frozen):
    """`done`: the runbook's effect already holds; end the job successfully, the rest skipped."""

    message: str


class SetArgs(Frozen):
    """name -> template, into vars. A template that is one expression keeps its value's type (a
    number, a list of table rows), as `extract` does; anything else is text."""

    values: Mapping[str, Any]


class DownloadArgs(Frozen):
    """Click `target`, wait for the download it starts, keep the file in the job's folder (under
    the name the server gave) and set `vars.<into>` to its path."""

    target: TargetRef
    into: str


class SwitchTabArgs(Frozen):
    """Continue on another open tab: `previous` (the one the job was on before), `first`, or the
    first tab whose URL matches a regex (`/invoice/`)."""

    to: str  # "previous" | "first" | a regex written /.../


class CloseTabArgs(Frozen):
    """Close the current tab and continue on the previous one."""


class RepeatArgs(Frozen):
    """A bounded loop of read-only steps: `until` is checked first, then `steps` run, at most
    `max` times; the step fails when `until` still does not hold after the last round."""

    until: Condition
    max: int
    steps: tuple[Step, ...]


ActionArgs = (
    GotoArgs
    | TargetArgs
    | FillArgs
    | SelectArgs
    | UploadArgs
    | PressArgs
    | WaitForArgs
    | NoArgs
    | ExtractArgs
    | ScreenshotArgs
    | UseArgs
    | PauseArgs
    | FailArgs
    | DoneArgs
    | SetArgs
    | DownloadArgs
    | SwitchTabArgs
    | CloseTabArgs
    | RepeatArgs
)

ScreenshotMode = Literal["viewport", "full", "none"]


class Step(Frozen):
    action: str  # the registry key: goto, click, fill, select, check, uncheck, press, wait_for, expect, ...
    args: ActionArgs
    name: str | None = None
    expect: tuple[Assertion, ...] = ()
    timeout_ms: int | None = None
    screenshot: ScreenshotMode = "viewport"
    when: Condition | None = None
    retry: RetryPolicy | None = None
    destructive: bool = False  # moves money or destroys data: purchase, pay, remove, delete
    idempotent: bool = False  # safe to repeat (retry allowed)
    read_only: bool = False  # changes nothing (retry allowed)
    optional: bool = False  # a failure warns instead of failing the run
    dialog: tuple[DialogSpec, ...] = ()  # native dialogs the action raises, in order
    opens: Literal["tab"] | None = None  # the action opens a new tab: the job continues there
    source: SourceSpan = UNKNOWN_SOURCE

    def title(self) -> str:
        return self.name or self.action


class Example(Frozen):
    """A `tests:` entry: params the QA suite runs the runbook with, and what must hold afterwards."""

    name: str
    params: Mapping[str, Any] = Field(default_factory=dict)
    outcome: Literal["passed", "failed"] = "passed"
    seed: str = "demo"
    expect_state: Mapping[str, Any] = Field(default_factory=dict)
    source: SourceSpan = UNKNOWN_SOURCE


class Runbook(Frozen):
    name: str
    description: str = ""
    params: tuple[Param, ...] = ()
    steps: tuple[Step, ...] = ()
    outputs: Mapping[str, str] = Field(default_factory=dict)
    tests: tuple[Example, ...] = ()
    path: str = "<memory>"
    source: SourceSpan = UNKNOWN_SOURCE

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


# The YAML surface of each action: `- <action>: <value>`. The loader builds the args model named
# here; the engine's action registry (executor.actions) implements the same names.
ACTION_ARGS: Mapping[str, type[Frozen]] = {
    "goto": GotoArgs,
    "click": TargetArgs,
    "check": TargetArgs,
    "uncheck": TargetArgs,
    "hover": TargetArgs,
    "fill": FillArgs,
    "select": SelectArgs,
    "upload": UploadArgs,
    "press": PressArgs,
    "wait_for": WaitForArgs,
    "expect": NoArgs,
    "extract": ExtractArgs,
    "screenshot": ScreenshotArgs,
    "use": UseArgs,
    "pause_for_operator": PauseArgs,
    "fail": FailArgs,
    "done": DoneArgs,
    "set": SetArgs,
    "download": DownloadArgs,
    "switch_tab": SwitchTabArgs,
    "close_tab": CloseTabArgs,
    "repeat": RepeatArgs,
}

# Actions that do something on the page, so a native dialog or a new tab can follow them.
PAGE_ACTIONS = frozenset(
    {"goto", "click", "check", "uncheck", "hover", "fill", "select", "upload", "press", "download"}
)


RepeatArgs.model_rebuild()
