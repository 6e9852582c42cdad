"""The downgrade runbook's speed: screenshots on vs off, and the engine vs a hand-written script.

    .venv/bin/python bench/downgrade.py              # 7 rounds, trace off
    .venv/bin/python bench/downgrade.py --rounds 11 --trace retain-on-failure

One fake portal (in-process, demo seed) and one logged-in browser context; each round resets the
portal and runs four variants interleaved, so machine noise hits all of them alike:
  engine, screenshot after every step       (the product's default evidence)
  engine, screenshots off
  hand-written script, same steps and the engine's screenshots (Capturer: the same capture)
  hand-written script, same steps, no screenshots
It prints wall time per step (median over rounds), steps per second, and the two ratios the
executor issues set: engine on/off <= 1.30, engine / hand-written with the same screenshots <= 1.05.
Also the time to validate every runbook. Timings are noisy here: read the ratios, not the ms.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import BrowserContext, Page, expect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from executor.browser import BrowserSettings, open_browser  # noqa: E402 - after the path tweak
from executor.engine.evidence import Capturer  # noqa: E402
from executor.engine import EngineOptions, JobResult  # noqa: E402
from executor.events import Bus  # noqa: E402
from executor.load.runbook_loader import validate_paths  # noqa: E402
from executor.run_api import run_plan  # noqa: E402
from executor.workspace import Workspace  # noqa: E402
from fake_portal.testing import PortalServer  # noqa: E402

USER, TIER, OLD = "user03@acme.example", "Eco", "Pro"


async def hand_written(page: Page, shots: Path | None) -> int:
    """The downgrade procedure in plain Playwright: the same steps, waits and checks as the runbook."""
    capturer = Capturer(page) if shots else None
    n = 0

    async def shot() -> None:
        nonlocal n
        n += 1
        if capturer is not None and shots is not None:
            await capturer.capture(shots / f"{n:03d}.jpg")

    async def open_users() -> None:
        await page.get_by_role("button", name="Options", exact=True).click()
        await expect(page.get_by_role("menuitem", name="User Management", exact=True)).to_be_visible()
        await page.get_by_role("menuitem", name="User Management", exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("User Management")
        await expect(page.get_by_role("table", name="Users")).to_be_visible()
        await shot()

    async def open_licenses() -> None:
        await page.get_by_role("navigation", name="Main menu").get_by_role(
            "link", name="Management of licenses and Purchases", exact=True
        ).click()
        await expect(page.get_by_role("table", name="Purchased licenses")).to_be_visible()
        await shot()

    users = page.get_by_role("table", name="Users")
    row = users.get_by_role("row", name=re.compile(rf"^{re.escape(USER)}(\s|$)"))
    purchased = page.get_by_role("table", name="Purchased licenses")

    def available(tier: str):  # type: ignore[no-untyped-def]
        return purchased.get_by_role("row", name=re.compile(rf"^{tier}\b")).get_by_role(
            "button", name=re.compile(rf"^Available {tier} licen[cs]es", re.I)
        )

    await page.goto("/")
    await expect(page.get_by_role("button", name="Options", exact=True)).to_be_visible()
    await open_users()
    old = (await row.get_by_test_id("user-license").inner_text()).strip()
    await shot()
    assert old == OLD
    await open_licenses()
    old_available = int(await available(OLD).inner_text())
    target_available = int(await available(TIER).inner_text())
    packages = page.get_by_role("table", name="Packages")
    await page.get_by_role("spinbutton", name=f"Quantity of {TIER} licenses", exact=True).fill("1")
    await packages.get_by_role("row", name=re.compile(rf"^{TIER}\b")).get_by_role("button", name="Add", exact=True).click()
    summary = page.get_by_role("region", name="Purchase summary")
    await expect(summary.get_by_role("listitem").filter(has_text=re.compile(rf"^\s*{TIER} ×"))).to_be_visible()
    await expect(page.get_by_role("button", name="Proceed to checkout", exact=True)).to_be_enabled()
    await shot()
    await page.get_by_role("button", name="Proceed to checkout", exact=True).click()
    dialog = page.get_by_role("dialog", name="Confirm your purchase")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text(f"{TIER} × 1")
    await shot()
    accept = dialog.get_by_role("checkbox", name="I accept that these licenses will be added to my account")
    await accept.check()
    await expect(accept).to_be_checked()
    await dialog.get_by_role("button", name="Pay", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Payment accepted")
    await expect(available(TIER)).to_have_text(str(target_available + 1))
    await shot()
    await open_users()
    await row.get_by_role("button", name="Manage License", exact=True).click()
    await expect(page.get_by_role("dialog", name=f"Manage license of {USER}")).to_be_visible()
    await shot()
    await page.get_by_role("button", name="Modify License", exact=True).click()
    await expect(page.get_by_role("combobox", name="New license", exact=True)).to_be_visible()
    await page.get_by_role("combobox", name="New license", exact=True).select_option(label=TIER)
    await shot()
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text(f"now holds a {TIER} license")
    await expect(row.get_by_test_id("user-license")).to_have_text(TIER)
    await shot()
    await open_licenses()
    await expect(available(OLD)).to_have_text(str(old_available + 1))
    await available(OLD).click()
    await expect(page.get_by_role("dialog", name=f"Manage {OLD} licenses")).to_be_visible()
    await shot()
    await page.get_by_role("button", name="Change the quantity of license", exact=True).click()
    await expect(page.get_by_role("spinbutton", name="Number of licenses to remove")).to_be_visible()
    await page.get_by_role("spinbutton", name="Number of licenses to remove").fill("1")
    await page.get_by_role("button", name="Remove license", exact=True).click()
    confirm = page.get_by_role("alertdialog", name="Confirm removal")
    await expect(confirm).to_be_visible()
    await expect(confirm).to_contain_text("cannot be recovered")
    await shot()
    await confirm.get_by_role("button", name="Confirm removal", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("removed")
    await expect(available(OLD)).to_have_text(str(old_available))
    await shot()
    await open_users()
    await expect(row.get_by_test_id("user-license")).to_have_text(TIER)
    await shot()
    return n


Variant = Callable[[BrowserContext, Path], Awaitable[int]]


def engine_variant(ws: Workspace, url: str, screenshots: bool, trace: str) -> Variant:
    plan = ws.plan("downgrade_license.yaml", {"user_email": USER, "target_tier": TIER})

    async def run(context: BrowserContext, out: Path) -> int:
        options = EngineOptions(screenshots="every_step" if screenshots else "off", trace=trace)  # type: ignore[arg-type]
        result: JobResult = await run_plan(
            plan, ws.catalogue, base_url=url, artifacts_dir=out, context=context, options=options, bus=Bus()
        )
        if result.status == "failed":
            raise RuntimeError(f"engine run failed: {result.error}")
        return len(result.steps)

    return run


def script_variant(screenshots: bool) -> Variant:
    async def run(context: BrowserContext, out: Path) -> int:
        out.mkdir(parents=True, exist_ok=True)
        page = context.pages[0]
        await hand_written(page, out if screenshots else None)
        return 0

    return run


async def bench(rounds: int, trace: str) -> None:
    ws = Workspace.open()
    started = time.perf_counter()
    problems = validate_paths([ROOT / "runbooks"], ws.catalogue, runbooks_root=ROOT / "runbooks")
    validate_s = time.perf_counter() - started
    runbook_count = len(list((ROOT / "runbooks").rglob("*.yaml")))
    with PortalServer(seed="demo") as portal, tempfile.TemporaryDirectory() as tmp:
        login = ws.login_plan("admin@acme.example")
        variants: dict[str, Variant] = {
            "engine, screenshot every step": engine_variant(ws, portal.url, True, trace),
            "engine, screenshots off": engine_variant(ws, portal.url, False, trace),
            "hand-written, same screenshots": script_variant(True),
            "hand-written, no screenshots": script_variant(False),
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        steps = 0
        async with open_browser(BrowserSettings()) as browser:
            context = await browser.new_context(base_url=portal.url, viewport={"width": 1280, "height": 800})
            await context.new_page()
            for r in range(rounds + 1):  # round 0 warms up caches and the JIT, not counted
                for name, variant in variants.items():
                    portal.reset("demo")  # also ends sessions: log in again, outside the timing
                    await run_plan(login, ws.catalogue, base_url=portal.url, artifacts_dir=Path(tmp) / "login",
                                   context=context, options=EngineOptions(screenshots="off", trace="off"), bus=Bus())
                    t0 = time.perf_counter()
                    n = await variant(context, Path(tmp) / f"{r}-{len(times[name])}")
                    elapsed = time.perf_counter() - t0
                    if n and name.startswith("engine"):
                        steps = n
                    if r:
                        times[name].append(elapsed)
                    assert portal.user(USER)["license"] == TIER, f"{name}: the downgrade did not happen"
    med = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"downgrade_license: {steps} steps (incl. sub-runbook steps), {rounds} rounds, trace {trace}")
    print(f"{'variant':34} {'run s':>7} {'ms/step':>8} {'steps/s':>8}")
    for name, m in med.items():
        print(f"{name:34} {m:7.2f} {m / steps * 1000:8.1f} {steps / m:8.1f}")
    on_off = med["engine, screenshot every step"] / med["engine, screenshots off"]
    engine_script = med["engine, screenshot every step"] / med["hand-written, same screenshots"]
    print(f"ratio engine screenshots on/off: {on_off:.2f} (target <= 1.30)")
    print(f"ratio engine / hand-written, same screenshots: {engine_script:.2f} (target <= 1.05)")
    print(f"validate: {runbook_count} runbook files + catalogue in {validate_s * 1000:.0f} ms ({len(problems)} problems)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--trace", choices=["off", "on", "retain-on-failure"], default="off")
    args = parser.parse_args()
    asyncio.run(bench(args.rounds, args.trace))


if __name__ == "__main__":
    main()
