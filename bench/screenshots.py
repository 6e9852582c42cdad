"""How much does the evidence cost? Screenshot methods, and the engine against a hand-written script.

    .venv/bin/python bench/screenshots.py                 # the static license page (bench/static/)
    .venv/bin/python bench/screenshots.py --url http://127.0.0.1:8000/login   # any page (capture table only)
    .venv/bin/python bench/screenshots.py --iterations 60 --rounds 7

Part 1 times each capture method right after a click that changed the page (so every capture
needs a fresh frame, as in a run), median and p90 per capture, and the file size.
Part 2 runs the same steps (open the checkout dialog, check it is visible; close it, check it is
hidden) four ways, interleaved in rounds so machine noise hits every variant alike:
a hand-written Playwright script without / with a screenshot after each step, and the engine
(catalogue resolution, events, assertions) without / with its screenshot after each step.
Targets: engine with screenshots <= 1.3 x engine without; engine <= 1.1 x the hand-written script
with the same screenshots.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import Page, expect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from executor.browser import BrowserSettings, open_browser  # noqa: E402
from executor.capture import Capturer, CaptureSettings  # noqa: E402
from executor.engine import EngineOptions  # noqa: E402
from executor.events import Bus  # noqa: E402
from executor.model.catalogue import Candidate, Catalogue, CatalogueEntry, CataloguePage, TextMatch  # noqa: E402
from executor.model.plan import Plan, PlannedStep  # noqa: E402
from executor.model.runbook import Assertion, Runbook, Step, TargetArgs, TargetRef  # noqa: E402
from executor.run_api import run_plan  # noqa: E402

BASE = "http://bench.local"
PAGE_HTML = (ROOT / "bench" / "static" / "licenses.html").read_text()


def median_p90(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


async def serve_static(page: Page) -> None:
    async def fulfil(route):  # type: ignore[no-untyped-def]
        await route.fulfill(body=PAGE_HTML, content_type="text/html; charset=utf-8")

    await page.route(f"{BASE}/**", fulfil)
    await page.goto(f"{BASE}/licenses")


# --- part 1: capture methods ---------------------------------------------------------------------


def capture_methods(page: Page, out: Path) -> dict[str, Callable[[int], Awaitable[int]]]:
    """name -> capture(i) returning the bytes written."""
    cdp_holder: dict[str, object] = {}

    async def cdp(params: dict[str, object]) -> bytes:
        if "s" not in cdp_holder:
            cdp_holder["s"] = await page.context.new_cdp_session(page)
        result = await cdp_holder["s"].send("Page.captureScreenshot", params)  # type: ignore[attr-defined]
        return base64.b64decode(result["data"])

    def pw(name: str, **options: object) -> Callable[[int], Awaitable[int]]:
        async def run(i: int) -> int:
            data = await page.screenshot(**options)  # type: ignore[arg-type]
            (out / f"{name}-{i}").write_bytes(data)
            return len(data)

        return run

    def raw_cdp(name: str, params: dict[str, object], threaded: bool = False) -> Callable[[int], Awaitable[int]]:
        async def run(i: int) -> int:
            data = await cdp(params)
            path = out / f"{name}-{i}"
            if threaded:
                await asyncio.to_thread(path.write_bytes, data)
            else:
                path.write_bytes(data)
            return len(data)

        return run

    engine = Capturer(page, CaptureSettings())
    masked = Capturer(page, CaptureSettings())
    mask = [page.get_by_label("Quantity of Eco licenses")]

    async def engine_default(i: int) -> int:
        return (await engine.capture(out / f"engine-{i}.jpg")).stat().st_size

    async def engine_masked(i: int) -> int:
        return (await masked.capture(out / f"masked-{i}.jpg", mask=mask)).stat().st_size

    return {
        "playwright png (default)": pw("pw-png"),
        "playwright png caret=initial": pw("pw-png-caret", caret="initial"),
        "playwright jpeg q75 caret=initial scale=css": pw("pw-jpeg", type="jpeg", quality=75, caret="initial", scale="css"),
        "playwright jpeg q75 animations=disabled": pw("pw-jpeg-anim", type="jpeg", quality=75, animations="disabled"),
        "cdp png": raw_cdp("cdp-png", {"format": "png"}),
        "cdp png optimizeForSpeed": raw_cdp("cdp-png-fast", {"format": "png", "optimizeForSpeed": True}),
        "cdp jpeg q75 optimizeForSpeed": raw_cdp("cdp-jpeg", {"format": "jpeg", "quality": 75, "optimizeForSpeed": True}),
        "cdp webp q75 optimizeForSpeed": raw_cdp("cdp-webp", {"format": "webp", "quality": 75, "optimizeForSpeed": True}),
        "engine Capturer (cdp jpeg75, write in thread)": engine_default,
        "engine Capturer with a mask (playwright jpeg75)": engine_masked,
    }


async def bench_captures(page: Page, iterations: int, rounds: int, change: bool) -> list[tuple[str, float, float, int]]:
    out = Path(tempfile.mkdtemp(prefix="bench-shots-"))
    methods = capture_methods(page, out)
    samples: dict[str, list[float]] = {name: [] for name in methods}
    sizes: dict[str, int] = {}
    checkout = page.get_by_role("button", name="Proceed to checkout")
    cancel = page.get_by_role("button", name="Cancel")
    for name, capture in methods.items():  # warm-up (CDP session, encoders)
        await capture(0)
    per_round = max(1, iterations // rounds)
    for _ in range(rounds):
        for name, capture in methods.items():
            for i in range(per_round):
                if change:  # a page that just changed, as after a step
                    await (checkout if i % 2 == 0 else cancel).click()
                started = time.perf_counter()
                sizes[name] = await capture(i)
                samples[name].append((time.perf_counter() - started) * 1000)
            if change and per_round % 2:
                await cancel.click()
    return [(name, *median_p90(samples[name]), sizes[name]) for name in methods]


# --- part 2: engine vs hand-written script -------------------------------------------------------


def _entry(name: str, candidate: Candidate) -> CatalogueEntry:
    return CatalogueEntry(name=name, page="licenses", candidates=(candidate,))


CATALOGUE = Catalogue(
    pages={"licenses": CataloguePage(name="licenses")},
    entries={
        e.name: e
        for e in (
            _entry("licenses.checkout", Candidate(kind="role", role="button", name=TextMatch(value="Proceed to checkout"))),
            _entry("licenses.cancel", Candidate(kind="role", role="button", name=TextMatch(value="Cancel", exact=True))),
            _entry("licenses.dialog", Candidate(kind="role", role="dialog", name=TextMatch(value="Confirm your purchase"))),
        )
    },
)


def bench_plan(pairs: int) -> Plan:
    steps: list[Step] = []
    for _ in range(pairs):
        steps.append(
            Step(
                action="click",
                args=TargetArgs(target=TargetRef(entry="licenses.checkout")),
                expect=(Assertion(kind="visible", target=TargetRef(entry="licenses.dialog")),),
            )
        )
        steps.append(
            Step(
                action="click",
                args=TargetArgs(target=TargetRef(entry="licenses.cancel")),
                expect=(Assertion(kind="hidden", target=TargetRef(entry="licenses.dialog")),),
            )
        )
    runbook = Runbook(name="bench", steps=tuple(steps))
    return Plan(runbook=runbook, steps=tuple(PlannedStep(id=str(i + 1), step=s, runbook="bench") for i, s in enumerate(steps)))


async def hand_script(page: Page, pairs: int, out: Path | None) -> None:
    """What a person would write with Playwright for the same steps (same capture when `out`)."""
    capturer = Capturer(page, CaptureSettings()) if out else None
    dialog = page.get_by_role("dialog", name="Confirm your purchase")
    for i in range(pairs):
        await page.get_by_role("button", name="Proceed to checkout").click()
        await expect(dialog).to_be_visible()
        if capturer and out:
            await capturer.capture(out / f"{i}-a.jpg")
        await page.get_by_role("button", name="Cancel", exact=True).click()
        await expect(dialog).to_be_hidden()
        if capturer and out:
            await capturer.capture(out / f"{i}-b.jpg")


async def bench_engine(page: Page, pairs: int, rounds: int) -> dict[str, list[float]]:
    plan = bench_plan(pairs)
    out = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    steps = pairs * 2

    async def engine(screens: str, trace: str = "off") -> None:
        options = EngineOptions(screenshots=screens, trace=trace, session_expired=None)  # type: ignore[arg-type]
        result = await run_plan(plan, CATALOGUE, base_url=BASE, artifacts_dir=out / "engine", page=page, options=options, bus=Bus())
        assert result.status == "passed", result.error

    variants: dict[str, Callable[[], Awaitable[None]]] = {
        "script, no screenshots": lambda: hand_script(page, pairs, None),
        "script + screenshot per step": lambda: hand_script(page, pairs, out / "script"),
        "engine, screenshots off": lambda: engine("off"),
        "engine, screenshot per step": lambda: engine("every_step"),
        "engine, screenshot per step + trace recorded": lambda: engine("every_step", "on"),
    }
    (out / "script").mkdir(parents=True)
    for run in variants.values():  # warm-up
        await run()
    per_step: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, run in variants.items():
            started = time.perf_counter()
            await run()
            per_step[name].append((time.perf_counter() - started) * 1000 / steps)
    return per_step


# --- main ----------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    settings = BrowserSettings()
    async with open_browser(settings) as browser:
        context = await browser.new_context(**settings.context_kwargs())
        page = await context.new_page()
        if args.url:
            await page.goto(args.url)
        else:
            await serve_static(page)
        print(f"capture methods, {settings.viewport[0]}x{settings.viewport[1]} viewport, page {page.url}")
        rows = await bench_captures(page, args.iterations, args.rounds, change=not args.url)
        print(f"{'method':50} {'median ms':>10} {'p90 ms':>8} {'bytes':>9}")
        for name, med, p90, size in rows:
            print(f"{name:50} {med:10.1f} {p90:8.1f} {size:9d}")
        if args.url:
            return
        print()
        print(f"engine vs hand-written script: {args.pairs * 2} steps per run, {args.rounds} rounds, per-step ms")
        per_step = await bench_engine(page, args.pairs, args.rounds)
        medians = {name: statistics.median(v) for name, v in per_step.items()}
        print(f"{'variant':50} {'median':>8} {'min':>8}")
        for name, values in per_step.items():
            print(f"{name:50} {medians[name]:8.1f} {min(values):8.1f}")
        shots = medians["engine, screenshot per step"]
        print()
        print(f"engine screenshots on / off        = {shots / medians['engine, screenshots off']:.2f}  (target <= 1.30)")
        print(f"engine / script, both with shots  = {shots / medians['script + screenshot per step']:.2f}  (target <= 1.10)")
        print(f"engine / script, no shots         = {medians['engine, screenshots off'] / medians['script, no screenshots']:.2f}")
        print(f"script screenshots on / off       = {medians['script + screenshot per step'] / medians['script, no screenshots']:.2f}")
        await context.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=40, help="captures per method (part 1)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--pairs", type=int, default=10, help="open/close pairs per run (part 2)")
    parser.add_argument("--url", help="measure captures on this page instead (part 1 only)")
    asyncio.run(main(parser.parse_args()))
