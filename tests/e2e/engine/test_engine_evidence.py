"""Evidence: failure artifacts, the trace, and secrets kept out of every one of them."""

from __future__ import annotations

import base64
import zipfile
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from engine_builders import a, click, fill, goto, plan
from engine_site import site_catalogue
from playwright.async_api import Page

from executor.engine.evidence import CaptureSettings
from executor.events import JobFinished, RunFinished, RunStarted, StepFinished
from executor.listeners import HtmlReportListener, JUnitListener, LogFileListener

pytestmark = pytest.mark.e2e

CAT = site_catalogue()
PASSWORD = "Sup3r-S3cret!&x"  # URL-encodes differently from its raw form
TOKEN = "tok_5ecret_value_42"


def _files_text(root: Path) -> dict[str, bytes]:
    """Every file under root, trace zips opened: name -> bytes."""
    out: dict[str, bytes] = {}
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        out[str(path)] = path.read_bytes()
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as z:
                for name in z.namelist():
                    out[f"{path}!{name}"] = z.read(name)
    return out


def test_failure_saves_screenshot_html_aria_and_trace(engine_run, tmp_path: Path) -> None:
    p = plan(
        goto("/", 1),
        click("form.save", 4, name="Save", expect=(a("text", "page.status", equals="nothing like this"),)),
    )
    result, rec = engine_run(p, CAT, trace="retain-on-failure", assertion_timeout_ms=300)
    assert result.status == "failed"
    failed = rec.of(StepFinished)[-1]
    kinds = {art.kind: Path(art.path) for art in failed.artifacts}
    assert set(kinds) == {"screenshot", "html", "aria"}
    assert all(path.exists() for path in kinds.values())
    assert "<h1>My account</h1>" in kinds["html"].read_text()
    assert '- heading "My account" [level=1]' in kinds["aria"].read_text()
    assert result.trace is not None and result.trace.name == "trace.zip"
    with zipfile.ZipFile(result.trace) as z:
        trace = z.read("trace.trace").decode()
    # one group per step, titled with the step and its runbook location
    assert "Save (runbooks/test_runbook.yaml:4)" in trace
    assert rec.of(JobFinished)[0].artifacts[0].kind == "trace"


def test_trace_is_dropped_on_success_in_retain_on_failure_mode(engine_run) -> None:
    result, _ = engine_run(plan(goto("/", 1)), CAT, trace="retain-on-failure")
    assert result.status == "passed" and result.trace is None
    assert not (result.artifacts_dir / "trace.zip").exists()


def test_trace_on_keeps_it_always(engine_run) -> None:
    result, _ = engine_run(plan(goto("/", 1)), CAT, trace="on")
    assert result.trace is not None and result.trace.exists()


def test_secrets_never_leave_the_engine_and_are_masked_in_screenshots(
    engine_run, on_page, tmp_path: Path
) -> None:
    p = plan(
        goto("/", 1),
        fill("form.password", PASSWORD, 2),
        fill("form.token", TOKEN, 3),
        fill("form.email", "ann@x.test", 4),
        goto("/licenses", 5),  # the masked fields are not on this page: masking still works
        goto("/", 6),
        fill("form.token", TOKEN, 7),
        # a failure: the HTML, the aria snapshot (which shows textbox values) and the trace are kept
        click("form.save", 8, expect=(a("value", "form.token", equals="something else"),)),
        secret_params={"password": PASSWORD, "token": TOKEN},
    )
    reports = tmp_path / "artifacts"
    log = LogFileListener(reports / "run.log.jsonl")
    junit = JUnitListener(reports / "junit.xml")
    html = HtmlReportListener(reports / "report.html")
    listeners = (log, junit, html)
    for listener in listeners:
        listener.on_event(
            RunStarted(run_id="r1", base_url="http://x", job_count=1, artifacts_dir=str(reports))
        )
    result, rec = engine_run(
        p,
        CAT,
        trace="on",
        assertion_timeout_ms=300,
        listeners=listeners,
        capture=CaptureSettings(format="png"),
    )
    for listener in listeners:
        listener.on_event(RunFinished(run_id="r1", status="failed", duration_ms=1, jobs={"failed": 1}))
    log.close()
    assert result.status == "failed"
    assert "value equals 'something else': found '***'" in (result.error or "")

    files = _files_text(reports)
    assert any(name.endswith("trace.zip!trace.trace") for name in files)
    assert {Path(n).name for n in files} >= {"run.log.jsonl", "junit.xml", "report.html", "trace.zip"}
    forms = {PASSWORD, TOKEN, quote(PASSWORD, safe=""), quote_plus(PASSWORD), quote_plus(TOKEN)}
    leaks = [(name, form) for name, data in files.items() for form in forms if form.encode() in data]
    assert leaks == []
    # ... and the job did type them: the masks are in the trace where the values were
    with zipfile.ZipFile(result.trace) as z:
        assert b'"value":"***"' in z.read("trace.trace")
    # the events carry the redacted value too
    assert all(PASSWORD not in repr(e) and TOKEN not in repr(e) for e in rec.events)

    # The token field (a plain textbox) is covered by the mask colour in the screenshots after it.
    shot = Path(rec.of(StepFinished)[6].screenshot or "")
    assert _mask_ratio(on_page, shot, "#token") > 0.9
    # ... while the email field is not masked
    assert _mask_ratio(on_page, shot, "#email") < 0.1


def _mask_ratio(on_page, image: Path, selector: str) -> float:
    """Share of magenta (#FF00FF, Playwright's mask) pixels inside the element's box in `image`."""
    data = base64.b64encode(image.read_bytes()).decode()

    async def measure(page: Page) -> float:
        box = await page.locator(selector).bounding_box()
        assert box is not None
        return await page.evaluate(
            """async ([src, box]) => {
                const img = new Image(); img.src = src; await img.decode();
                const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
                const g = c.getContext('2d'); g.drawImage(img, 0, 0);
                const d = g.getImageData(Math.round(box.x) + 2, Math.round(box.y) + 2,
                                         Math.round(box.width) - 4, Math.round(box.height) - 4).data;
                let magenta = 0;
                for (let i = 0; i < d.length; i += 4)
                    if (d[i] > 200 && d[i + 1] < 60 && d[i + 2] > 200) magenta++;
                return magenta / (d.length / 4);
            }""",
            [f"data:image/png;base64,{data}", box],
        )

    return float(on_page(measure))
