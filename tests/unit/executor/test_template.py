"""Templates: sandboxed, strict, native values, static analysis of the names they read."""

from __future__ import annotations

import pytest

from executor import template
from executor.template import TemplateRenderError, render, render_value

CTX = template.context(
    {"user_email": "user03@acme.example", "quantity": 2, "confirm": False}, {"old_tier": "Pro"}
)


def test_render_strings() -> None:
    assert render("{{ params.user_email }} holds {{ vars.old_tier }}", CTX) == "user03@acme.example holds Pro"
    assert render("{{ row.user_email | upper }}", CTX) == "USER03@ACME.EXAMPLE"
    assert render("no template here", {}) == "no template here"


def test_render_value_is_native_for_a_single_expression() -> None:
    assert render_value("{{ params.quantity * 2 }}", CTX) == 4
    assert render_value("{{ params.confirm }}", CTX) is False
    assert render_value("{{ params.quantity }} licenses", CTX) == "2 licenses"
    assert render_value("plain", CTX) == "plain"


def test_autoescape_is_off() -> None:
    assert render("{{ '<b>&' }}", {}) == "<b>&"


@pytest.mark.parametrize(
    "escape",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__.os }}",
        "{{ params.__class__ }}",
        "{{ params._private }}",
        "{{ range(10) | list }}",
    ],
)
def test_sandbox_blocks_escapes(escape: str) -> None:
    for fn in (render, render_value):
        with pytest.raises(TemplateRenderError):
            fn(escape, CTX)


def test_no_mutation_of_data() -> None:
    with pytest.raises(TemplateRenderError, match="sandbox"):
        render("{{ vars.tiers.append(1) }}", template.context({}, {"tiers": []}))


def test_undefined_names_are_errors_not_empty_strings() -> None:
    with pytest.raises(TemplateRenderError, match="nope"):
        render("{{ params.nope }}", CTX)
    with pytest.raises(TemplateRenderError):
        render_value("{{ vars.missing }}", CTX)
    with pytest.raises(TemplateRenderError):
        render("{{ undefined_root }}", CTX)


def test_referenced_names() -> None:
    names = template.referenced_names(
        "{{ params.user_email.split('@')[0] }} {{ vars['old_tier'] }} {{ row.x }} {{ run.base_url }}"
        "{% set y = 1 %}{{ y }}{% for i in [1] %}{{ i }}{{ loop.index }}{% endfor %} {{ other }} {{ params }}"
    )
    assert names == {"params.user_email", "vars.old_tier", "row.x", "run.base_url", "other", "params"}


def test_referenced_names_with_an_unknown_filter_still_works() -> None:
    assert template.referenced_names("{{ params.a | nosuchfilter }}") == {"params.a"}
    assert template.unknown_filters("{{ params.a | nosuchfilter }} {{ 1 is odd }}") == ["nosuchfilter"]


def test_helpers() -> None:
    assert template.is_template("{{ x }}") and template.is_template("{% if x %}{% endif %}")
    assert not template.is_template("plain") and not template.is_template(3)
    assert template.syntax_error("{{ x }") is not None and template.syntax_error("{{ x }}") is None
    assert template.params_used("{{ params.a }}{{ row.b }}{{ vars.c }}") == {"a", "b"}
    assert template.touches_secret("{{ params.password }}", {"password"})
    assert not template.touches_secret("{{ params.email }}", {"password"})
    assert template.private_attributes("{{ a.__class__.__mro__ }}") == ["__class__", "__mro__"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("false", False),
        ("No", False),
        ("0", False),
        ("", False),
        ("yes", True),
        (1, True),
        (0, False),
    ],
)
def test_truthy(value: object, expected: bool) -> None:
    assert template.truthy(value) is expected
