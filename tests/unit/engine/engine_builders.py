"""Small builders for engine tests: catalogue entries, steps and plans without YAML or templates.

(The loader and the plan are tested on their side; here the engine gets the frozen models it
consumes, built directly.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from executor.model.base import SourceSpan
from executor.model.catalogue import (
    Candidate,
    Catalogue,
    CatalogueEntry,
    CataloguePage,
    EntryScope,
    PortalFacts,
    Signature,
    TextMatch,
)
from executor.model.plan import Plan, PlannedStep
from executor.model.runbook import (
    Assertion,
    Condition,
    ExtractArgs,
    FailArgs,
    FillArgs,
    GotoArgs,
    NoArgs,
    Param,
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
    UseArgs,
    WaitForArgs,
)

RUNBOOK_PATH = "runbooks/test_runbook.yaml"


def span(line: int, col: int = 5, file: str = RUNBOOK_PATH) -> SourceSpan:
    return SourceSpan(file=file, line=line, col=col)


# --- catalogue -----------------------------------------------------------------------------------


def text(value: str, *, exact: bool = False) -> TextMatch:
    """`/.../i` is a regex (JS style), anything else a literal."""
    if value.startswith("/") and value.rstrip("i").endswith("/") and len(value) > 2:
        flags = value[value.rstrip("i").rfind("/") + 1 :]
        body = value[1 : len(value) - len(flags) - 1]
        return TextMatch(value=body, regex=True, ignore_case="i" in flags, exact=exact)
    return TextMatch(value=value, exact=exact)


def role(
    role_name: str, name: str | None = None, *, exact: bool = False, has_text: str | None = None
) -> Candidate:
    return Candidate(
        kind="role",
        role=role_name,
        name=text(name, exact=exact) if name is not None else None,
        has_text=text(has_text) if has_text else None,
    )


def by(kind: str, value: str, *, exact: bool = False) -> Candidate:
    if kind == "css":
        return Candidate(kind="css", css=value)
    return Candidate(kind=kind, text=text(value, exact=exact))  # type: ignore[arg-type]


def entry(
    name: str,
    *candidates: Candidate,
    args: tuple[str, ...] = (),
    within: tuple[str, Mapping[str, str]] | str | None = None,
    description: str = "",
) -> CatalogueEntry:
    scope = None
    if isinstance(within, str):
        scope = EntryScope(entry=within)
    elif within is not None:
        scope = EntryScope(entry=within[0], args=dict(within[1]))
    return CatalogueEntry(
        name=name,
        page=name.split(".")[0],
        description=description,
        args=args,
        within=scope,
        candidates=tuple(candidates),
    )


# The test sites' portal facts: an expired session lands on /login?expired=1 (as the fake portal's).
TEST_PORTAL = PortalFacts(
    logged_out=Signature(url_matches=r"/login\?(.*&)?expired=1"),
    login_page=Signature(url_matches=r"/login/?(\?|$)"),
)


def catalogue(*entries: CatalogueEntry, portal: PortalFacts = TEST_PORTAL) -> Catalogue:
    pages = {e.page: CataloguePage(name=e.page) for e in entries}
    return Catalogue(pages=pages, entries={e.name: e for e in entries}, portal=portal)


# --- steps ---------------------------------------------------------------------------------------


def ref(target: str | TargetRef, **args: str) -> TargetRef:
    return target if isinstance(target, TargetRef) else TargetRef(entry=target, args=args)


def step(action: str, args: Any, line: int = 1, **keys: Any) -> Step:
    return Step(action=action, args=args, source=span(line), **keys)


def goto(url: str, line: int = 1, **keys: Any) -> Step:
    return step("goto", GotoArgs(url=url), line, **keys)


def click(target: str | TargetRef, line: int = 1, **keys: Any) -> Step:
    return step("click", TargetArgs(target=ref(target)), line, **keys)


def check(target: str | TargetRef, line: int = 1, **keys: Any) -> Step:
    return step("check", TargetArgs(target=ref(target)), line, **keys)


def fill(target: str | TargetRef, value: str, line: int = 1, **keys: Any) -> Step:
    return step("fill", FillArgs(target=ref(target), value=value), line, **keys)


def select(target: str | TargetRef, option: str, line: int = 1, **keys: Any) -> Step:
    return step("select", SelectArgs(target=ref(target), option=option), line, **keys)


def press(key: str, target: str | None = None, line: int = 1, **keys: Any) -> Step:
    return step("press", PressArgs(key=key, target=ref(target) if target else None), line, **keys)


def wait_for(target: str, state: str = "visible", line: int = 1, **keys: Any) -> Step:
    return step("wait_for", WaitForArgs(target=ref(target), state=state), line, **keys)  # type: ignore[arg-type]


def extract(into: str, target: str | TargetRef | None = None, line: int = 1, **kw: Any) -> Step:
    keys = {k: kw.pop(k) for k in list(kw) if k in Step.model_fields}
    return step("extract", ExtractArgs(into=into, target=ref(target) if target else None, **kw), line, **keys)


def set_vars(line: int = 1, **values: str) -> Step:
    return step("set", SetArgs(values=values), line)


def expect(*assertions: Assertion, line: int = 1, **keys: Any) -> Step:
    return step("expect", NoArgs(), line, expect=assertions, **keys)


def screenshot(name: str | None = None, line: int = 1) -> Step:
    return step("screenshot", ScreenshotArgs(name=name), line)


def fail(message: str, line: int = 1, **keys: Any) -> Step:
    return step("fail", FailArgs(message=message), line, **keys)


def pause(message: str, until: Condition, timeout_ms: int = 1000, line: int = 1) -> Step:
    return step("pause_for_operator", PauseArgs(message=message, until=until, timeout_ms=timeout_ms), line)


def use(runbook: str, line: int = 1, **keys: Any) -> Step:
    return step("use", UseArgs(runbook=runbook), line, **keys)


def a(kind: str, target: str | TargetRef | None = None, **kw: Any) -> Assertion:
    return Assertion(kind=kind, target=ref(target) if target else None, **kw)  # type: ignore[arg-type]


def when(expr: str | None = None, **kw: Any) -> Condition:
    for key in ("visible", "hidden"):
        if key in kw and not isinstance(kw[key], TargetRef):
            kw[key] = ref(kw[key])
    return Condition(expr=expr, **kw)


def retry(attempts: int = 3, delay_ms: int = 10) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, delay_ms=delay_ms)


# --- plans ---------------------------------------------------------------------------------------


def planned(
    s: Step, id: str, children: tuple[PlannedStep, ...] = (), runbook: str = "test_runbook"
) -> PlannedStep:
    return PlannedStep(id=id, step=s, runbook=runbook, children=children)


def plan(
    *steps: Step | PlannedStep,
    params: Mapping[str, Any] | None = None,
    secret_params: Mapping[str, str] | None = None,
    outputs: Mapping[str, str] | None = None,
    name: str = "test_runbook",
) -> Plan:
    declared = tuple(Param(name=k) for k in (params or {})) + tuple(
        Param(name=k, secret=True) for k in (secret_params or {})
    )
    all_params = {**(params or {}), **(secret_params or {})}
    runbook = Runbook(
        name=name,
        path=RUNBOOK_PATH,
        params=declared,
        steps=tuple(s.step if isinstance(s, PlannedStep) else s for s in steps),
    )
    planned_steps = tuple(
        s if isinstance(s, PlannedStep) else planned(s, str(i + 1), runbook=name) for i, s in enumerate(steps)
    )
    return Plan(runbook=runbook, params=all_params, steps=planned_steps, outputs=dict(outputs or {}))


# --- a synthetic event stream (reports and listeners, no browser) ---------------------------------


def synthetic_events(artifacts: str = "/runs/r1", secret: str = "hunter2-secret") -> list[Any]:
    """A run of two jobs: one passed (with a fallback locator), one failed on an assertion."""
    from executor.events import (
        Artifact,
        AssertionResult,
        JobFinished,
        JobStarted,
        LocatorMatch,
        RunFinished,
        RunStarted,
        StepFinished,
        StepStarted,
        Timings,
    )

    fallback = LocatorMatch(
        "licenses.page_link", "licenses.page_link", 1, 3, "role=link name=/^Licen[cs]e/i", True
    )
    first = LocatorMatch(
        "licenses.checkout", "licenses.checkout", 0, 2, "role=button name='Proceed to checkout'", False
    )
    ok_assert = AssertionResult("visible", "licenses.heading visible", "passed", target="licenses.heading")
    bad_assert = AssertionResult(
        "text",
        "licenses.summary_total text contains '27.00'",
        "failed",
        target="licenses.summary_total",
        error="found '25.00'",
        message="the total must be 27.00 <CAD>",
    )
    skipped_assert = AssertionResult(
        "visible", "dialog.checkout visible", "not_checked", target="dialog.checkout"
    )
    return [
        RunStarted(run_id="r1", base_url="http://portal.test", job_count=2, artifacts_dir=artifacts),
        JobStarted(
            "r1",
            "downgrade",
            "downgrade_license",
            "runbooks/downgrade_license.yaml",
            "http://portal.test",
            {"user_email": "user03@acme.example", "password": secret},
            2,
            f"{artifacts}/downgrade",
        ),
        StepStarted(
            "downgrade", "1", "Open the license page", "click", "runbooks/downgrade_license.yaml:31:5"
        ),
        StepFinished(
            job_id="downgrade",
            step_id="1",
            title="Open the license page",
            action="click",
            source="runbooks/downgrade_license.yaml:31:5",
            status="passed",
            runbook="downgrade_license",
            target="licenses.page_link",
            yaml="- click: licenses.page_link",
            matches=(fallback,),
            assertions=(ok_assert,),
            timings=Timings(40, 5, 20, 70),
            artifacts=(
                Artifact("screenshot", f"{artifacts}/downgrade/001-open-the-license-page.jpg", "shot"),
            ),
        ),
        StepFinished(
            job_id="downgrade",
            step_id="2",
            title="Type the password",
            action="fill",
            source="runbooks/downgrade_license.yaml:35:5",
            status="passed",
            runbook="downgrade_license",
            target="login.password",
            yaml=f"- fill: {{target: login.password, value: {secret}}}",
            step={"args": {"value": secret}},
            timings=Timings(10, 0, 15, 30),
        ),
        JobFinished(
            "r1",
            "downgrade",
            "downgrade_license",
            "passed",
            1500.0,
            {"passed": 2},
            outputs={"old_tier": "Pro"},
            artifacts_dir=f"{artifacts}/downgrade",
        ),
        JobStarted(
            "r1",
            "buy <script>",
            "buy_licenses",
            "runbooks/buy_licenses.yaml",
            "http://portal.test",
            {},
            3,
            f"{artifacts}/buy",
        ),
        StepFinished(
            job_id="buy <script>",
            step_id="1",
            title="Proceed to checkout <b>now</b>",
            action="click",
            source="runbooks/buy_licenses.yaml:12:5",
            status="failed",
            runbook="buy_licenses",
            target="licenses.checkout",
            yaml="- click: licenses.checkout\n  expect:\n  - text: {target: licenses.summary_total, contains: '27.00'}",
            error="step 1 'Proceed to checkout <b>now</b>' (runbooks/buy_licenses.yaml:12:5): the total must be "
            "27.00 <CAD> (expected licenses.summary_total text contains '27.00': found '25.00')",
            matches=(first,),
            assertions=(bad_assert, skipped_assert),
            timings=Timings(30, 5000, 25, 5100),
            artifacts=(
                Artifact("screenshot", f"{artifacts}/buy/001-proceed-failure.jpg", "page at failure"),
                Artifact("html", f"{artifacts}/buy/001-proceed-failure.html", "page HTML"),
                Artifact("aria", f"{artifacts}/buy/001-proceed-failure.aria.yaml", "aria snapshot"),
            ),
        ),
        JobFinished(
            "r1",
            "buy <script>",
            "buy_licenses",
            "failed",
            5200.0,
            {"failed": 1},
            error="step 1 'Proceed to checkout <b>now</b>' (runbooks/buy_licenses.yaml:12:5): the total must "
            "be 27.00 <CAD> (expected licenses.summary_total text contains '27.00': found '25.00')",
            failed_step="1",
            not_run=("Accept the terms", "Pay"),
            artifacts=(Artifact("trace", f"{artifacts}/buy/trace.zip", "Playwright trace"),),
            artifacts_dir=f"{artifacts}/buy",
        ),
        RunFinished("r1", "failed", 6800.0, {"passed": 1, "failed": 1}),
    ]
