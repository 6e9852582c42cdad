"""How much does the evidence cost? Screenshot methods, and the engine against a hand-written script.

    .venv/bin/python bench/screenshots.py                 # the static license page (bench/static/)
    .venv/bin/python bench/screenshots.py --portal        # the fake portal, in-process, logged in
    .venv/bin/python bench/screenshots.py --url http://127.0.0.1:8000/login   # any page (capture table only)
    .venv/bin/python bench/screenshots.py --rounds 15 --iterations 60

Part 1 times each capture method right after a click that changed the page (so every capture
needs a fresh frame, as in a run), median and p90 per capture, and the file size.
Part 2 runs the same steps (static page: open the checkout dialog, check it is visible; close it,
check it is hidden. Portal: the license page by the main menu, then the user page through the
Options menu, each checked by its heading: real requests and page loads) five ways, interleaved in rounds so machine noise hits every variant alike:
a hand-written Playwright script without / with a screenshot after each step, and the engine
(catalogue resolution, events, assertions) without / with its screenshot after each step.
Targets: engine with screenshots <= 1.3 x engine without; engine <= 1.1 x the hand-written script
with the same screenshots.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Locator, Page, expect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from executor.browser import BrowserSettings, open_browser
from executor.engine.evidence import Capturer, CaptureSettings
from executor.engine import EngineOptions
from executor.events import Bus
from executor.model.catalogue import Candidate, Catalogue, CatalogueEntry, CataloguePage, TextMatch
from executor.model.plan import Plan, PlannedStep
from executor.model.runbook import Assertion, Runbook, Step, TargetArgs, TargetRef
from executor.run_api import run_plan

STATIC_BASE = "http://bench.local"
PAGE_HTML = (ROOT / "bench" / "static" / "licenses.html").read_text()


def median_p90(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


# --- scenarios: the same steps as a catalogue + plan and as a hand-written script ------------------


def role(role_name: str, name: str, *, exact: bool = False, regex: bool = False) -> Candidate:
    return Candidate(kind="role", role=role_name, name=TextMatch(value=name, exact=exact, regex=regex))


@dataclass
class Step_:
    """One step of a scenario: click `click`, then check `check` is visible (or hidden)."""

    click: str
    check: str
    hidden: bool = False


@dataclass
class Scenario:
    name: str
    base_url: str
    entries: dict[str, Candidate]
    steps: list[Step_]
    toggle: tuple[str, str]  # two clicks that change the page back and forth (part 1)

    def catalogue(self) -> Catalogue:
        pages = {n.split(".")[0] for n in self.entries}
        return Catalogue(
            pages={p: CataloguePage(name=p) for p in pages},
            entries={
                n: CatalogueEntry(name=n, page=n.split(".")[0], candidates=(c,))
                for n, c in self.entries.items()
            },
        )

    def plan(self, repeat: int) -> Plan:
        steps = [
            Step(
                action="click",
                args=TargetArgs(target=TargetRef(entry=s.click)),
                expect=(
                    Assertion(kind="hidden" if s.hidden else "visible", target=TargetRef(entry=s.check)),
                ),
            )
            for _ in range(repeat)
            for s in self.steps
        ]
        runbook = Runbook(name="bench", steps=tuple(steps))
        planned = tuple(PlannedStep(id=str(i + 1), step=s, runbook="bench") for i, s in enumerate(steps))
        return Plan(runbook=runbook, steps=planned)

    def locator(self, page: Page, entry: str) -> Locator:
        """What a person writes by hand for the entry (the same role + name)."""
        c = self.entries[entry]
        assert c.role is not None and c.name is not None
        name: Any = re.compile(c.name.value) if c.name.regex else c.name.value
        return page.get_by_role(c.role, name=name, exact=True if c.name.exact else None)  # type: ignore[arg-type]

    async def script(self, page: Page, repeat: int, out: Path | None, png: bool = False) -> None:
        """The hand-written Playwright version, with the engine's capture after each step when `out`
        (or Playwright's default PNG screenshot with `png`)."""
        capturer = Capturer(page, CaptureSettings()) if out else None
        n = 0
        for _ in range(repeat):
            for s in self.steps:
                await self.locator(page, s.click).click()
                check = expect(self.locator(page, s.check))
                await (check.to_be_hidden() if s.hidden else check.to_be_visible())
                n += 1
                if out and png:
                    await page.screenshot(path=out / f"{n}.png")
                elif capturer and out:
                    await capturer.capture(out / f"{n}.jpg")


STATIC = Scenario(
    name="static license page",
    base_url=STATIC_BASE,
    entries={
        "licenses.checkout": role("button", "Proceed to checkout"),
        "licenses.cancel": role("button", "Cancel", exact=True),
        "licenses.dialog": role("dialog", "Confirm your purchase"),
    },
    steps=[
        Step_("licenses.checkout", "licenses.dialog"),
        Step_("licenses.cancel", "licenses.dialog", hidden=True),
    ],
    toggle=("licenses.checkout", "licenses.cancel"),
)

PORTAL = Scenario(
    name="fake portal (2026 labels)",
    base_url="",
    entries={
        "menu.licenses": role("link", "Management of licenses and Purchases", exact=True),
        "licenses.heading": role("heading", "Management of licenses and Purchases", exact=True),
        "menu.options": role("button", "^Options", regex=True),
        "menu.users": role("menuitem", "User Management", exact=True),
        "menu.menu": role("menu", "Options", exact=True),
        "users.heading": role("heading", "User Management", exact=True),
    },
    steps=[
        Step_("menu.licenses", "licenses.heading"),
        Step_("menu.options", "menu.menu"),
        Step_("menu.users", "users.heading"),
    ],
    toggle=("menu.options", "menu.options"),
)


async def open_static(page: Page) -> None:
    async def fulfil(route: Any) -> None:
        await route.fulfill(body=PAGE_HTML, content_type="text/html; charset=utf-8")

    await page.route(f"{STATIC_BASE}/**", fulfil)
    await page.goto(f"{STATIC_BASE}/licenses")


async def log_in(page: Page, url: str, email: str = "admin@acme.example") -> None:
    """The fake portal's login by hand (email + captcha, then the emailed link)."""
    await page.goto(f"{url}/login")
    await page.get_by_label("Email address").fill(email)
    digits = re.sub(r"\D", "", await page.get_by_test_id("captcha-digits").inner_text())
    await page.get_by_label("Anti-robot code").fill(digits)
    await page.get_by_role("button", name="Log in").click()
    await page.goto(f"{url}/outbox?to={email}&latest=1")
    await page.get_by_role("link", name="Use Secure Exchanges online").first.click()
    await expect(page.get_by_role("heading", name="My account")).to_be_visible()


# --- part 1: capture methods ---------------------------------------------------------------------


def capture_methods(page: Page, out: Path, mask: Locator) -> dict[str, Callable[[int], Awaitable[int]]]:
    """name -> capture(i) returning the bytes written."""
    sessions: list[Any] = []

    async def cdp(params: dict[str, object]) -> bytes:
        if not sessions:
            sessions.append(await page.context.new_cdp_session(page))
        result = await sessions[0].send("Page.captureScreenshot", params)
        return base64.b64decode(result["data"])

    def pw(name: str, **options: Any) -> Callable[[int], Awaitable[int]]:
        async def run(i: int) -> int:
            data = await page.screenshot(**options)
            (out / f"{name}-{i}").write_bytes(data)
            return len(data)

        return run

    def raw_cdp(name: str, params: dict[str, object]) -> Callable[[int], Awaitable[int]]:
        async def run(i: int) -> int:
            data = await cdp(params)
            (out / f"{name}-{i}").write_bytes(data)
            return len(data)

        return run

    engine = Capturer(page, CaptureSettings())

    async def engine_default(i: int) -> int:
        return (await engine.capture(out / f"engine-{i}.jpg")).stat().st_size

    async def engine_masked(i: int) -> int:
        return (await engine.capture(out / f"masked-{i}.jpg", mask=[mask])).stat().st_size

    return {
        "playwright png (default)": pw("pw-png"),
        "playwright png caret=initial": pw("pw-png-caret", caret="initial"),
        "playwright jpeg q75 caret=initial scale=css": pw(
            "pw-jpeg", type="jpeg", quality=75, caret="initial", scale="css"
        ),
        "playwright jpeg q75 animations=disabled": pw(
            "pw-jpeg-anim", type="jpeg", quality=75, animations="disabled"
        ),
        "cdp png": raw_cdp("cdp-png", {"format": "png"}),
        "cdp png optimizeForSpeed": raw_cdp("cdp-png-fast", {"format": "png", "optimizeForSpeed": True}),
        "cdp jpeg q75 optimizeForSpeed": raw_cdp(
            "cdp-jpeg", {"format": "jpeg", "quality": 75, "optimizeForSpeed": True}
        ),
        "cdp webp q75 optimizeForSpeed": raw_cdp(
            "cdp-webp", {"format": "webp", "quality": 75, "optimizeForSpeed": True}
        ),
        "engine Capturer (cdp jpeg75, write in thread)": engine_default,
        "engine Capturer with a mask (playwright jpeg75)": engine_masked,
    }


async def bench_captures(
    page: Page, scenario: Scenario | None, iterations: int, rounds: int
) -> list[tuple[str, float, float, int]]:
    out = Path(tempfile.mkdtemp(prefix="bench-shots-"))
    methods = capture_methods(page, out, page.locator("input, button").first)
    samples: dict[str, list[float]] = {name: [] for name in methods}
    sizes: dict[str, int] = {}
    toggles = [scenario.locator(page, e) for e in scenario.toggle] if scenario else []
    for capture in methods.values():  # warm-up (CDP session, encoders)
        await capture(0)
    per_round = max(2, iterations // rounds) // 2 * 2  # even: the page ends as it started
    for _ in range(rounds):
        for name, capture in methods.items():
            for i in range(per_round):
                if toggles:  # a page that just changed, as after a step: every capture needs a new frame
                    await toggles[i % 2].click()
                started = time.perf_counter()
                sizes[name] = await capture(i)
                samples[name].append((time.perf_counter() - started) * 1000)
    return [(name, *median_p90(samples[name]), sizes[name]) for name in methods]


# --- part 2: engine vs hand-written script -------------------------------------------------------


async def bench_engine(page: Page, scenario: Scenario, repeat: int, rounds: int) -> dict[str, list[float]]:
    plan = scenario.plan(repeat)
    catalogue = scenario.catalogue()
    out = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    (out / "script").mkdir()
    steps = len(plan.steps)

    async def engine(screens: str, trace: str = "off") -> None:
        options = EngineOptions(screenshots=screens, trace=trace)  # type: ignore[arg-type]
        result = await run_plan(
            plan,
            catalogue,
            base_url=scenario.base_url,
            artifacts_dir=out / "engine",
            page=page,
            options=options,
            bus=Bus(),
        )
        assert result.status == "passed", result.error

    variants: dict[str, Callable[[], Awaitable[None]]] = {
        "script, no screenshots": lambda: scenario.script(page, repeat, None),
        "script + screenshot per step": lambda: scenario.script(page, repeat, out / "script"),
        "script + playwright default png per step": lambda: scenario.script(
            page, repeat, out / "script", png=True
        ),
        "engine, screenshots off": lambda: engine("off"),
        "engine, screenshot per step": lambda: engine("every_step"),
        "engine, screenshot per step + trace recorded": lambda: engine("every_step", "on"),
    }
    for run in variants.values():  # warm-up
        await run()
    per_step: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, run in variants.items():
            started = time.perf_counter()
            await run()
            per_step[name].append((time.perf_counter() - started) * 1000 / steps)
    return per_step


def report_engine(per_step: dict[str, list[float]]) -> None:
    print(f"{'variant':50} {'median':>8} {'min':>8}")
    for name, values in per_step.items():
        print(f"{name:50} {statistics.median(values):8.1f} {min(values):8.1f}")

    # Ratios are taken within each round (the variants ran back to back), then the median:
    # robust to a machine whose load drifts during the run.
    def ratio(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(per_step[a], per_step[b]))

    print()
    shots, off = "engine, screenshot per step", "engine, screenshots off"
    for label, value, target in (
        ("engine screenshots on / off", ratio(shots, off), "<= 1.30"),
        ("engine / script, both with screenshots", ratio(shots, "script + screenshot per step"), "<= 1.10"),
        ("engine / script, no screenshots", ratio(off, "script, no screenshots"), ""),
        ("script screenshots on / off", ratio("script + screenshot per step", "script, no screenshots"), ""),
        (
            "script default png screenshots on / off",
            ratio("script + playwright default png per step", "script, no screenshots"),
            "",
        ),
        ("engine with trace / without", ratio("engine, screenshot per step + trace recorded", shots), ""),
    ):
        print(f"{label:50} {value:8.2f}  {('target ' + target) if target else ''}")


# --- main ----------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, scenario: Scenario | None) -> None:
    settings = BrowserSettings()
    async with open_browser(settings) as browser:
        context = await browser.new_context(**settings.context_kwargs())
        page = await context.new_page()
        if args.url:
            await page.goto(args.url)
        elif scenario is STATIC:
            await open_static(page)
        else:
            assert scenario is not None
            await log_in(page, scenario.base_url)
            await page.goto(f"{scenario.base_url}/licenses")
        width, height = settings.viewport
        print(f"capture methods, {width}x{height} viewport, {page.url}, {args.iterations} captures each")
        print(f"{'method':50} {'median ms':>10} {'p90 ms':>8} {'bytes':>9}")
        for name, med, p90, size in await bench_captures(page, scenario, args.iterations, args.rounds):
            print(f"{name:50} {med:10.1f} {p90:8.1f} {size:9d}")
        if scenario is not None:
            print()
            steps = len(scenario.steps) * args.repeat
            print(
                f"engine vs hand-written script on the {scenario.name}: {steps} steps a run, {args.rounds} rounds, ms/step"
            )
            report_engine(await bench_engine(page, scenario, args.repeat, args.rounds))
        await context.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iterations", type=int, default=40, help="captures per method (part 1)")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds")
    parser.add_argument(
        "--repeat", type=int, default=10, help="times the scenario's steps repeat in a run (part 2)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--portal", action="store_true", help="run on the fake portal (started in-process)")
    where.add_argument("--url", help="measure captures on this page instead (part 1 only)")
    args = parser.parse_args()
    if args.portal:
        from fake_portal.testing import PortalServer

        with PortalServer(seed="demo") as portal:
            PORTAL.base_url = portal.url
            asyncio.run(run(args, PORTAL))
    else:
        asyncio.run(run(args, None if args.url else STATIC))


if __name__ == "__main__":
    main()
