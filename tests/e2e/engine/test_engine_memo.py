"""The page's memo of first-candidate resolutions: fewer browser round trips, the same outcomes.

A remembered target is not counted again; these pages change within one document so the
remembered locator goes stale in each way it can, and the run must still act on the right element
or fail with the catalogue's own "not found" message.
"""

from __future__ import annotations

import pytest
from engine_builders import a, click, expect, goto, plan
from engine_site import site_catalogue

from executor.events import StepFinished

pytestmark = pytest.mark.e2e

CAT = site_catalogue()


def _finished(rec) -> list[StepFinished]:  # type: ignore[no-untyped-def]
    return rec.of(StepFinished)


def test_a_remembered_target_that_turns_ambiguous_falls_back_in_order(engine_run) -> None:
    p = plan(
        goto("/memo", 1, expect=(a("visible", "memo.apply"),)),  # "Apply" is unique: remembered
        click("memo.twin", 2),  # now two buttons are named "Apply"
        click("memo.apply", 3, expect=(a("text", "page.status", equals="applied by the main button"),)),
    )
    result, rec = engine_run(p, CAT)
    assert result.status == "passed", result.error
    first, _, third = _finished(rec)
    assert first.assertions[0].match is not None and first.assertions[0].match.label == "first candidate"
    # the click searched again and took the second candidate, never "the first of two"
    assert [m.label for m in third.matches if m.entry == "memo.apply"] == ["fallback 2 of 2"]


def test_a_remembered_target_that_went_away_fails_with_the_catalogue_message(engine_run) -> None:
    p = plan(
        goto("/memo", 1, expect=(a("visible", "memo.target"),)),
        click("memo.drop", 2),
        click("memo.target", 3, timeout_ms=400),
    )
    result, rec = engine_run(p, CAT)
    assert result.status == "failed" and result.failed_step == "3"
    error = _finished(rec)[2].error or ""
    assert "selector memo.target not found on http://127.0.0.1:" in error
    assert "tried role=button name='Target' (0)" in error


def test_an_assertion_on_a_remembered_target_that_went_away_says_not_found(engine_run) -> None:
    p = plan(
        goto("/memo", 1, expect=(a("visible", "memo.target"),)),
        click("memo.drop", 2),
        expect(a("visible", "memo.target", timeout_ms=300), line=3),
    )
    result, rec = engine_run(p, CAT)
    assert result.status == "failed"
    failed = _finished(rec)[2].assertions[0]
    assert failed.status == "failed"
    assert (failed.error or "").startswith("selector memo.target not found on ")


def test_a_dry_run_looks_at_every_destructive_locator_again(engine_run) -> None:
    # The target was found (and would be remembered) on the first page, and is gone from the
    # second: a dry run exists to find that out, so it must not answer from the memo.
    p = plan(
        goto("/memo", 1, expect=(a("visible", "memo.target"),)),
        goto("/done", 2),
        click("memo.target", 3, timeout_ms=300),
    )
    result, rec = engine_run(p, CAT, dry_run=True)
    assert result.status == "failed" and result.failed_step == "3"
    assert "selector memo.target not found on " in (_finished(rec)[2].error or "")


def test_memo_and_watch_live_as_long_as_their_page(on_page) -> None:
    from executor.engine import page_state as module
    from executor.engine.memo import memo_for
    from executor.engine.server_errors import watch_for

    async def check(page):  # type: ignore[no-untyped-def]
        same = memo_for(page, CAT) is memo_for(page, CAT) and watch_for(page) is watch_for(page)
        other_catalogue = memo_for(page, site_catalogue()) is not memo_for(page, CAT)
        held = id(page) in module._STATE
        await page.close()
        return same, other_catalogue, held, id(page) in module._STATE

    assert on_page(check) == (True, True, True, False)
