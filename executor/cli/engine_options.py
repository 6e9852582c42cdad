"""Options every browser-driving subcommand shares (run, login, selectors check, demo)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from executor.browser import SERVERS_ENV, BrowserSettings, RemoteBrowser, servers_from

from executor.engine import EngineOptions
from executor.numbers import LocaleError, check_locale
from executor.redaction import Redactor


def add_browser_options(p: argparse.ArgumentParser, *, base_url: bool = True) -> None:
    if base_url:
        p.add_argument("--base-url", required=True, metavar="URL", help="the portal's address")
    p.add_argument("--headed", action="store_true", help="show the browser window")
    p.add_argument("--slow-mo", type=int, default=0, metavar="MS", help="slow every browser action down")
    remote = p.add_mutually_exclusive_group()
    remote.add_argument(
        "--browser-server",
        action="append",
        metavar="WS_URL",
        help=f"run in the browser of a Playwright browser server (`runbook browser-server`; repeatable: a bulk run "
        f"spreads its workers; default: ${SERVERS_ENV}, comma-separated)",
    )
    remote.add_argument(
        "--cdp-endpoint", metavar="URL", help="run in a Chromium that speaks CDP (a browser pool, --remote-debugging-port)"
    )


def add_auth_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--auth-state", type=Path, metavar="FILE", help="a storage state saved by `runbook login` (mode 0600)"
    )
    p.add_argument(
        "--login-as",
        metavar="EMAIL",
        help="log in first with runbooks/_shared/login.yaml (works on the fake portal, whose outbox it reads)",
    )


def add_evidence_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--artifacts", type=Path, metavar="DIR", help="the run folder (default: runs/<time>-<runbook>/)"
    )
    p.add_argument(
        "--trace",
        choices=["on", "retain-on-failure", "off"],
        default="retain-on-failure",
        help="record a Playwright trace (default: kept on failure)",
    )
    p.add_argument(
        "--screenshots",
        choices=["every_step", "on_failure", "off"],
        default="every_step",
        help="when to capture the page (default: after every step)",
    )
    p.add_argument(
        "--timeout", type=int, default=10_000, metavar="MS", help="per-action timeout (default 10000)"
    )
    p.add_argument("--quiet", action="store_true", help="print only failures and the summary")
    p.add_argument(
        "--locale",
        metavar="LOCALE",
        type=locale_arg,
        help="the locale the portal writes numbers in (fr-CA: 1 450,00 $; default: the catalogue's, "
        "selectors/portal.yaml, else the page's <html lang>)",
    )


def locale_arg(text: str) -> str:
    try:
        check_locale(text)
    except LocaleError as err:
        raise argparse.ArgumentTypeError(f"{err}: {err.hint}") from None
    return text


def browser_settings(args: argparse.Namespace) -> BrowserSettings:
    """The browser to drive: launched here, or the remote ones the options (or the environment)
    name. Raises RemoteOptionError for an option that cannot travel to a remote browser."""
    remotes: tuple[RemoteBrowser, ...]
    if getattr(args, "cdp_endpoint", None):
        remotes = (RemoteBrowser("cdp", args.cdp_endpoint),)
    else:
        remotes = servers_from(getattr(args, "browser_server", None), os.environ.get(SERVERS_ENV))
    settings = BrowserSettings(
        headed=getattr(args, "headed", False), slow_mo_ms=getattr(args, "slow_mo", 0), remotes=remotes
    )
    settings.check_remote()
    return settings


def engine_options(args: argparse.Namespace, redactor: Redactor) -> EngineOptions:
    return EngineOptions(
        action_timeout_ms=getattr(args, "timeout", 10_000),
        screenshots=getattr(args, "screenshots", "every_step"),
        trace=getattr(args, "trace", "retain-on-failure"),
        headed=getattr(args, "headed", False),
        slow_mo_ms=getattr(args, "slow_mo", 0),
        redactor=redactor,
        locale=getattr(args, "locale", None),
    )
