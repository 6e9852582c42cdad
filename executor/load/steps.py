"""The step surface (`- click: licenses.checkout`, assertions, targets, conditions) -> typed `Step`s.

One `StepReader` per runbook file: it checks selectors against the catalogue, templates against
the runbook's params and the vars set so far, and `use` calls against the used runbook's params.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from executor import template
from executor.load.fields import Checker, type_name
from executor.load.param_values import ParamValueError, coerce
from executor.load.suggest import closest, did_you_mean, quoted_list
from executor.load.template_check import TemplateScope
from executor.load.yaml_source import Mark, YamlMap, YamlSeq
from executor.model.catalogue import Catalogue
from executor.numbers import LocaleError, check_locale
from executor.model.runbook import (
    ACTION_ARGS,
    PAGE_ACTIONS,
    Assertion,
    CloseTabArgs,
    Condition,
    DialogSpec,
    DoneArgs,
    DownloadArgs,
    MessageMatch,
    RepeatArgs,
    SwitchTabArgs,
    TextRef,
    ExtractArgs,
    FailArgs,
    FillArgs,
    GotoArgs,
    NoArgs,
    PauseArgs,
    PressArgs,
    RetryPolicy,
    Runbook,
    ScreenshotArgs,
    SelectArgs,
    SetArgs,
    Step,
    TargetArgs,
    TargetRef,
    UploadArgs,
    UseArgs,
    WaitForArgs,
)

STEP_KEYS = (
    "name",
    "expect",
    "timeout",
    "screenshot",
    "when",
    "retry",
    "destructive",
    "idempotent",
    "read_only",
    "optional",
    "dialog",
    "opens",
)
# Both a step key and an action: `- click: x` + `expect: [...]` vs `- expect: [...]` alone.
DUAL_KEYS = ("expect", "screenshot")
TARGET_ASSERTIONS = ("visible", "hidden", "checked", "unchecked", "enabled", "disabled")
ASSERTION_KINDS = (*TARGET_ASSERTIONS, "text", "value", "count", "number", "url", "title")
NUMBER_COMPARISONS = ("equals", "at_least", "at_most")
DIALOG_KEYS = ("accept", "type", "message", "prompt", "optional")
DIALOG_TYPES = ("alert", "confirm", "prompt", "beforeunload")
MAX_ROUNDS = 1000
ASSERTION_OPTIONS = ("message", "timeout")
MATCHERS = ("equals", "contains", "matches")
SCREENSHOT_MODES = ("viewport", "full", "none")
WAIT_STATES = ("visible", "hidden", "attached", "detached")
EXTRACT_WHAT = ("text", "count", "value", "attribute", "url", "title", "table")

# (name, mark of the `use` value) -> the used runbook, or None when it is missing or in a cycle
# (the resolver has reported why).
UseResolver = Callable[[str, Mark], Runbook | None]


class StepReader:
    def __init__(
        self,
        c: Checker,
        catalogue: Catalogue,
        scope: TemplateScope,
        resolve_use: UseResolver,
        broken_entry: Callable[[str], bool] = lambda _name: False,
    ) -> None:
        self.c = c
        self.catalogue = catalogue
        self.broken_entry = broken_entry
        self.scope = scope
        self.resolve_use = resolve_use
        # A `use` that could not be resolved sets vars we cannot know: stop flagging `vars.*` then.
        self.vars_unknown = False

    # --- values -------------------------------------------------------------------------------

    def text(self, value: Any, mark: Mark, what: str, *, numbers: bool = True) -> str | None:
        if numbers and isinstance(value, bool):
            value = str(value).lower()
        text = self.c.string_value(value, mark, what, allow_numbers=numbers)
        if text is not None:
            self.check_template(text, mark)
        return text

    def field(self, m: YamlMap, key: str, what: str, *, numbers: bool = True) -> str | None:
        if key not in m:
            return None
        return self.text(m[key], m.value_mark(key), f"'{key}' in {what}", numbers=numbers)

    def check_template(self, value: str, mark: Mark) -> None:
        if self.vars_unknown:
            saved = self.scope.vars
            self.scope.vars = _Everything()
            try:
                self.scope.check(self.c, value, mark)
            finally:
                self.scope.vars = saved
        else:
            self.scope.check(self.c, value, mark)

    def regex(self, value: str | None, mark: Mark, what: str) -> None:
        if value is None or template.is_template(value):
            return
        try:
            re.compile(value)
        except re.error as err:
            self.c.error(mark, f"invalid regex in {what}: {err.msg}")

    def plain_name(self, value: Any, mark: Mark, what: str) -> str | None:
        text = self.c.string_value(value, mark, what)
        if text is not None and template.is_template(text):
            self.c.error(
                mark,
                f"{what} cannot be a template",
                "it is checked before the run, so it must be written out",
            )
            return None
        return text

    # --- targets ------------------------------------------------------------------------------

    def target(self, value: Any, mark: Mark, what: str) -> TargetRef | None:
        """`licenses.checkout` or `{target: users.manage_license, args: {email: ...}}`."""
        if isinstance(value, YamlMap):
            if not self.c.keys(value, ("target", "args"), what, required=("target",)):
                return None
            return self.target_in(value, what)
        name = self.plain_name(value, mark, f"the target of {what}")
        return self.ref(name, None, mark, mark) if name is not None else None

    def target_in(self, m: YamlMap, what: str, *, required: bool = True) -> TargetRef | None:
        """The `target` (+ `args`) keys of a larger mapping such as fill's `{target, args, value}`."""
        if "target" not in m:
            if required:
                self.c.error(m.mark, f"{what} is missing 'target'")
            if "args" in m:
                self.c.error(m.key_mark("args"), f"'args' without a 'target' in {what}")
            return None
        value, mark = m["target"], m.value_mark("target")
        if isinstance(value, YamlMap):
            if "args" in m:
                self.c.error(m.key_mark("args"), f"args given twice in {what}", "put them in one place")
            return self.target(value, mark, what)
        name = self.plain_name(value, mark, f"the target of {what}")
        if name is None:
            return None
        args = m.get("args") if "args" in m else None
        return self.ref(name, args, mark, m.value_mark("args") if "args" in m else mark)

    def ref(self, name: str, raw_args: Any, mark: Mark, args_mark: Mark) -> TargetRef | None:
        entry = self.catalogue.entries.get(name)
        if entry is None and self.broken_entry(name):
            return None  # its own errors were reported with the catalogue
        if entry is None:
            found = suggest_selectors(name, self.catalogue)
            hint = f"did you mean {quoted_list(found)}?" if found else None
            if hint is None and "." not in name:
                hint = "selectors are named page.key, e.g. licenses.checkout"
            self.c.error(mark, f"unknown selector '{name}'", hint)
            return None
        args: dict[str, str] = {}
        ok = True
        if raw_args is not None:
            am = self.c.mapping(raw_args, args_mark, f"the args of '{name}'")
            if am is None:
                return None
            for key, value in am.items():
                if key not in entry.args:
                    ok = False
                    takes = f"it takes {quoted_list(entry.args, 'and')}" if entry.args else "it takes no args"
                    self.c.error(
                        am.key_mark(key),
                        f"selector '{name}' has no arg '{key}'",
                        did_you_mean(str(key), entry.args) or takes,
                    )
                    continue
                text = self.text(value, am.value_mark(key), f"arg '{key}'")
                if text is None:
                    ok = False
                else:
                    args[key] = text
        missing = [a for a in entry.args if a not in args and (raw_args is None or a not in raw_args)]
        if missing and ok:  # a misspelt arg was reported above with "did you mean"
            example = ", ".join(f"{a}: ..." for a in entry.args)
            noun = "arg" if len(missing) == 1 else "args"
            self.c.error(
                mark,
                f"selector '{name}' needs {noun} {quoted_list(missing, 'and')}",
                f"write {{target: {name}, args: {{{example}}}}}",
            )
            return None
        return TargetRef(entry=name, args=args, source=self.c.span(mark)) if ok else None

    # --- conditions ---------------------------------------------------------------------------

    def condition(self, value: Any, mark: Mark, what: str) -> Condition | None:
        span = self.c.span(mark)
        if isinstance(value, bool):
            return Condition(expr=f"{{{{ {str(value).lower()} }}}}", source=span)
        if isinstance(value, str):
            if not template.is_template(value):
                self.c.error(
                    mark,
                    f"{what} must be a {{{{ ... }}}} expression or a page condition",
                    f'write "{{{{ {value} }}}}"',
                )
                return None
            self.check_template(value, mark)
            return Condition(expr=value, source=span)
        m = self.c.mapping(value, mark, what)
        if m is None:
            return None
        kinds = ("visible", "hidden", "url_matches")
        if not self.c.keys(m, (*kinds, "within"), what):
            return None
        given = [k for k in kinds if k in m]
        if len(given) != 1:
            self.c.error(mark, f"{what} needs exactly one of visible, hidden or url_matches")
            return None
        within = self.c.duration(m, "within", what) or 0
        kind = given[0]
        if kind == "url_matches":
            url = self.field(m, "url_matches", what)
            self.regex(url, m.value_mark("url_matches"), "url_matches")
            return Condition(url_matches=url, within_ms=within, source=span) if url is not None else None
        ref = self.target(m[kind], m.value_mark(kind), what)
        if ref is None:
            return None
        return Condition(**{kind: ref}, within_ms=within, source=span)

    # --- assertions ---------------------------------------------------------------------------

    def assertions(self, value: Any, mark: Mark) -> tuple[Assertion, ...]:
        items: list[tuple[Any, Mark]]
        if isinstance(value, YamlMap):  # a single assertion written without the list
            items = [(value, mark)]
        else:
            seq = self.c.sequence(value, mark, "'expect'")
            items = list(seq.marked_items()) if seq is not None else []
        out = []
        for raw, item_mark in items:
            a = self.assertion(raw, item_mark)
            if a is not None:
                out.append(a)
        return tuple(out)

    def assertion(self, raw: Any, mark: Mark) -> Assertion | None:
        c = self.c
        if isinstance(raw, str) and raw in ASSERTION_KINDS:
            c.error(mark, f"assertion '{raw}' needs a value", f"write `- {raw}: <target>`")
            return None
        m = c.mapping(raw, mark, "an assertion")
        if m is None:
            return None
        kinds = [k for k in m if k in ASSERTION_KINDS]
        unknown = [k for k in m if k not in ASSERTION_KINDS and k not in ASSERTION_OPTIONS]
        for key in unknown:
            label = f"unknown key '{key}' in assertion" if kinds else f"unknown assertion '{key}'"
            c.error(
                m.key_mark(key),
                label,
                did_you_mean(str(key), (*ASSERTION_KINDS, *ASSERTION_OPTIONS))
                or f"assertions: {', '.join(ASSERTION_KINDS)}",
            )
        if unknown:
            return None
        if len(kinds) != 1:
            found = f"it has {quoted_list(kinds, 'and')}" if kinds else "it has none"
            c.error(mark, f"an assertion has exactly one kind; {found}", "one assertion per list item")
            return None
        kind = kinds[0]
        value, vmark = m[kind], m.value_mark(kind)
        options = {
            "message": self.field(m, "message", "an assertion"),
            "timeout_ms": c.duration(m, "timeout", "an assertion"),
        }
        span = c.span(mark)
        if kind in TARGET_ASSERTIONS:
            if isinstance(value, YamlMap):
                if not c.keys(value, ("target", "args", *ASSERTION_OPTIONS), f"'{kind}'"):
                    return None
                self._inner_options(value, options)
                ref = self.target_in(value, f"'{kind}'")
            else:
                ref = self.target(value, vmark, f"'{kind}'")
            return Assertion(kind=kind, target=ref, source=span, **options) if ref else None
        if kind in ("url", "title"):
            if isinstance(value, str):
                self.check_template(value, vmark)
                return Assertion(kind=kind, contains=value, source=span, **options)
            vm = c.mapping(value, vmark, f"'{kind}'")
            if vm is None or not c.keys(vm, (*MATCHERS, "ignore_case", *ASSERTION_OPTIONS), f"'{kind}'"):
                return None
            self._inner_options(vm, options)
            matcher = self._matcher(vm, kind)
            if matcher is None:
                return None
            return Assertion(
                kind=kind,
                ignore_case=c.boolean(vm, "ignore_case", f"'{kind}'"),
                source=span,
                **matcher,
                **options,
            )
        vm = c.mapping(value, vmark, f"'{kind}'")
        if vm is None:
            return None
        if kind == "number":
            return self._number_assertion(vm, vmark, span, options)
        allowed = (
            ("target", "args", "equals", *ASSERTION_OPTIONS)
            if kind == "count"
            else ("target", "args", *MATCHERS, "ignore_case", *ASSERTION_OPTIONS)
        )
        if not c.keys(vm, allowed, f"'{kind}'", required=("target",)):
            return None
        self._inner_options(vm, options)
        ref = self.target_in(vm, f"'{kind}'")
        if kind == "count":
            if "equals" not in vm:
                c.error(vmark, "'count' is missing 'equals'", "write {target: ..., equals: 3}")
                return None
            equals = self.field(vm, "equals", "'count'")
            if (
                equals is not None
                and not template.is_template(equals)
                and not equals.strip().lstrip("-").isdigit()
            ):
                c.error(
                    vm.value_mark("equals"),
                    f"'equals' in 'count' must be a whole number, got {type_name(vm['equals'])}",
                )
                return None
            return (
                Assertion(kind="count", target=ref, equals=equals, source=span, **options)
                if ref and equals
                else None
            )
        matcher = self._matcher(vm, kind)
        if ref is None or matcher is None:
            return None
        return Assertion(
            kind=kind,
            target=ref,
            ignore_case=c.boolean(vm, "ignore_case", f"'{kind}'"),
            source=span,
            **matcher,
            **options,
        )

    def _number_assertion(
        self, vm: YamlMap, vmark: Mark, span: Any, options: dict[str, Any]
    ) -> Assertion | None:
        """`number: {target, equals | at_least | at_most, locale?}`: the element's text parsed as a
        number in the locale, compared as decimals."""
        c = self.c
        if not c.keys(vm, ("target", "args", *NUMBER_COMPARISONS, "locale", *ASSERTION_OPTIONS), "'number'", required=("target",)):
            return None
        self._inner_options(vm, options)
        ref = self.target_in(vm, "'number'")
        locale = self.locale(vm)
        given = [k for k in NUMBER_COMPARISONS if k in vm]
        if not given:
            c.error(vmark, "'number' needs equals, at_least or at_most", "e.g. {target: billing.total, equals: 1421.00}")
            return None
        bounds: dict[str, str | None] = {}
        for key in given:
            text = self.field(vm, key, "'number'")
            if text is not None and not template.is_template(text):
                try:
                    Decimal(text)
                except InvalidOperation:
                    c.error(vm.value_mark(key), f"'{key}' in 'number' must be a number like 1421.00, got {type_name(vm[key])}",
                            "write it with a dot for decimals, whatever the page's locale")
                    return None
            bounds[key] = text
        if ref is None or any(v is None for v in bounds.values()) or locale is False:
            return None
        return Assertion(kind="number", target=ref, locale=locale or None, source=span, **bounds, **options)

    def locale(self, m: YamlMap) -> str | None | bool:
        """`locale: fr-CA` checked against Babel's locales; False after an error."""
        if "locale" not in m:
            return None
        text = self.plain_name(m["locale"], m.value_mark("locale"), "'locale'")
        if text is None:
            return False
        try:
            check_locale(text)
        except LocaleError as err:
            self.c.error(m.value_mark("locale"), str(err), err.hint)
            return False
        return text

    def _inner_options(self, m: YamlMap, options: dict[str, Any]) -> None:
        if "message" in m:
            options["message"] = self.field(m, "message", "an assertion")
        if "timeout" in m:
            options["timeout_ms"] = self.c.duration(m, "timeout", "an assertion")

    def _matcher(self, m: YamlMap, kind: str) -> dict[str, Any] | None:
        given = [k for k in MATCHERS if k in m]
        if len(given) != 1:
            self.c.error(m.mark, f"'{kind}' needs exactly one of equals, contains or matches")
            return None
        key = given[0]
        if key != "matches" and isinstance(m[key], YamlMap):
            ref = self.text_ref(m[key], m.value_mark(key), f"'{key}' in '{kind}'")
            return {key: ref} if ref is not None else None
        value = self.field(m, key, f"'{kind}'")
        if key == "matches":
            self.regex(value, m.value_mark(key), f"'{kind}'")
        return {key: value} if value is not None else None

    def text_ref(self, value: YamlMap, mark: Mark, what: str) -> TextRef | None:
        """`{text: licenses.payment_accepted, args: {qty: 1, tier: Eco}}`: a portal text of the
        catalogue, in any of its wordings."""
        c = self.c
        if not c.keys(value, ("text", "args"), what, required=("text",)):
            return None
        name = self.plain_name(value["text"], value.value_mark("text"), f"the text of {what}")
        if name is None:
            return None
        text = self.catalogue.texts.get(name)
        if text is None:
            found = closest(name, self.catalogue.texts) if self.catalogue.texts else []
            hint = f"did you mean {quoted_list(found)}?" if found else "texts are named page.key, in selectors/<page>.yaml under texts:"
            c.error(value.value_mark("text"), f"unknown text '{name}'", hint)
            return None
        args: dict[str, str] = {}
        if "args" in value:
            am = c.mapping(value["args"], value.value_mark("args"), f"the args of '{name}'")
            for key, raw in (am or {}).items():
                assert am is not None
                if key not in text.args:
                    c.error(am.key_mark(key), f"text '{name}' has no arg '{key}'",
                            did_you_mean(str(key), text.args) or (f"it takes {quoted_list(text.args, 'and')}" if text.args else "it takes no args"))
                    continue
                rendered = self.text(raw, am.value_mark(key), f"arg '{key}'")
                if rendered is not None:
                    args[str(key)] = rendered
        missing = [a for a in text.args if a not in args]
        if missing:
            c.error(mark, f"text '{name}' needs {quoted_list(missing, 'and')}",
                    f"write {{text: {name}, args: {{{', '.join(f'{a}: ...' for a in text.args)}}}}}")
            return None
        return TextRef(text=name, args=args, source=c.span(mark))

    # --- steps --------------------------------------------------------------------------------

    def step(self, raw: Any, mark: Mark) -> Step | None:
        c = self.c
        if not isinstance(raw, YamlMap):
            hint = (
                f"write `- {raw}: ...`"
                if isinstance(raw, str) and raw in ACTION_ARGS
                else "e.g. `- click: licenses.checkout`"
            )
            c.error(mark, f"a step must be a mapping with one action, got {type_name(raw)}", hint)
            return None
        action = self._action_key(raw, mark)
        if action is None:
            return None
        errors_before = len(c.diagnostics)
        value, vmark = raw[action], raw.value_mark(action)
        assertions: tuple[Assertion, ...] = ()
        args: Any
        if action == "expect":
            args, assertions = NoArgs(), self.assertions(value, vmark)
        else:
            args = ACTION_READERS[action](self, value, vmark)
        what = "the step"
        if "expect" in raw and action != "expect":
            assertions = self.assertions(raw["expect"], raw.value_mark("expect"))
        screenshot = "viewport"
        if action != "screenshot" and "screenshot" in raw:
            screenshot = c.choice(raw, "screenshot", SCREENSHOT_MODES, what) or "viewport"
        when = self.condition(raw["when"], raw.value_mark("when"), "'when'") if "when" in raw else None
        flags = {k: c.boolean(raw, k, what) for k in ("destructive", "idempotent", "read_only", "optional")}
        retry = self._retry(raw, flags)
        if flags["destructive"] and flags["read_only"]:
            c.error(raw.key_mark("read_only"), "a step cannot be both destructive and read_only")
        name = self.field(raw, "name", what)
        timeout = c.duration(raw, "timeout", what)
        if timeout == 0:
            c.error(raw.value_mark("timeout"), "'timeout' must be more than 0")
        dialog = self.dialogs(raw, action)
        opens = None
        if "opens" in raw:
            opens = c.choice(raw, "opens", ("tab",), what)
            if action not in PAGE_ACTIONS:
                c.error(raw.key_mark("opens"), f"'opens' on a step whose action ({action}) does nothing on the page",
                        "put it on the click that opens the tab")
        if action == "repeat" and flags["destructive"]:
            c.error(raw.key_mark("destructive"), "a repeat cannot be destructive",
                    "a loop holds read-only steps only (navigation, paging, reading)")
        if args is None or any(d.is_error for d in c.diagnostics[errors_before:]):
            return None
        return Step(
            action=action,
            args=args,
            name=name,
            expect=assertions,
            timeout_ms=timeout,
            screenshot=screenshot,
            when=when,
            retry=retry,
            dialog=dialog,
            opens=opens,
            source=c.span(mark),
            **flags,
        )

    # --- dialogs ------------------------------------------------------------------------------

    def dialogs(self, raw: YamlMap, action: str) -> tuple[DialogSpec, ...]:
        """`dialog: accept | dismiss | {accept, type, message, prompt, optional} | [...]`."""
        if "dialog" not in raw:
            return ()
        value, mark = raw["dialog"], raw.value_mark("dialog")
        if action not in PAGE_ACTIONS:
            self.c.error(
                raw.key_mark("dialog"),
                f"'dialog' on a step whose action ({action}) does nothing on the page that could raise one",
                "put it on the step whose click (or goto, select...) raises the dialog",
            )
            return ()
        items = list(value.marked_items()) if isinstance(value, YamlSeq) else [(value, mark)]
        if not items:
            self.c.error(mark, "'dialog' is an empty list", "declare at least one dialog, or remove 'dialog'")
        specs = [self.dialog(item, item_mark) for item, item_mark in items]
        return tuple(s for s in specs if s is not None)

    def dialog(self, value: Any, mark: Mark) -> DialogSpec | None:
        c = self.c
        if value in ("accept", "dismiss"):
            return DialogSpec(accept=value == "accept")
        if not isinstance(value, YamlMap):
            c.error(mark, f"a dialog is accept, dismiss or a mapping, got {type_name(value)}",
                    'e.g. dialog: {accept: true, message: "/for good/"}')
            return None
        if not c.keys(value, DIALOG_KEYS, "a dialog"):
            return None
        dialog_type = c.choice(value, "type", DIALOG_TYPES, "a dialog")
        message: MessageMatch | TextRef | None = None
        if "message" in value and isinstance(value["message"], YamlMap):
            message = self.text_ref(value["message"], value.value_mark("message"), "the dialog's message")
        elif "message" in value:
            text = self.field(value, "message", "a dialog", numbers=False)
            if text is not None:
                message = self.message_match(text, value.value_mark("message"))
        prompt = self.field(value, "prompt", "a dialog")
        if prompt is not None and dialog_type not in (None, "prompt"):
            c.error(value.key_mark("prompt"), f"'prompt' answers a prompt(); this dialog is declared as type {dialog_type}")
        return DialogSpec(
            accept=c.boolean(value, "accept", "a dialog", default=True),
            type=dialog_type,
            message=message,
            prompt=prompt,
            prompt_secret=prompt is not None and self.scope.is_secret(prompt),
            optional=c.boolean(value, "optional", "a dialog"),
        )

    def message_match(self, text: str, mark: Mark) -> MessageMatch | None:
        """A substring, or `/regex/` (flag i) as in the catalogue."""
        found = re.fullmatch(r"/(?P<body>.+)/(?P<flags>[A-Za-z]*)", text, re.DOTALL)
        if found is None:
            return MessageMatch(value=text)
        if set(found["flags"]) - {"i"}:
            self.c.error(mark, f"unsupported regex flag(s) '{found['flags']}'", "only the i flag (ignore case)")
            return None
        self.regex(found["body"], mark, "the dialog's message")  # a template is checked once rendered
        return MessageMatch(value=found["body"], regex=True, ignore_case="i" in found["flags"])

    def _action_key(self, raw: YamlMap, mark: Mark) -> str | None:
        c = self.c
        actions = [k for k in raw if k in ACTION_ARGS]
        chosen = [k for k in actions if k not in DUAL_KEYS] or [k for k in DUAL_KEYS if k in actions][:1]
        unknown = [k for k in raw if k not in ACTION_ARGS and k not in STEP_KEYS]
        if not chosen:
            if not unknown:
                c.error(mark, "the step has no action", f"add one of: {', '.join(ACTION_ARGS)}")
                return None
            # The unknown key most like an action is the misspelt action; the rest are step keys.
            likely = next((k for k in unknown if isinstance(k, str) and closest(k, ACTION_ARGS)), unknown[0])
            c.error(
                raw.key_mark(likely),
                f"unknown action '{likely}'",
                did_you_mean(str(likely), ACTION_ARGS) or f"actions: {', '.join(ACTION_ARGS)}",
            )
            unknown.remove(likely)
        for key in unknown:
            c.error(
                raw.key_mark(key),
                f"unknown step key '{key}'",
                did_you_mean(str(key), (*STEP_KEYS, *ACTION_ARGS)) or f"step keys: {', '.join(STEP_KEYS)}",
            )
        if len(chosen) > 1:
            c.error(
                raw.key_mark(chosen[1]),
                f"a step has one action; this one has {quoted_list(chosen, 'and')}",
                "split it into one step per action",
            )
            return None
        return chosen[0] if chosen and not unknown else None

    def _retry(self, raw: YamlMap, flags: dict[str, bool]) -> RetryPolicy | None:
        if "retry" not in raw:
            return None
        c, value, mark = self.c, raw["retry"], raw.value_mark("retry")
        if isinstance(value, int) and not isinstance(value, bool):
            policy = RetryPolicy(attempts=value)
        else:
            m = c.mapping(value, mark, "'retry'")
            if m is None or not c.keys(m, ("attempts", "delay"), "'retry'"):
                return None
            attempts = c.integer(m, "attempts", "'retry'", minimum=1)
            delay = c.duration(m, "delay", "'retry'")
            policy = RetryPolicy(attempts=attempts or 2, delay_ms=500 if delay is None else delay)
        key_mark = raw.key_mark("retry")
        if flags["destructive"]:
            c.error(
                key_mark,
                "retry on a destructive step",
                "repeating it could pay or delete twice; remove `retry` and check the outcome with `expect`",
            )
            return None
        if not (flags["read_only"] or flags["idempotent"]):
            c.error(
                key_mark,
                "retry on a step not marked read_only or idempotent",
                "add `read_only: true` (it changes nothing) or `idempotent: true` (repeating it is safe),"
                " or remove `retry`",
            )
            return None
        return policy

    # --- per action ---------------------------------------------------------------------------

    def _map(
        self, value: Any, mark: Mark, action: str, allowed: tuple[str, ...], required: tuple[str, ...]
    ) -> YamlMap | None:
        if not isinstance(value, YamlMap):
            form = "{" + ", ".join(f"{k}: ..." for k in required or allowed) + "}"
            self.c.error(
                mark, f"'{action}' takes a mapping, got {type_name(value)}", f"write {action}: {form}"
            )
            return None
        if not self.c.keys(value, allowed, f"'{action}'", required=required):
            return None
        return value

    def goto(self, value: Any, mark: Mark) -> GotoArgs | None:
        if isinstance(value, YamlMap):
            m = self._map(value, mark, "goto", ("url",), ("url",))
            url = self.field(m, "url", "'goto'") if m is not None else None
        else:
            url = self.text(value, mark, "'goto'", numbers=False)
        return GotoArgs(url=url) if url is not None else None

    def target_only(self, value: Any, mark: Mark) -> TargetArgs | None:
        ref = self.target(value, mark, "the step")
        return TargetArgs(target=ref) if ref is not None else None

    def fill(self, value: Any, mark: Mark) -> FillArgs | None:
        m = self._map(value, mark, "fill", ("target", "args", "value"), ("target", "value"))
        if m is None:
            return None
        ref = self.target_in(m, "'fill'")
        text = self.field(m, "value", "'fill'")
        if ref is None or text is None:
            return None
        return FillArgs(target=ref, value=text, secret=self.scope.is_secret(text))

    def select(self, value: Any, mark: Mark) -> SelectArgs | None:
        m = self._map(value, mark, "select", ("target", "args", "option"), ("target", "option"))
        if m is None:
            return None
        ref, option = self.target_in(m, "'select'"), self.field(m, "option", "'select'")
        return SelectArgs(target=ref, option=option) if ref is not None and option is not None else None

    def upload(self, value: Any, mark: Mark) -> UploadArgs | None:
        """`{target, files: path | [paths]}` or `{target, content, filename, mime_type?}`."""
        m = self._map(
            value, mark, "upload", ("target", "args", "files", "content", "filename", "mime_type"), ("target",)
        )
        if m is None:
            return None
        ref = self.target_in(m, "'upload'")
        if ("files" in m) == ("content" in m):
            self.c.error(
                mark,
                "'upload' needs files or content (one of them)",
                "files: a path (or a list), relative to the runbook; content + filename: a file written inline",
            )
            return None
        if "files" in m:
            for key in ("filename", "mime_type"):
                if key in m:
                    self.c.error(m.key_mark(key), f"'{key}' goes with content, not files", "remove it")
            files = self._upload_files(m["files"], m.value_mark("files"))
            if ref is None or files is None or "filename" in m or "mime_type" in m:
                return None
            return UploadArgs(target=ref, files=files)
        content = self.field(m, "content", "'upload'", numbers=False)
        if "filename" not in m:
            self.c.error(mark, "'upload' with content needs a 'filename'", "e.g. filename: users.csv")
        filename = self.field(m, "filename", "'upload'", numbers=False)
        mime_type = self.field(m, "mime_type", "'upload'", numbers=False)
        if ref is None or content is None or filename is None or ("mime_type" in m and mime_type is None):
            return None
        return UploadArgs(target=ref, content=content, filename=filename, mime_type=mime_type)

    def _upload_files(self, value: Any, mark: Mark) -> tuple[str, ...] | None:
        items = list(value.marked_items()) if isinstance(value, YamlSeq) else [(value, mark)]
        if not items:
            self.c.error(mark, "'files' in 'upload' is empty", "give at least one path")
            return None
        files: list[str] = []
        for raw, item_mark in items:
            path = self.text(raw, item_mark, "a path in 'files'", numbers=False)
            if path is None:
                return None
            if not template.is_template(path):
                found = Path(self.c.source.path).parent / path
                if not found.is_file():
                    self.c.error(
                        item_mark,
                        f"no file '{path}' to upload",
                        f"a relative path is relative to the runbook: looked for {found}",
                    )
                    return None
            files.append(path)
        return tuple(files)

    def press(self, value: Any, mark: Mark) -> PressArgs | None:
        if not isinstance(value, YamlMap):
            key = self.text(value, mark, "'press'", numbers=False)
            return PressArgs(key=key) if key is not None else None
        m = self._map(value, mark, "press", ("key", "target", "args"), ("key",))
        if m is None:
            return None
        key = self.field(m, "key", "'press'")
        ref = self.target_in(m, "'press'", required=False)
        if key is None or ("target" in m and ref is None):
            return None
        return PressArgs(key=key, target=ref)

    def wait_for(self, value: Any, mark: Mark) -> WaitForArgs | None:
        if not isinstance(value, YamlMap):
            ref = self.target(value, mark, "'wait_for'")
            return WaitForArgs(target=ref) if ref is not None else None
        m = self._map(value, mark, "wait_for", ("target", "args", "state", "url_matches"), ())
        if m is None:
            return None
        if ("target" in m) == ("url_matches" in m):
            self.c.error(mark, "'wait_for' needs a target or url_matches (one of them)")
            return None
        if "url_matches" in m:
            url = self.field(m, "url_matches", "'wait_for'")
            self.regex(url, m.value_mark("url_matches"), "url_matches")
            return WaitForArgs(url_matches=url) if url is not None else None
        ref = self.target_in(m, "'wait_for'")
        state = self.c.choice(m, "state", WAIT_STATES, "'wait_for'") or "visible"
        return WaitForArgs(target=ref, state=state) if ref is not None else None

    def extract(self, value: Any, mark: Mark) -> ExtractArgs | None:
        c = self.c
        m = self._map(
            value,
            mark,
            "extract",
            ("into", "target", "args", "what", "attribute", "pattern", "as", "locale", "secret"),
            ("into",),
        )
        if m is None:
            return None
        into = c.identifier(m["into"], m.value_mark("into"), "'into'")
        what = c.choice(m, "what", EXTRACT_WHAT, "'extract'") or "text"
        as_type = c.choice(m, "as", ("string", "int", "number"), "'extract'") or "string"
        locale = self.locale(m)
        if "locale" in m and as_type != "number":
            c.error(m.key_mark("locale"), "'locale' goes with as: number", "add as: number, or remove 'locale'")
        ref = self.target_in(m, "'extract'", required=False)
        needs_target = what not in ("url", "title")
        if needs_target and "target" not in m:
            c.error(mark, f"extract of {what} needs a 'target'")
        if not needs_target and "target" in m:
            c.error(
                m.key_mark("target"), f"extract of {what} reads the page, not a target", "remove 'target'"
            )
        if (what == "attribute") != ("attribute" in m):
            c.error(
                mark if what == "attribute" else m.key_mark("attribute"),
                "'attribute' goes with what: attribute (both or neither)",
            )
        pattern = self.field(m, "pattern", "'extract'", numbers=False)
        self.regex(pattern, m.value_mark("pattern"), "'pattern'")
        if what == "table":
            # A list of row mappings: neither one number nor one string to match a pattern against.
            for key in ("as", "pattern", "secret"):
                if key in m:
                    c.error(m.key_mark(key), f"'{key}' does not apply to extract of table", f"remove '{key}'")
        if into is None or (needs_target and ref is None):
            return None
        return ExtractArgs(
            into=into,
            target=ref,
            what=what,
            attribute=self.field(m, "attribute", "'extract'", numbers=False),
            pattern=pattern,
            as_type=as_type,
            locale=locale if isinstance(locale, str) else None,
            secret=c.boolean(m, "secret", "'extract'"),
        )

    def set_vars(self, value: Any, mark: Mark) -> SetArgs | None:
        m = self.c.mapping(value, mark, "'set'")
        if m is None:
            return None
        values: dict[str, str] = {}
        for key, raw in m.items():
            name = self.c.identifier(key, m.key_mark(key), "variable")
            if name is None:
                continue
            vmark = m.value_mark(key)
            # Vars hold strings (as `extract` does unless `as: int`): `true` is "true", 3 is "3".
            text = self.text(raw, vmark, f"'{name}' in 'set'")
            if text is not None:
                values[name] = text
        return SetArgs(values=values)

    def download(self, value: Any, mark: Mark) -> DownloadArgs | None:
        m = self._map(value, mark, "download", ("target", "args", "into"), ("target", "into"))
        if m is None:
            return None
        ref = self.target_in(m, "'download'")
        into = self.c.identifier(m["into"], m.value_mark("into"), "'into'")
        return DownloadArgs(target=ref, into=into) if ref is not None and into is not None else None

    def switch_tab(self, value: Any, mark: Mark) -> SwitchTabArgs | None:
        if isinstance(value, YamlMap):
            m = self._map(value, mark, "switch_tab", ("to",), ("to",))
            if m is None:
                return None
            value, mark = m["to"], m.value_mark("to")
        to = self.text(value, mark, "'switch_tab'", numbers=False)
        if to is None:
            return None
        found = re.fullmatch(r"/(.+)/i?", to, re.DOTALL)
        if found is not None:
            self.regex(found.group(1), mark, "'switch_tab'")
        elif to not in ("previous", "first") and not template.is_template(to):
            self.c.error(mark, f"switch_tab to '{to}'", 'write previous, first, or a URL regex such as "/invoice/"')
            return None
        return SwitchTabArgs(to=to)

    def close_tab(self, value: Any, mark: Mark) -> CloseTabArgs | None:
        if value is not None:
            self.c.error(mark, "'close_tab' takes no value", "write `- close_tab:` alone")
            return None
        return CloseTabArgs()

    def repeat(self, value: Any, mark: Mark) -> RepeatArgs | None:
        """`repeat: {until: <condition>, max: N, steps: [...]}`: read-only steps only."""
        c = self.c
        m = self._map(value, mark, "repeat", ("until", "max", "steps"), ("until", "max", "steps"))
        if m is None:
            return None
        until = self.condition(m["until"], m.value_mark("until"), "'until'")
        rounds = c.integer(m, "max", "'repeat'", minimum=1)
        if rounds is not None and rounds > MAX_ROUNDS:
            c.error(m.value_mark("max"), f"'max' in 'repeat' is at most {MAX_ROUNDS}", "a loop must end")
            rounds = None
        seq = c.sequence(m["steps"], m.value_mark("steps"), "'steps' of 'repeat'")
        if seq is None:
            return None
        if not seq:
            c.error(seq.mark, "'repeat' has no steps", "add the steps of one round (e.g. click the Next link)")
        steps: list[Step] = []
        for raw, item_mark in seq.marked_items():
            step = self.step(raw, item_mark)
            self.scope.vars |= raw_vars_set(raw)
            if step is None:
                continue
            problem = self.destructive_in_loop(step)
            if problem:
                c.error(
                    item_mark,
                    f"a destructive step inside 'repeat': {problem}",
                    "a loop may hold read-only steps only (navigation, paging, reading); move it after the loop",
                )
                continue
            steps.append(step)
        if until is None or rounds is None or len(steps) != len(seq):
            return None
        return RepeatArgs(until=until, max=rounds, steps=tuple(steps))

    def destructive_in_loop(self, step: Step) -> str | None:
        """Why `step` may not repeat: it is destructive, or a runbook it uses has a destructive step."""
        if step.destructive:
            return f"'{step.title()}' is destructive"
        if isinstance(step.args, UseArgs):
            used = self.resolve_use(step.args.runbook, Mark(step.source.line, step.source.col))
            if used is not None and self._uses_destructive(used, set()):
                return f"runbook '{used.name}' (used here) has a destructive step"
        if isinstance(step.args, RepeatArgs):
            return next((p for s in step.args.steps if (p := self.destructive_in_loop(s))), None)
        return None

    def _uses_destructive(self, runbook: Runbook, seen: set[str]) -> bool:
        if runbook.name in seen:
            return False
        seen.add(runbook.name)
        for step in runbook.steps:
            if step.destructive or (isinstance(step.args, RepeatArgs) and _has_destructive(step.args.steps)):
                return True
            if isinstance(step.args, UseArgs):
                used = self.resolve_use(step.args.runbook, Mark(step.source.line, step.source.col))
                if used is not None and self._uses_destructive(used, seen):
                    return True
        return False

    def screenshot(self, value: Any, mark: Mark) -> ScreenshotArgs | None:
        if value is None:
            return ScreenshotArgs()
        if isinstance(value, str):
            return ScreenshotArgs(name=self.text(value, mark, "'screenshot'"))
        m = self._map(value, mark, "screenshot", ("name", "full"), ())
        if m is None:
            return None
        return ScreenshotArgs(
            name=self.field(m, "name", "'screenshot'"), full=self.c.boolean(m, "full", "'screenshot'")
        )

    def fail(self, value: Any, mark: Mark) -> FailArgs | None:
        if isinstance(value, YamlMap):
            m = self._map(value, mark, "fail", ("message",), ("message",))
            message = self.field(m, "message", "'fail'") if m is not None else None
        else:
            message = self.text(value, mark, "'fail'")
        return FailArgs(message=message) if message is not None else None

    def done(self, value: Any, mark: Mark) -> DoneArgs | None:
        if isinstance(value, YamlMap):
            m = self._map(value, mark, "done", ("message",), ("message",))
            message = self.field(m, "message", "'done'") if m is not None else None
        else:
            message = self.text(value, mark, "'done'")
        return DoneArgs(message=message) if message is not None else None

    def pause(self, value: Any, mark: Mark) -> PauseArgs | None:
        m = self._map(
            value, mark, "pause_for_operator", ("message", "until", "timeout"), ("message", "until")
        )
        if m is None:
            return None
        message = self.field(m, "message", "'pause_for_operator'")
        until = self.condition(m["until"], m.value_mark("until"), "'until'")
        timeout = self.c.duration(m, "timeout", "'pause_for_operator'")
        if message is None or until is None:
            return None
        return PauseArgs(message=message, until=until, timeout_ms=600_000 if timeout is None else timeout)

    def use(self, value: Any, mark: Mark) -> UseArgs | None:
        c = self.c
        raw_params: YamlMap | None = None
        if isinstance(value, YamlMap):
            m = self._map(value, mark, "use", ("runbook", "params"), ("runbook",))
            if m is None:
                return None
            name = self.plain_name(m["runbook"], m.value_mark("runbook"), "'runbook' in 'use'")
            name_mark = m.value_mark("runbook")
            if "params" in m:
                raw_params = c.mapping(m["params"], m.value_mark("params"), "'params' in 'use'")
        else:
            name, name_mark = self.plain_name(value, mark, "'use'"), mark
        if name is None:
            return None
        used = self.resolve_use(name, name_mark)
        if used is None:
            self.vars_unknown = True
        params: dict[str, str] = {}
        for key, raw in (raw_params or {}).items():
            assert raw_params is not None
            text = self.text(raw, raw_params.value_mark(key), f"param '{key}'")
            if text is None:
                continue
            params[str(key)] = text
            if used is None:
                continue
            param = used.param(str(key))
            if param is None:
                hint = did_you_mean(str(key), [p.name for p in used.params]) or _takes(used)
                c.error(raw_params.key_mark(key), f"runbook '{used.name}' has no param '{key}'", hint)
            elif not template.is_template(text):
                self._check_value(param_value=raw, param=param, mark=raw_params.value_mark(key))
        if used is not None:
            missing = [p for p in used.params if p.required and p.env is None and p.name not in params]
            for p in missing:
                c.error(
                    mark,
                    f"missing param '{p.name}' for runbook '{used.name}'",
                    f"{p.name} is a required {p.type.value}: add it under params",
                )
            self.scope.vars |= set(used.outputs)
        return UseArgs(runbook=name, params=params)

    def _check_value(self, *, param_value: Any, param: Any, mark: Mark) -> None:
        try:
            coerce(param, param_value)
        except ParamValueError as err:
            self.c.error(mark, err.message, err.hint)


def _has_destructive(steps: tuple[Step, ...]) -> bool:
    return any(
        s.destructive or (isinstance(s.args, RepeatArgs) and _has_destructive(s.args.steps)) for s in steps
    )


def suggest_selectors(name: str, catalogue: Catalogue) -> list[str]:
    """Up to 3 entries like `name`. The key is compared within its page first: the shared
    `page.` prefix would make every entry of the page look close."""
    page, _, key = name.rpartition(".")
    entries = catalogue.entries
    if page and any(e.startswith(f"{page}.") for e in entries):
        keys = [e.split(".", 1)[1] for e in entries if e.startswith(f"{page}.")]
        found = [f"{page}.{k}" for k in closest(key, keys)]
        if found:
            return found
    if page:
        pages = {e.split(".", 1)[0] for e in entries}
        found = [f"{p}.{key}" for p in closest(page, pages) if f"{p}.{key}" in entries]
        if found:
            return found
        found = [e for e in entries if e.split(".", 1)[1] == key]  # the right key on another page
        if found:
            return found[:3]
    by_key = {e.split(".", 1)[1]: e for e in entries}
    return [by_key[k] for k in closest(key, by_key)] or closest(name, entries)


def _takes(runbook: Runbook) -> str:
    if not runbook.params:
        return f"runbook '{runbook.name}' takes no params"
    return f"it takes {', '.join(p.name for p in runbook.params)}"


class _Everything(set[str]):
    """Stands for "any var may be set" after a `use` we could not resolve (no cascade of errors)."""

    def __contains__(self, item: object) -> bool:
        return True


ACTION_READERS: dict[str, Callable[[StepReader, Any, Mark], Any]] = {
    "goto": StepReader.goto,
    "click": StepReader.target_only,
    "check": StepReader.target_only,
    "uncheck": StepReader.target_only,
    "hover": StepReader.target_only,
    "fill": StepReader.fill,
    "select": StepReader.select,
    "upload": StepReader.upload,
    "press": StepReader.press,
    "wait_for": StepReader.wait_for,
    "extract": StepReader.extract,
    "screenshot": StepReader.screenshot,
    "use": StepReader.use,
    "pause_for_operator": StepReader.pause,
    "fail": StepReader.fail,
    "done": StepReader.done,
    "set": StepReader.set_vars,
    "download": StepReader.download,
    "switch_tab": StepReader.switch_tab,
    "close_tab": StepReader.close_tab,
    "repeat": StepReader.repeat,
}
assert set(ACTION_READERS) | {"expect"} == set(ACTION_ARGS), "every action in ACTION_ARGS needs a reader"


def raw_vars_set(raw: Any) -> set[str]:
    """The vars a raw step sets through `extract` or `set` (read even when the step has errors, so
    one broken step does not also flag every later use of its var)."""
    if not isinstance(raw, YamlMap):
        return set()
    found: set[str] = set()
    for action in ("extract", "download"):
        value = raw.get(action)
        if isinstance(value, YamlMap) and isinstance(value.get("into"), str):
            found.add(value["into"])
    values = raw.get("set")
    if isinstance(values, YamlMap):
        found |= {key for key in values if isinstance(key, str)}
    return found


def vars_set_later(raw_steps: YamlSeq) -> dict[str, int]:
    """Which step (1-based) first sets each var, for the "it is set later, by step N" hint."""
    found: dict[str, int] = {}
    for number, raw in enumerate(raw_steps, start=1):
        for name in raw_vars_set(raw):
            found.setdefault(name, number)
    return found
