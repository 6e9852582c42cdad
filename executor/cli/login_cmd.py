"""`runbook login`: make a saved session (Playwright storage state, mode 0600) for later runs.

On the fake portal the `_shared/login` runbook completes the login alone (it reads the outbox).
On the real portal the login email and SMS are a person's: a headed browser opens on the login
page and the command waits until the operator is in, then saves the state.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import httpx

from executor.browser import BrowserSettings, open_browser
from executor.cli.common import EXIT_FAILED, EXIT_INVALID, EXIT_OK, print_diagnostics
from executor.cli.engine_options import browser_settings, engine_options
from executor.load.diagnostics import LoadError
from executor.engine.locate import probe
from executor.redaction import Redactor
from executor.session import Auth, run_in_scratch
from executor.workspace import Workspace, write_private

NAME = "login"
EXAMPLES = """\
examples:
  runbook login --base-url http://127.0.0.1:8080 --save-state .auth/admin.json --as admin@acme.example
  runbook login --base-url https://portal.example --save-state ~/.se-state.json --interactive

Then: runbook run RUNBOOK --base-url URL --auth-state FILE ...
The state file holds session cookies: it is written with mode 0600 and never printed.
exit codes: 0 saved, 1 the login did not complete, 2 invalid input
"""

LOGGED_IN = "menu.options"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        NAME,
        help="log in once and save the session for later runs",
        description="Log in to the portal and save the browser's storage state (cookies) to a file.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--base-url", required=True, metavar="URL")
    p.add_argument("--save-state", required=True, type=Path, metavar="FILE")
    p.add_argument("--as", "--login-as", dest="email", default="admin@acme.example", metavar="EMAIL", help="who logs in (the same as `run --login-as`)")
    p.add_argument(
        "--interactive",
        action="store_true",
        help="always open a browser for a person to log in (the default when the portal has no readable outbox)",
    )
    p.add_argument(
        "--wait", type=int, default=600, metavar="S", help="how long to wait for a person (default 600)"
    )
    p.add_argument("--selectors", type=Path, metavar="DIR")
    p.set_defaults(func=run)


def has_outbox(base_url: str) -> bool:
    """The fake portal's outbox answers; the real portal has none (its mail is a person's)."""
    try:
        return httpx.get(base_url.rstrip("/") + "/outbox", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def run(args: argparse.Namespace) -> int:
    try:
        ws = Workspace.open(selectors=args.selectors)
    except LoadError as err:
        print_diagnostics(err.diagnostics)
        return EXIT_INVALID
    if not args.interactive and has_outbox(args.base_url):
        return _by_runbook(ws, args)
    return asyncio.run(_by_person(ws, args))


def _by_runbook(ws: Workspace, args: argparse.Namespace) -> int:
    results = run_in_scratch(
        ws,
        name="login",
        base_url=args.base_url,
        auth=Auth(login_as=args.email, save_state=args.save_state),
        options=engine_options(args, Redactor()),
        settings=browser_settings(args),
    )
    if results and results[-1].status != "failed":
        print(f"saved the session of {args.email} to {args.save_state} (mode 0600)")
        return EXIT_OK
    print(
        f"error: the login runbook did not complete: {results[-1].error if results else 'no result'}",
        file=sys.stderr,
    )
    return EXIT_FAILED


async def _by_person(ws: Workspace, args: argparse.Namespace) -> int:
    if not sys.stdin.isatty():
        print(
            "error: the portal needs a person to log in (email link, SMS code): run this in a terminal",
            file=sys.stderr,
        )
        return EXIT_FAILED
    async with open_browser(BrowserSettings(headed=True)) as browser:
        context = await browser.new_context(base_url=args.base_url)
        page = await context.new_page()
        await page.goto("/login")
        print(f"Log in as {args.email} in the browser window (email link, then the SMS code if asked).")
        print(f"Waiting up to {args.wait} s for the portal's menu to appear...")
        deadline = time.monotonic() + args.wait
        while time.monotonic() < deadline:
            if await probe(page, ws.catalogue, LOGGED_IN) is not None:
                state = await context.storage_state()
                write_private(args.save_state, json.dumps(state))
                print(f"saved the session to {args.save_state} (mode 0600)")
                return EXIT_OK
            await page.wait_for_timeout(1000)  # polling a person, not the UI: no condition to wait on
        print("error: no login within the time allowed", file=sys.stderr)
        return EXIT_FAILED
