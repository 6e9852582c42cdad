"""Validation of `{{ ... }}` templates: syntax, filters, and every name they read.

`params.x` must be a declared param (`row.x` is its bulk alias); `vars.x` must be set by an earlier
step of the same runbook (`extract` into, `set`, or a `use`d runbook's outputs; a step guarded by
`when` still counts); `run.base_url` and `run.run_id` exist; nothing else does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from executor import template
from executor.load.fields import Checker
from executor.load.suggest import closest, did_you_mean, quoted_list
from executor.load.yaml_source import Mark
from executor.model.runbook import Param

NAMES_HINT = "templates read params.*, vars.*, row.* and run.* (base_url, run_id)"


@dataclass
class TemplateScope:
    params: Mapping[str, Param]
    # Vars set by the steps before the current one.
    vars: set[str] = field(default_factory=set)
    # Every var any step sets, with the step number that sets it: for the "it is set later" hint.
    later: dict[str, int] = field(default_factory=dict)

    # Vars holding secrets: `extract` with `secret: true`, and `set` values built from secrets.
    secret_vars: set[str] = field(default_factory=set)

    @property
    def secret_params(self) -> set[str]:
        return {name for name, p in self.params.items() if p.secret}

    def is_secret(self, value: str) -> bool:
        """Whether a templated value is built from a secret param or a secret var."""
        if template.touches_secret(value, self.secret_params):
            return True
        return template.is_template(value) and not template.vars_used(value).isdisjoint(self.secret_vars)

    def check(self, c: Checker, value: Any, mark: Mark) -> None:
        if not template.is_template(value):
            return
        error = template.syntax_error(value)
        if error is not None:
            c.error(mark, f"template syntax error: {error.message}", _syntax_hint(value))
            return
        for name in template.unknown_filters(value):
            hint = did_you_mean(name, [*template.ENV.filters, *template.ENV.tests])
            c.error(_locate(c, mark, name), f"unknown filter or test '{name}' in template", hint)
        private = template.private_attributes(value)
        if private:
            hint = "names starting with _ are not readable in templates"
            c.error(_locate(c, mark, private[0]), f"template reaches for {quoted_list(private, 'and')}", hint)
            return  # an escape attempt: the names around it are beside the point
        for name in sorted(template.referenced_names(value)):
            problem = self._problem(name)
            if problem is not None:
                c.error(_locate(c, mark, name), *problem)

    def _problem(self, name: str) -> tuple[str, str | None] | None:
        root, _, attr = name.partition(".")
        if root in ("params", "row"):
            if not attr:
                return (
                    f"'{root}' needs a param name",
                    f"write {root}.<name>, e.g. {root}.{next(iter(self.params), 'user_email')}",
                )
            if attr in self.params:
                return None
            return f"unknown param '{attr}' in template", _prefixed(
                root, closest(attr, self.params)
            ) or _declared(self.params)
        if root == "vars":
            if not attr:
                return "'vars' needs a variable name", "write vars.<name>"
            if attr in self.vars:
                return None
            if attr in self.later:
                return (
                    f"'vars.{attr}' is used before it is set",
                    f"it is set later, by step {self.later[attr]}",
                )
            known = self.vars or set(self.later)
            return f"'vars.{attr}' is not set by an earlier step", _prefixed(
                "vars", closest(attr, known)
            ) or ("vars are set by extract (into), set, or the outputs of a used runbook")
        if root == "run":
            if attr in template.RUN_NAMES:
                return None
            return f"unknown run value '{name}'", f"run has {quoted_list(sorted(template.RUN_NAMES), 'and')}"
        roots = closest(root, template.ROOTS, n=1)
        hint = f"did you mean '{roots[0]}.{attr}'?" if roots and attr else None
        return f"unknown name '{name}' in template", hint or NAMES_HINT


def _locate(c: Checker, mark: Mark, needle: str) -> Mark:
    """The caret under the name itself when the template sits on the line of its mark (a block
    scalar spans lines: then the start of the string is the best we know)."""
    line = c.source.line_text(mark.line)
    if line is None:
        return mark
    index = line.find(needle, mark.col - 1)
    return Mark(mark.line, index + 1) if index >= 0 else mark


def _prefixed(root: str, names: list[str]) -> str | None:
    return f"did you mean {quoted_list(f'{root}.{n}' for n in names)}?" if names else None


def _declared(params: Mapping[str, Param]) -> str:
    if not params:
        return "this runbook declares no params"
    return f"declared params: {', '.join(params)}"


def _syntax_hint(value: str) -> str | None:
    if value.count("{{") != value.count("}}"):
        return "every {{ needs a matching }}"
    return None
