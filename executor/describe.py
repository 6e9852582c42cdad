"""How a step reads in reports: its default title, its target, and the step as YAML.

Reports show the *evaluated* step (templates rendered), in the runbook's own surface syntax, so a
failure reads like the line the author wrote (tavern/maestro habit), not like a Python repr.
"""

from __future__ import annotations

from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML ships no type hints

from executor.model.runbook import Assertion, Condition, MessageMatch, Step, TargetRef, TextRef

_STEP_KEYS = ("name", "destructive", "idempotent", "read_only", "optional", "screenshot", "timeout_ms", "opens")


def target_of(step: Step) -> str | None:
    """What the step acts on: a catalogue target, a URL, a key, a variable."""
    args = step.args
    target = getattr(args, "target", None)
    if isinstance(target, TargetRef):
        return target.describe()
    for attr in ("url", "runbook", "key", "into", "url_matches", "name"):
        value = getattr(args, attr, None)
        if isinstance(value, str):
            return value
    return None


def title_of(step: Step) -> str:
    """The step's `name`, else "action target" (the language's documented default)."""
    if step.name:
        return step.name
    target = target_of(step)
    return f"{step.action} {target}" if target else step.action


def _target(ref: TargetRef) -> Any:
    return ref.entry if not ref.args else {"target": ref.entry, "args": dict(ref.args)}


def _text_ref(ref: TextRef) -> Any:
    return {"text": ref.text, "args": dict(ref.args)} if ref.args else {"text": ref.text}


def _clean(value: Any) -> Any:
    if isinstance(value, TargetRef):
        return _target(value)
    if isinstance(value, TextRef):
        return _text_ref(value)
    if isinstance(value, MessageMatch):
        return value.describe().strip("'") if not value.regex else value.describe()
    if isinstance(value, Condition):
        return condition_surface(value)
    fields = getattr(type(value), "model_fields", None)
    if fields is not None:
        return {
            k: _clean(getattr(value, k))
            for k in fields
            if k != "source" and getattr(value, k) != fields[k].default
        }
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def condition_surface(c: Condition) -> Any:
    if c.expr is not None:
        return c.expr
    out: dict[str, Any] = {}
    if c.visible is not None:
        out["visible"] = _target(c.visible)
    if c.hidden is not None:
        out["hidden"] = _target(c.hidden)
    if c.url_matches is not None:
        out["url_matches"] = c.url_matches
    if c.within_ms:
        out["within"] = f"{c.within_ms}ms"
    return out


def assertion_surface(a: Assertion) -> dict[str, Any]:
    options: dict[str, Any] = {
        k: _text_ref(v) if isinstance(v, TextRef) else v
        for k, v in (
            ("equals", a.equals),
            ("contains", a.contains),
            ("matches", a.matches),
            ("at_least", a.at_least),
            ("at_most", a.at_most),
        )
        if v is not None
    }
    if a.locale:
        options["locale"] = a.locale
    if a.ignore_case:
        options["ignore_case"] = True
    if a.message:
        options["message"] = a.message
    if a.target is None:
        return {a.kind: options}
    if not options:
        return {a.kind: _target(a.target)}
    target = _target(a.target)
    body = {"target": target} if isinstance(target, str) else dict(target)
    return {a.kind: {**body, **options}}


def surface(step: Step) -> dict[str, Any]:
    """The step as a runbook author would write it."""
    args = _clean(step.args)
    if isinstance(args, dict) and list(args) == ["target"]:
        args = args["target"]  # click: licenses.checkout
    if step.action == "expect":
        args = [assertion_surface(a) for a in step.expect]
    out: dict[str, Any] = {step.action: args if args != {} else None}
    for key in _STEP_KEYS:
        value = getattr(step, key)
        if value != Step.model_fields[key].default:
            out[key] = value
    if step.when is not None:
        out["when"] = condition_surface(step.when)
    if step.dialog:
        out["dialog"] = [_clean(d) for d in step.dialog]
    if step.expect and step.action != "expect":
        out["expect"] = [assertion_surface(a) for a in step.expect]
    return out


def step_yaml(step: Step) -> str:
    try:
        return str(yaml.safe_dump([surface(step)], sort_keys=False, allow_unicode=True, width=110)).rstrip()
    except yaml.YAMLError:
        # A report must never fail the step it describes: the model's own repr is evidence enough.
        return repr(step)
