"""Bulk downgrade speed: the executor per user, a hand-written Playwright script per user, and the
executor's aggregated path, with 1, 2 and 4 workers.

    .venv/bin/python bench/bulk.py                      # 100 users, workers 1 2 4
    .venv/bin/python bench/bulk.py --users 40 --workers 1 4
    .venv/bin/python bench/bulk.py --scale 100 1000 --workers 2          # memory and speed as runs grow
    .venv/bin/python bench/bulk.py --scale 30 300 --account 300 --workers 2  # ... on one account size
    .venv/bin/python bench/bulk.py --scale 100 --workers 1 2 3 4 --trace-modes retain-on-failure  # contexts per core
    .venv/bin/python bench/bulk.py --remote --users 20 --workers 2       # browser server vs local launch

Per-user variants downgrade each user with the downgrade_license procedure (buy one, reassign,
remove one), a screenshot after each step the runbook takes one for:
  executor per user     the runbook through the engine (run_plan), one browser context per worker
  hand-written per user the same steps and checks in plain Playwright, the same screenshots
The procedure's own checks compare pool-wide counts ("one more free Eco than before"), which two
users downgraded at once would change under each other: with N workers, each worker therefore has
a fake portal of its own (N portals, 100/N users each). That favours the per-user variants (no
shared pool, no contention on one portal), never the aggregated one.
  executor aggregated   `runbook run downgrade_license --input users.csv --workers N --yes` on one
                        portal: one checkout, N workers reassigning, one removal (docs/bulk.md)
Timings exclude browser start and logins (per-user: from the first user to the last; aggregated:
from the first job after the login to the last job, read from the run's log). Peak memory is the
largest PSS (shared pages split, not counted per process) of the variant's process tree (Python,
Playwright's node driver, Chromium), portals excluded. Every variant's end state is checked on the portal. The machine's load is printed: the
ratios mean more than the absolute numbers on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import BrowserContext, Page, expect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from executor.browser import BrowserSettings, open_browser  # noqa: E402 - after the path tweak
from executor.engine.evidence import Capturer  # noqa: E402
from executor.engine import EngineOptions  # noqa: E402
from executor.events import Bus  # noqa: E402
from executor.run_api import run_plan  # noqa: E402
from executor.workspace import Workspace  # noqa: E402
from fake_portal.testing import PortalProcess  # noqa: E402

ADMIN = "admin@acme.example"
TOKEN = "bench-token"


# --- the hand-written per-user procedure ---------------------------------------------------------


async def hand_written(page: Page, email: str, target: str, shots: Path) -> int:
    """downgrade_license in plain Playwright: the same navigation, checks and screenshots."""
    capturer = Capturer(page)
    taken = 0

    async def shot(name: str) -> None:
        nonlocal taken
        taken += 1
        await capturer.capture(shots / f"{taken:03d}-{name}.jpg")

    users = page.get_by_role("table", name="Users", exact=True)
    row = users.get_by_role("row", name=re.compile(rf"^{re.escape(email)}(\s|$)"))
    license_cell = row.get_by_test_id("user-license")
    purchased = page.get_by_role("table", name="Purchased licenses", exact=True)

    def available(tier: str):  # type: ignore[no-untyped-def]
        return purchased.get_by_role("row", name=re.compile(rf"^{tier}\b")).get_by_role(
            "button", name=re.compile(rf"^Available {tier} licen[cs]es", re.I)
        )

    async def open_users() -> None:
        options = page.get_by_role("button", name="Options", exact=True)
        await options.click()
        item = page.get_by_role("menuitem", name="User Management", exact=True)
        await expect(item).to_be_visible()
        await item.click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("User management", re.I))
        await expect(users).to_be_visible()
        await shot("user-page")

    async def open_licenses() -> None:
        nav = page.get_by_role("navigation", name="Main menu")
        await nav.get_by_role("link", name="Management of licenses and Purchases", exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        await expect(purchased).to_be_visible()
        await shot("license-page")

    await page.goto("/")
    await expect(page.get_by_role("button", name="Options", exact=True)).to_be_visible()
    await open_users()
    await expect(row).to_have_count(1)
    old = (await license_cell.inner_text()).strip()
    if old == target:
        return taken
    assert old in ("Pro", "Advanced"), f"{email} holds {old!r}"
    await open_licenses()
    summary = page.get_by_role("region", name="Purchase summary")
    assert await summary.get_by_text(re.compile("^Total:")).count() == 0, "unpaid lines in the summary"
    old_available = int(await available(old).inner_text())
    target_available = int(await available(target).inner_text())
    await page.get_by_role("spinbutton", name=f"Quantity of {target} licenses", exact=True).fill("1")
    packages = page.get_by_role("table", name="Packages", exact=True)
    await packages.get_by_role("row", name=re.compile(rf"^{target}\b")).get_by_role("button", name="Add", exact=True).click()
    await expect(summary.get_by_role("listitem").filter(has_text=re.compile(rf"^\s*{target} ×"))).to_be_visible()
    await expect(page.get_by_role("button", name="Proceed to checkout", exact=True)).to_be_enabled()
    await shot("added")
    await page.get_by_role("button", name="Proceed to checkout", exact=True).click()
    dialog = page.get_by_role("dialog", name="Confirm your purchase")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("listitem").filter(has_text=re.compile(rf"^\s*{target} ×"))).to_contain_text(f"{target} × 1 ")
    await expect(dialog.get_by_role("listitem")).to_have_count(1)
    await shot("checkout")
    accept = dialog.get_by_role("checkbox", name="I accept that these licenses will be added to my account")
    await accept.check()
    await expect(accept).to_be_checked()
    await dialog.get_by_role("button", name="Pay", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Payment accepted")
    await expect(available(target)).to_have_text(str(target_available + 1))
    await shot("paid")
    await open_users()
    await row.get_by_role("button", name="Manage License", exact=True).click()
    await expect(page.get_by_role("dialog", name=f"Manage license of {email}")).to_be_visible()
    await shot("manage")
    await page.get_by_role("button", name="Modify License", exact=True).click()
    new_license = page.get_by_role("combobox", name="New license", exact=True)
    await expect(new_license).to_be_visible()
    await new_license.select_option(label=target)
    await shot("picked")
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text(f"now holds a {target} license")
    await expect(license_cell).to_have_text(target)
    await shot("saved")
    await open_licenses()
    await expect(available(old)).to_have_text(str(old_available + 1))
    await available(old).click()
    await expect(page.get_by_role("dialog", name=f"Manage {old} licenses")).to_be_visible()
    await shot("manage-pool")
    await page.get_by_role("button", name="Change the quantity of license", exact=True).click()
    quantity = page.get_by_role("spinbutton", name="Number of licenses to remove")
    await expect(quantity).to_be_visible()
    await quantity.fill("1")
    await page.get_by_role("button", name="Remove license", exact=True).click()
    confirm = page.get_by_role("alertdialog", name="Confirm removal")
    await expect(confirm).to_be_visible()
    await expect(confirm).to_contain_text("cannot be recovered")
    await shot("confirm")
    await confirm.get_by_role("button", name="Confirm removal", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("removed")
    await expect(available(old)).to_have_text(str(old_available))
    await shot("removed")
    await open_users()
    await expect(license_cell).to_have_text(target)
    await shot("final")
    await capturer.close()
    return taken


# --- memory ------------------------------------------------------------------------------------------


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _pss_mb(pids: list[int]) -> float:
    """Proportional set size: shared pages (Chromium's processes share a lot) counted once, split
    between their users; summing RSS would count them once per process."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            pass
    return total / 1024


def _cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used so far; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _kind(pid: int, root: int) -> str:
    """Which part of the run a process is: the orchestrator (Python), Playwright's driver (node),
    Chromium's browser process, its renderers (one per page), or the rest of Chromium."""
    if pid == root:
        return "python"
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "other"
    if "playwright/driver/node" in cmd or cmd.startswith("node "):
        return "node"
    if "--type=renderer" in cmd:
        return "renderers"
    if "--type=" in cmd:
        return "chromium other"  # GPU, network, storage, zygotes, crash handler
    if "chrom" in cmd:
        return "chromium browser"
    return "other"


class PeakMemory:
    """Samples the memory (PSS) of a process tree (minus some pids) every 200 ms; keeps the peak,
    how it splits between the parts of the run at that moment, and the first sample's split."""

    def __init__(self, root: int, exclude: set[int]) -> None:
        self.root, self.exclude, self.peak = root, exclude, 0.0
        self.at_peak: dict[str, float] = {}
        self.first: dict[str, float] = {}
        self.cpu: dict[int, tuple[str, float]] = {}  # pid -> its kind, CPU seconds at the last sample
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            split: dict[str, float] = {}
            for pid in _tree(self.root):
                if pid not in self.exclude:
                    # Kept from the first sight: an ending process's cmdline reads empty.
                    kind = self.cpu[pid][0] if pid in self.cpu else _kind(pid, self.root)
                    split[kind] = split.get(kind, 0.0) + _pss_mb([pid])
                    cpu = _cpu_s(pid)
                    if cpu is not None:
                        self.cpu[pid] = (kind, cpu)
            total = sum(split.values())
            if not self.first and "renderers" in split:
                self.first = split
            if total > self.peak:
                self.peak, self.at_peak = total, split
            self._stop.wait(1.0)  # as the issue measured; reading smaps of Chromium costs CPU

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    ORDER = ("python", "node", "chromium browser", "renderers", "chromium other", "other")

    def split(self) -> str:
        return ", ".join(f"{k} {self.at_peak[k]:.0f}" for k in self.ORDER if self.at_peak.get(k))

    def cpu_split(self, **more: float) -> str:
        """CPU seconds by kind over the run (a process that ended loses its last second)."""
        by: dict[str, float] = dict(more)
        for kind, seconds in self.cpu.values():
            by[kind] = by.get(kind, 0.0) + seconds
        return ", ".join(f"{k} {v:.0f}" for k, v in sorted(by.items(), key=lambda kv: -kv[1]) if v >= 0.5)


# --- variants ----------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    workers: int
    users: int
    seconds: float
    peak_mb: float
    screenshots: int
    wall: float = 0.0  # the whole command, start to exit (aggregated runs)
    split: str = ""  # where the peak's memory was
    cpu: str = ""  # where the CPU time went (seconds by process kind, the portal's included)

    @property
    def per_minute(self) -> float:
        return self.users / self.seconds * 60


def targets(n: int, account: int | None = None) -> list[tuple[str, str]]:
    """The first n users of an account of `account` users (their e-mails are as wide as its count)."""
    width = max(2, len(str(account or n)))
    return [(f"user{i:0{width}d}@acme.example", "Advanced" if i % 3 == 0 else "Eco") for i in range(1, n + 1)]


PerUser = Callable[[BrowserContext, str, str, Path], Awaitable[int]]


def executor_per_user(ws: Workspace, options: EngineOptions) -> PerUser:
    async def run(context: BrowserContext, email: str, target: str, out: Path) -> int:
        plan = ws.plan("downgrade_license.yaml", {"user_email": email, "target_tier": target})
        result = await run_plan(
            plan, ws.catalogue, base_url=context.base_url, artifacts_dir=out, context=context,  # type: ignore[attr-defined]
            options=options, bus=Bus(), job_id=email,
        )  # fmt: skip
        if result.status == "failed":
            raise RuntimeError(f"{email}: {result.error}")
        return sum(1 for s in result.steps for a in s.artifacts if a.kind == "screenshot")

    return run


def script_per_user() -> PerUser:
    async def run(context: BrowserContext, email: str, target: str, out: Path) -> int:
        out.mkdir(parents=True, exist_ok=True)
        return await hand_written(context.pages[0], email, target, out)

    return run


async def per_user(
    name: str, procedure: PerUser, portals: list[PortalProcess], rows: list[tuple[str, str]], tmp: Path,
    settings: BrowserSettings | None = None,
) -> Result:
    ws = Workspace.open()
    n = len(portals)
    for portal in portals:
        portal.reset(f"bulk:{len(rows)}")
    shots = 0
    async with open_browser(settings or BrowserSettings()) as browser:
        contexts = []
        for portal in portals:  # log in, outside the timing
            context = await browser.new_context(base_url=portal.url, viewport={"width": 1280, "height": 800})
            context.base_url = portal.url  # type: ignore[attr-defined]
            await context.new_page()
            await run_plan(ws.login_plan(ADMIN), ws.catalogue, base_url=portal.url, artifacts_dir=tmp / "login",
                           context=context, options=EngineOptions(screenshots="off", trace="off"), bus=Bus())
            contexts.append(context)

        async def worker(index: int) -> int:
            taken = 0
            for email, target in rows[index::n]:
                taken += await procedure(contexts[index], email, target, tmp / name / email)
            return taken

        portal_pids = {p.process.pid for p in portals if p.process is not None}
        with PeakMemory(os.getpid(), portal_pids) as memory:
            started = time.perf_counter()
            shots = sum(await asyncio.gather(*(worker(i) for i in range(n))))
            seconds = time.perf_counter() - started
    for index, portal in enumerate(portals):
        users = {u["email"]: u["license"] for u in portal.state()["users"]}
        for email, target in rows[index::n]:
            assert users[email] == target, f"{name}: {email} holds {users[email]}"
    return Result(name, n, len(rows), seconds, memory.peak, shots)


def aggregated(
    portal: PortalProcess, rows: list[tuple[str, str]], workers: int, tmp: Path, *, trace: str = "off",
    extra: tuple[str, ...] = (), account: int | None = None,
) -> Result:
    """`runbook run downgrade_license --input CSV --workers N --yes` on `portal`, whose account holds
    `account` users (default: as many as rows). `seconds` is the jobs' span (first job after the
    login to the last), `wall` the whole command."""
    portal.reset(f"bulk:{max(account or 0, len(rows))}")
    name = f"agg-{workers}-{len(rows)}-{trace}"
    csv = tmp / f"{name}.csv"
    csv.write_text("email,target_tier\n" + "".join(f"{e},{t}\n" for e, t in rows), encoding="utf-8")
    run_dir = tmp / name
    args = [sys.executable, "-m", "executor.cli", "run", "downgrade_license", "--input", str(csv),
            "--base-url", portal.url, "--login-as", ADMIN, "--workers", str(workers), "--yes",
            "--trace", trace, "--run-dir", str(run_dir), *extra]  # fmt: skip
    env = {**os.environ, "CI": "1"}
    portal_pid = portal.process.pid if portal.process is not None else 0
    portal_cpu = _cpu_s(portal_pid) or 0.0
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with PeakMemory(proc.pid, set()) as memory:
        output, _ = proc.communicate()
    wall = time.perf_counter() - started
    portal_cpu = (_cpu_s(portal_pid) or portal_cpu) - portal_cpu
    if proc.returncode != 0:
        raise RuntimeError(f"aggregated run with {workers} workers failed:\n{output[-3000:]}")
    seconds = _jobs_span(run_dir / "run.log.jsonl")
    users = {u["email"]: u["license"] for u in portal.state()["users"]}
    assert all(users[e] == t for e, t in rows), "aggregated: a user is not on the target"
    shots = sum(1 for _ in run_dir.rglob("*.jpg"))
    label = "executor aggregated" if trace == "off" and not extra else f"aggregated trace={trace} {' '.join(extra)}".strip()
    result = Result(label, workers, len(rows), seconds, memory.peak, shots, wall=wall, split=memory.split(),
                    cpu=memory.cpu_split(portal=portal_cpu))
    shutil.rmtree(run_dir, ignore_errors=True)  # a 1,000-row run's evidence is ~1 GB
    return result


def _jobs_span(log: Path) -> float:
    first = last = None
    with log.open(encoding="utf-8") as lines:  # streamed: a 1,000-row run's log is large
        for line in lines:
            if '"JobStarted"' not in line and '"JobFinished"' not in line:
                continue
            event = json.loads(line)
            if event.get("event") in ("JobStarted", "JobFinished") and not event["job_id"].startswith("login"):
                first = event["at"] if first is None else first
                last = event["at"]
    return (last or 0.0) - (first or 0.0)


# --- main --------------------------------------------------------------------------------------------


async def bench(n_users: int, worker_counts: list[int]) -> list[Result]:
    rows = targets(n_users)
    options = EngineOptions(screenshots="every_step", trace="off")
    ws = Workspace.open()
    results: list[Result] = []
    portals = [PortalProcess(seed=f"bulk:{n_users}", test_token=TOKEN).start() for _ in range(max(worker_counts))]
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            for workers in worker_counts:
                used = portals[:workers]
                # Alternate the order so a load spike does not always hit the same variant.
                pair = [("executor per user", executor_per_user(ws, options)), ("hand-written per user", script_per_user())]
                if workers % 2 == 0:
                    pair.reverse()
                for name, procedure in pair:
                    results.append(await per_user(name, procedure, used, rows, tmp))
                    print(_line(results[-1]), flush=True)
                results.append(aggregated(portals[0], rows, workers, tmp))
                print(_line(results[-1]), flush=True)
    finally:
        for portal in portals:
            portal.stop()
    return results


def _line(r: Result) -> str:
    return (
        f"{r.name:24} {r.workers:>7} {r.users:>5} {r.seconds:9.1f} {r.per_minute:9.1f} {r.peak_mb:9.0f} {r.screenshots:>7}"
    )


def scale(
    sizes: list[int], worker_counts: list[int], traces: list[str], extra: tuple[str, ...], account: int | None = None
) -> None:
    """Point 4 of issue 11: wall, users/min and peak memory of aggregate runs as they grow, and
    where the CPU time went; with several worker counts, how many contexts this machine holds."""
    print(f"{'rows':>5} {'workers':>7} {'trace':>18} {'wall s':>8} {'users/min':>9} {'jobs s':>8} {'peak MB':>8}  "
          "where the peak is (MB) | CPU s by process")
    results: dict[tuple[int, int, str], Result] = {}
    portal = PortalProcess(seed="bulk:2", test_token=TOKEN).start()
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            for rows in sizes:
                for workers in worker_counts:
                    for trace in traces:
                        r = aggregated(portal, targets(rows, max(account or 0, rows)), workers, Path(tmp_name),
                                       trace=trace, extra=extra, account=account)  # fmt: skip
                        results[(rows, workers, trace)] = r
                        print(f"{rows:>5} {workers:>7} {trace:>18} {r.wall:8.0f} {rows / r.wall * 60:9.1f} "
                              f"{r.seconds:8.0f} {r.peak_mb:8.0f}  {r.split} | {r.cpu}", flush=True)
    finally:
        portal.stop()
    small, large = min(sizes), max(sizes)
    workers = worker_counts[0]
    for trace in traces if small != large else ():
        a, b = results[(small, workers, trace)], results[(large, workers, trace)]
        print(f"trace={trace}: peak {large} rows / {small} rows = {b.peak_mb / a.peak_mb:.2f} (target <= 1.10); "
              f"users/min {large} / {small} = {(large / b.wall) / (small / a.wall):.2f} (target >= 0.90)")
    if len(traces) > 1:
        base = traces[-1]
        for trace in traces[:-1]:
            for rows in sizes:
                ratio = results[(rows, workers, trace)].wall / results[(rows, workers, base)].wall
                print(f"{rows} rows: wall trace={trace} / trace={base} = {ratio:.2f} (target <= 1.10)")


async def remote(n_users: int, workers: int, rounds: int) -> None:
    """The same per-user downgrades in a browser launched here and in one on a Playwright browser
    server on this machine (`runbook browser-server`), rounds alternated."""
    from executor.browser import RemoteBrowser

    server = subprocess.Popen([sys.executable, "-m", "executor.cli", "browser-server", "--port", "0"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True, start_new_session=True)  # fmt: skip
    assert server.stdout is not None
    endpoint = server.stdout.readline().strip()
    ws, options = Workspace.open(), EngineOptions(screenshots="every_step", trace="off")
    portals = [PortalProcess(seed=f"bulk:{n_users}", test_token=TOKEN).start() for _ in range(workers)]
    rows = targets(n_users)
    local_s, remote_s = 0.0, 0.0
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            for round_ in range(rounds):
                order = [("local", BrowserSettings()), ("remote", BrowserSettings(remotes=(RemoteBrowser("server", endpoint),)))]
                if round_ % 2:
                    order.reverse()
                for name, settings in order:
                    r = await per_user(f"executor per user ({name})", executor_per_user(ws, options), portals, rows,
                                       Path(tmp_name) / f"{name}{round_}", settings)  # fmt: skip
                    print(_line(r), flush=True)
                    if name == "local":
                        local_s += r.seconds
                    else:
                        remote_s += r.seconds
    finally:
        for portal in portals:
            portal.stop()
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    print(f"remote / local per user, {rounds} rounds: {remote_s / local_s:.2f} (target <= 1.05)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--scale", type=int, nargs="+", metavar="ROWS",
                        help="aggregate runs of these sizes instead (wall, users/min, peak memory and its split)")
    parser.add_argument("--trace-modes", nargs="+", default=["retain-on-failure", "off"], help="with --scale")
    parser.add_argument("--account", type=int, metavar="USERS",
                        help="with --scale: every run on an account of this many users (the users page lists them "
                        "all, so its cost per row grows with the account: this keeps it the same for every size)")
    parser.add_argument("--run-args", default="", help="with --scale: more `runbook run` options, e.g. '--recycle-every 0'")
    parser.add_argument("--remote", action="store_true", help="per user: a browser server here vs a local launch")
    parser.add_argument("--rounds", type=int, default=3, help="with --remote")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.scale:
        scale(args.scale, args.workers, args.trace_modes, tuple(args.run_args.split()), args.account)
        return
    if args.remote:
        asyncio.run(remote(args.users, args.workers[0], args.rounds))
        return
    print(f"bulk downgrade of {args.users} users")
    print(f"{'variant':24} {'workers':>7} {'users':>5} {'seconds':>9} {'users/min':>9} {'peak MB':>9} {'shots':>7}")
    results = asyncio.run(bench(args.users, args.workers))
    print()
    by = {(r.name, r.workers): r for r in results}
    for workers in args.workers:
        ex, hw = by[("executor per user", workers)], by[("hand-written per user", workers)]
        agg = by[("executor aggregated", workers)]
        print(
            f"{workers} worker(s): executor / hand-written per user = {ex.seconds / hw.seconds:.2f} (target <= 1.15); "
            f"aggregated vs executor per user: {agg.per_minute / ex.per_minute:.1f}x faster (target >= 2)"
        )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
