"""Runbook loading: the YAML surface becomes the frozen models, valid fixtures load clean."""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path

import pytest

from executor.load import LoadError, load_catalogue, load_runbook, validate_paths
from executor.load.runbook_loader import RunbookLoader, validate_files
from executor.model.catalogue import Catalogue
from executor.model.runbook import (
    ExtractArgs,
    FillArgs,
    GotoArgs,
    NoArgs,
    ParamType,
    PauseArgs,
    PressArgs,
    Runbook,
    SetArgs,
    TargetArgs,
    UseArgs,
    WaitForArgs,
)

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid"


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    return load_catalogue(FIXTURES / "selectors")


def load(name: str) -> Runbook:
    return load_runbook(VALID / f"{name}.yaml", catalogue(), runbooks_root=VALID)


def load_text(tmp_path: Path, text: str) -> Runbook:
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    return load_runbook(path, catalogue(), runbooks_root=VALID)


def test_valid_fixtures_have_no_diagnostics() -> None:
    assert validate_paths([VALID], catalogue()) == []


def test_params_are_typed() -> None:
    rb = load("downgrade_license")
    email, tier, quantity, confirm, admin = rb.params
    assert (email.type, email.required) == (ParamType.EMAIL, True)
    assert tier.values == ("Eco", "Advanced")
    assert (quantity.default, quantity.required) == (1, False)
    assert (confirm.type, confirm.default) == (ParamType.BOOL, False)
    assert admin.env == "PORTAL_ADMIN_EMAIL"
    assert email.source.line == 5


def test_bare_type_param(tmp_path: Path) -> None:
    rb = load_text(tmp_path, "name: r\nparams:\n  user_email: email\nsteps:\n  - goto: /users\n")
    assert rb.param("user_email") is not None
    assert rb.params[0].type is ParamType.EMAIL


def test_steps_become_typed_args() -> None:
    rb = load("downgrade_license")
    use, goto, extract, fail, _shot, buy, *_rest, set_step = rb.steps
    assert isinstance(use.args, UseArgs) and use.args.runbook == "login"
    assert isinstance(goto.args, GotoArgs) and goto.name == "Open the user page"
    assert isinstance(extract.args, ExtractArgs)
    assert extract.args.target is not None
    assert extract.args.target.entry == "users.license_cell"
    assert dict(extract.args.target.args) == {"email": "{{ params.user_email }}"}
    assert fail.when is not None and fail.when.expr == "{{ vars.old_tier == params.target_tier }}"
    assert isinstance(buy.args, UseArgs) and dict(buy.args.params) == {
        "tier": "{{ params.target_tier }}",
        "quantity": "{{ params.quantity }}",
    }
    assert isinstance(set_step.args, SetArgs)
    assert dict(set_step.args.values) == {"new_tier": "{{ params.target_tier }}", "downgraded": "true"}
    assert goto.source.line == 12 and goto.source.col == 5


def test_assertions_short_and_long_forms() -> None:
    rb = load("downgrade_license")
    save = rb.steps[10]
    text, visible = save.expect
    assert text.kind == "text" and text.target is not None and text.target.entry == "users.status"
    assert text.equals == "{{ params.user_email }} now holds a {{ params.target_tier }} license."
    assert visible.kind == "visible" and visible.target is not None and visible.target.entry == "users.row"


def test_expect_step_durations_retry_and_page_conditions() -> None:
    rb = load("check_pool")
    goto, extract, expect, wait, press, hover = rb.steps
    assert isinstance(goto.args, GotoArgs) and goto.args.url == "/licenses"
    assert (
        isinstance(extract.args, ExtractArgs)
        and extract.args.as_type == "int"
        and extract.args.pattern == r"(\d+)$"
    )
    assert extract.retry is not None and extract.retry.attempts == 2
    assert isinstance(expect.args, NoArgs) and [a.kind for a in expect.expect] == ["count", "title", "url"]
    assert expect.expect[0].equals == "1" and expect.screenshot == "none"
    assert expect.expect[2].ignore_case is True
    assert isinstance(wait.args, WaitForArgs) and wait.args.url_matches == "/licenses"
    assert isinstance(press.args, PressArgs) and press.args.key == "Escape"
    assert isinstance(hover.args, TargetArgs) and hover.optional


def test_shared_login() -> None:
    rb = RunbookLoader(catalogue(), VALID).load_shared("login")
    extract = rb.steps[2]
    assert extract.retry is not None and (extract.retry.attempts, extract.retry.delay_ms) == (3, 200)
    pause = rb.steps[5].args
    assert isinstance(pause, PauseArgs) and pause.timeout_ms == 300_000
    assert pause.until.visible is not None and pause.until.within_ms == 1000
    sms = rb.steps[6]
    assert isinstance(sms.args, FillArgs) and sms.args.secret  # filled from a secret param
    assert sms.when is not None and sms.when.visible is not None and sms.when.within_ms == 2000
    assert isinstance(rb.steps[1].args, FillArgs) and not rb.steps[1].args.secret


@pytest.mark.parametrize(
    ("written", "ms"),
    [("500ms", 500), ("2s", 2000), ("1.5s", 1500), ("1m", 60_000), (750, 750)],
)
def test_durations(tmp_path: Path, written: object, ms: int) -> None:
    rb = load_text(tmp_path, f"name: r\nsteps:\n  - goto: /\n    timeout: {written}\n")
    assert rb.steps[0].timeout_ms == ms


def test_use_outputs_become_vars(tmp_path: Path) -> None:
    rb = load_text(
        tmp_path, "name: r\nsteps:\n  - use: login\n  - goto: '/users?u={{ vars.signed_in_as }}'\n"
    )
    assert rb.steps[1].args == GotoArgs(url="/users?u={{ vars.signed_in_as }}")


def test_var_set_by_a_step_guarded_by_when_counts(tmp_path: Path) -> None:
    text = (
        "name: r\nparams:\n  go: {type: bool, default: true}\nsteps:\n"
        "  - set: {x: '1'}\n    when: '{{ params.go }}'\n  - goto: '/{{ vars.x }}'\n"
    )
    assert load_text(tmp_path, text).steps[1].args == GotoArgs(url="/{{ vars.x }}")


def test_all_problems_at_once(tmp_path: Path) -> None:
    text = "name: r\nsteps:\n  - clik: a.b\n  - goto: /\n    timeout: fast\n  - click: nope.nope\n"
    with pytest.raises(LoadError) as caught:
        load_text(tmp_path, text)
    assert [(d.line, d.message) for d in caught.value.diagnostics] == [
        (3, "unknown action 'clik'"),
        (5, "invalid duration 'fast' for 'timeout' in the step"),
        (6, "unknown selector 'nope.nope'"),
    ]


def test_problems_in_a_used_runbook_carry_the_include_chain() -> None:
    invalid = FIXTURES / "invalid"
    with pytest.raises(LoadError) as caught:
        load_runbook(invalid / "use_broken.yaml", catalogue(), runbooks_root=invalid)
    (d,) = caught.value.diagnostics
    assert d.file.endswith("_shared/broken.yaml")
    assert [(Path(s.file).name, s.line) for s in d.chain] == [("use_broken.yaml", 3)]


def test_validate_reports_a_shared_problem_once() -> None:
    invalid = FIXTURES / "invalid"
    result = validate_files(
        [invalid / "use_cycle.yaml", invalid / "_shared"], catalogue(), runbooks_root=invalid
    )
    cycles = [d for d in result.diagnostics if d.message.startswith("use cycle")]
    assert len(cycles) == 1
    assert cycles[0].chain == ()  # the file was also validated on its own: shortest chain kept
    assert {p.name for p in result.failed} == {
        "use_cycle.yaml",
        "cycle_a.yaml",
        "cycle_b.yaml",
        "broken.yaml",
    }


def test_missing_path_is_a_diagnostic() -> None:
    (d,) = validate_paths([FIXTURES / "nowhere"], catalogue())
    assert d.message == "no such file or folder"


def test_loading_every_fixture_is_fast() -> None:
    started = time.perf_counter()
    for _ in range(10):
        validate_paths([VALID], catalogue())  # a fresh loader each time: everything parsed again
    assert (time.perf_counter() - started) / 10 < 0.2
