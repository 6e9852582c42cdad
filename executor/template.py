"""Templates: `{{ ... }}` rendered by Jinja2's immutable sandbox with strict undefined names.

Templates are data, not code: no globals (no `range`, `cycler`, `namespace`...), no attribute
starting with `_`, no mutation of lists or dicts, and an undefined name is an error, never "".

Static analysis (`referenced_names`) lets validation check every name before a browser starts:
the roots are `params`, `vars`, `row` (bulk runs: an alias of `params`) and `run`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.runtime import Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOTS = frozenset({"params", "vars", "row", "run"})
RUN_NAMES = frozenset({"base_url", "run_id"})


class TemplateRenderError(ValueError):
    """A template failed to render: an undefined name, a blocked access, a filter on a bad value."""


class _Sandbox(ImmutableSandboxedEnvironment):
    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        # The sandbox already refuses dunders; refuse every private name too (`_secret`, `_sa_instance`).
        if attr.startswith("_"):
            return False
        return bool(super().is_safe_attribute(obj, attr, value))


def _make_env() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.globals.clear()  # no range/lipsum/cycler/joiner/namespace/dict: only the four roots exist
    return env


ENV = _make_env()

_SINGLE_EXPR = re.compile(r"^\s*\{\{-?(?P<expr>.*?)-?\}\}\s*$", re.DOTALL)


def is_template(value: object) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


@lru_cache(maxsize=4096)
def parse(template: str) -> nodes.Template:
    """The template's AST (cached: validation and planning look at the same strings many times)."""
    return ENV.parse(template)


@lru_cache(maxsize=4096)
def _compiled(template: str) -> Template:
    return ENV.from_string(template)


def syntax_error(template: str) -> TemplateSyntaxError | None:
    try:
        parse(template)
    except TemplateSyntaxError as err:
        return err
    return None


def _root_and_attr(node: nodes.Node) -> tuple[str, str | None] | None:
    """`params.x`, `params['x']` -> ('params', 'x'); `params` -> ('params', None)."""
    if isinstance(node, nodes.Name):
        return node.name, None
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        return node.node.name, node.attr
    if (
        isinstance(node, nodes.Getitem)
        and isinstance(node.node, nodes.Name)
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str)
    ):
        return node.node.name, node.arg.value
    return None


def _collect(node: nodes.Node, out: set[str], free: Collection[str]) -> None:
    found = _root_and_attr(node)
    if found is not None:
        root, attr = found
        if isinstance(node, nodes.Name) and node.ctx != "load":
            return
        if root in free:
            out.add(f"{root}.{attr}" if attr is not None else root)
        return
    for child in node.iter_child_nodes():
        _collect(child, out, free)


def _free_names(ast: nodes.Template) -> set[str]:
    """Names read but not defined by the template itself ({% set %}, loop targets).

    Simpler than jinja2.meta.find_undeclared_variables, which compiles the template and so fails
    on an unknown filter: validation wants to report both problems."""
    loaded = {n.name for n in ast.find_all(nodes.Name) if n.ctx == "load"}
    stored = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    return loaded - stored - {"loop"}


@lru_cache(maxsize=4096)
def _referenced(template: str) -> frozenset[str]:
    ast = parse(template)
    free = _free_names(ast)
    out: set[str] = set()
    _collect(ast, out, free)
    return frozenset(out)


def referenced_names(template: str) -> set[str]:
    """Dotted names the template reads: {'params.user_email', 'vars.old_tier', 'run.base_url'}.

    One level below the root is kept (`params.email.lower()` -> 'params.email'); a bare root or any
    other free name is returned as is ('params', 'loop_var') so validation can refuse it.
    Raises TemplateSyntaxError on a template that does not parse.
    """
    return set(_referenced(template))


def private_attributes(template: str) -> list[str]:
    """Attributes starting with `_` the template reaches for (always refused by the sandbox)."""
    found = {n.attr for n in parse(template).find_all(nodes.Getattr) if n.attr.startswith("_")}
    return sorted(found, key=lambda attr: (template.find(attr), attr))  # in reading order


def unknown_filters(template: str) -> list[str]:
    ast = parse(template)
    names = {n.name for n in ast.find_all(nodes.Filter) if n.name not in ENV.filters}
    names |= {n.name for n in ast.find_all(nodes.Test) if n.name not in ENV.tests}
    return sorted(names)


def params_used(template: str) -> set[str]:
    """Param names a template reads, through `params.*` or its bulk alias `row.*` (none when the
    template does not parse: validation reports that)."""
    if syntax_error(template) is not None:
        return set()
    return {name.split(".", 1)[1] for name in _referenced(template) if name.startswith(("params.", "row."))}


def vars_used(template: str) -> set[str]:
    """Var names a template reads through `vars.*` (none when it does not parse)."""
    if syntax_error(template) is not None:
        return set()
    return {name.split(".", 1)[1] for name in _referenced(template) if name.startswith("vars.")}


def touches_secret(value: str, secret_params: Collection[str]) -> bool:
    """Whether a templated value is built from a secret param (so it must be masked and never traced)."""
    return is_template(value) and not params_used(value).isdisjoint(secret_params)


def reads_root(template: str, roots: Iterable[str]) -> bool:
    wanted = tuple(f"{r}." for r in roots)
    return any(name.startswith(wanted) or name in roots for name in _referenced(template))


def context(
    params: Mapping[str, Any],
    variables: Mapping[str, Any] | None = None,
    run: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The names a runbook template sees; `row` is the same values as `params`."""
    ctx: dict[str, Any] = {"params": dict(params), "row": dict(params)}
    if variables is not None:
        ctx["vars"] = dict(variables)
    if run is not None:
        ctx["run"] = dict(run)
    return ctx


def render(template: str, ctx: Mapping[str, Any]) -> str:
    """Render to a string; a plain string (no `{{`/`{%`) is returned unchanged."""
    if not is_template(template):
        return template
    try:
        return _compiled(template).render(dict(ctx))
    except SecurityError as err:
        raise TemplateRenderError(f"blocked by the template sandbox: {err}") from err
    except UndefinedError as err:
        raise TemplateRenderError(f"undefined name in {template!r}: {err.message}") from err
    except TemplateError as err:
        raise TemplateRenderError(f"cannot render {template!r}: {err}") from err
    except (TypeError, ValueError, ArithmeticError, LookupError) as err:
        raise TemplateRenderError(f"cannot render {template!r}: {err}") from err


def render_value(template: str, ctx: Mapping[str, Any]) -> Any:
    """A string that is exactly one `{{ expr }}` gives the expression's native value (int, bool, ...);
    anything else renders to a string."""
    if not is_template(template):
        return template
    match = _SINGLE_EXPR.match(template)
    body = parse(template).body
    single = (
        match is not None
        and len(body) == 1
        and isinstance(body[0], nodes.Output)
        and len(body[0].nodes) == 1
        and not isinstance(body[0].nodes[0], nodes.TemplateData)
    )
    if not single or match is None:
        return render(template, ctx)
    try:
        value = _compiled_expression(match.group("expr"))(**ctx)
        if isinstance(value, Undefined):
            str(value)  # StrictUndefined raises here, naming the missing name
    except SecurityError as err:
        raise TemplateRenderError(f"blocked by the template sandbox: {err}") from err
    except UndefinedError as err:
        raise TemplateRenderError(f"undefined name in {template!r}: {err.message}") from err
    except TemplateError as err:
        raise TemplateRenderError(f"cannot render {template!r}: {err}") from err
    except (TypeError, ValueError, ArithmeticError, LookupError) as err:
        raise TemplateRenderError(f"cannot render {template!r}: {err}") from err
    return value


@lru_cache(maxsize=1024)
def _compiled_expression(expr: str) -> Any:
    return ENV.compile_expression(expr, undefined_to_none=False)


_FALSE_WORDS = frozenset({"", "false", "no", "0", "off", "none"})


def truthy(value: Any) -> bool:
    """A condition's rendered value: `False`, `"false"`, `"no"`, `"0"`, `""` are false."""
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_WORDS
    return bool(value)
