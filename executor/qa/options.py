"""The plugin's command line: our `--runbook-*` options, and how pytest-playwright's map onto the engine.

pytest-playwright's options are read, never re-registered: `--headed`, `--browser-channel` and
`--slowmo` reach the browser through its `browser_type_launch_args` fixture; `--base-url` and
`--device` through `browser_context_args`; `--tracing`, `--screenshot` and `--video` are mapped here.

Remote browsers (`--runbook-browser-server`, `RUNBOOK_BROWSER_SERVERS`, `--runbook-cdp-endpoint`):
what only a local launch can honour (`--headed`, `--browser-channel`) is a usage error here, before
anything starts; launch args a conftest gives are checked when the browser fixture runs
(`remote_launch_args`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from executor.browser import SERVERS_ENV, RemoteBrowser, RemoteOptionError
from executor.engine import ScreenshotPolicy
from executor.engine.trace_file import TraceMode
from executor.numbers import LocaleError, check_locale
from fake_portal.config import DIALECTS

DEFAULT_ARTIFACTS = "reports/runbooks"
FAKE_PORTAL_ADMIN = "admin@acme.example"

# pytest-playwright's --screenshot -> the engine's policy. Its default ("off") keeps ours, a
# screenshot after every step: the suite's HTML report is read step by step, pictures included.
_SCREENSHOTS: dict[str, ScreenshotPolicy] = {
    "on": "every_step",
    "only-on-failure": "on_failure",
    "off": "every_step",
}


_TRACES: dict[str, TraceMode] = {"on": "on", "retain-on-failure": "retain-on-failure", "off": "off"}


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("runbooks", "portal runbooks (examples in the runbooks' `tests:` sections)")
    group.addoption(
        "--runbook-fake-portal",
        action="store_true",
        default=False,
        help="run the examples against a fake portal started for the session (one per xdist worker)",
    )
    group.addoption(
        "--runbook-dialects",
        default=None,
        metavar="LIST",
        help=f"fake-portal dialects to run every example in, comma separated, or all (default: all, "
        f"{','.join(DIALECTS)})",
    )
    group.addoption("--runbook-selectors", default=None, metavar="DIR", help="the selector catalogue folder")
    group.addoption(
        "--runbook-artifacts",
        default=DEFAULT_ARTIFACTS,
        metavar="DIR",
        help=f"screenshots, traces, results and the reports (default {DEFAULT_ARTIFACTS}; never under --output, "
        "which pytest-playwright wipes); one folder per shard",
    )
    group.addoption(
        "--runbook-report",
        default=None,
        metavar="PATH",
        help="the run's one HTML report (default <artifacts>/report.html), with every xdist worker's "
        "examples; each process also writes its results to <artifacts>[/gwN]/runbook-results.jsonl "
        "(shards: `runbook report merge DIR...`)",
    )
    group.addoption(
        "--runbook-junit",
        default=None,
        metavar="PATH",
        help="the runbook JUnit XML, one testcase per example, failures as the YAML step (default "
        "junit.xml beside the report); pytest's own --junitxml is unchanged",
    )
    group.addoption(
        "--runbook-browser-server",
        action="append",
        default=None,
        metavar="WS_URL",
        help="run the examples in a Playwright browser server's Chromium (`runbook browser-server` prints "
        f"its ws:// address); repeatable: xdist workers take turns; default ${SERVERS_ENV} (comma separated)",
    )
    group.addoption(
        "--runbook-cdp-endpoint",
        default=None,
        metavar="URL",
        help="run the examples in a Chromium reached over CDP (http://HOST:9222, ws://...); not with "
        "--runbook-browser-server",
    )
    group.addoption(
        "--runbook-screenshots",
        default=None,
        choices=("every_step", "on_failure", "off"),
        help="screenshots per step (default every_step; pytest-playwright's --screenshot only-on-failure "
        "gives on_failure)",
    )
    group.addoption(
        "--runbook-traceback",
        action="store_true",
        default=False,
        help="show the Python traceback of a failed example instead of the failed YAML step",
    )
    group.addoption(
        "--runbook-login-as",
        default=None,
        metavar="EMAIL",
        help=f"the administrator the login runbook signs in (default {FAKE_PORTAL_ADMIN} on the fake portal)",
    )
    group.addoption(
        "--runbook-auth-state",
        default=None,
        metavar="FILE",
        help="a saved storage state (`runbook login`) used instead of running the login runbook",
    )
    group.addoption(
        "--runbook-locale",
        default=None,
        metavar="LOCALE",
        help="the locale the portal writes numbers in (fr-CA: 1 450,00 $); default: the catalogue's",
    )
    group.addoption(
        "--runbook-allow-destructive",
        action="store_true",
        default=False,
        help="run examples with destructive steps (purchases, removals) against a real --base-url",
    )
    parser.addini(
        "runbook_dirs",
        type="paths",
        default=[],
        help="folders whose runbooks' examples are collected (default: folders named `runbooks`)",
    )


@dataclass(frozen=True)
class RunbookOptions:
    fake_portal: bool
    base_url: str | None  # a real portal (--base-url / base_url ini); ignored with the fake portal
    dialects: tuple[str | None, ...]  # (None,) on a real portal: it speaks one dialect
    selectors: Path | None
    artifacts: Path
    report: Path
    screenshots: ScreenshotPolicy
    trace: TraceMode
    video: str  # pytest-playwright's --video: on, off, retain-on-failure
    traceback: bool
    login_as: str | None
    auth_state: Path | None
    allow_destructive: bool
    locale: str | None
    browsers: tuple[str, ...]  # pytest-playwright's --browser
    worker: str | None  # xdist worker id (gw0, ...), None when not under xdist
    junit: Path = Path(DEFAULT_ARTIFACTS) / "junit.xml"
    remotes: tuple[RemoteBrowser, ...] = ()  # browser servers, or one CDP endpoint; () launches here

    @property
    def target(self) -> str | None:
        """Why examples cannot run (no portal), or None."""
        if self.fake_portal or self.base_url:
            return None
        return "no portal to run against: give --runbook-fake-portal, or --base-url URL for a real portal"

    @property
    def worker_artifacts(self) -> Path:
        return self.artifacts / self.worker if self.worker else self.artifacts

    @property
    def remote(self) -> RemoteBrowser | None:
        """This process's remote browser: xdist workers take the servers in turn (gw0 the first, ...)."""
        if not self.remotes:
            return None
        index = int(self.worker[2:]) if self.worker and self.worker[2:].isdigit() else 0
        return self.remotes[index % len(self.remotes)]

    def describe_browser(self) -> str:
        remote = self.remote
        return f"{remote.kind} {remote.describe()}" if remote else "chromium (launched here)"


def _option(config: pytest.Config, name: str) -> Any:
    return config.getoption(name, default=None)


def _locale(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        check_locale(raw)
    except LocaleError as err:
        raise pytest.UsageError(f"--runbook-locale: {err}; {err.hint}") from None
    return raw


def _dialects(raw: str | None) -> tuple[str, ...]:
    if not raw or raw.strip() == "all":
        return DIALECTS
    chosen = tuple(d.strip() for d in raw.split(",") if d.strip())
    unknown = [d for d in chosen if d not in DIALECTS]
    if unknown or not chosen:
        given = ", ".join(unknown) if unknown else repr(raw)
        raise pytest.UsageError(f"--runbook-dialects: unknown dialect {given}; known: {', '.join(DIALECTS)}")
    return chosen


def _remotes(config: pytest.Config) -> tuple[RemoteBrowser, ...]:
    """--runbook-browser-server values (else $RUNBOOK_BROWSER_SERVERS) or --runbook-cdp-endpoint."""
    given = list(_option(config, "runbook_browser_server") or [])
    source = "--runbook-browser-server"
    if not given:
        given = [v.strip() for v in os.environ.get(SERVERS_ENV, "").split(",") if v.strip()]
        source = SERVERS_ENV
    cdp = _option(config, "runbook_cdp_endpoint")
    if given and cdp:
        raise pytest.UsageError(
            f"{source} and --runbook-cdp-endpoint: give browser servers or one CDP endpoint, not both"
        )
    for endpoint in given:
        if urlsplit(endpoint).scheme not in ("ws", "wss"):
            raise pytest.UsageError(
                f"{source} {endpoint!r}: a Playwright browser server's address is ws://HOST:PORT/PATH "
                "(the first line `runbook browser-server` prints)"
            )
    if cdp and urlsplit(cdp).scheme not in ("http", "https", "ws", "wss"):
        raise pytest.UsageError(
            f"--runbook-cdp-endpoint {cdp!r}: a CDP endpoint is http://HOST:PORT (a Chromium started with "
            "--remote-debugging-port) or its ws:// address"
        )
    if cdp:
        return (RemoteBrowser("cdp", cdp),)
    return tuple(RemoteBrowser("server", e) for e in given)


def _refuse_local_only(config: pytest.Config, remotes: tuple[RemoteBrowser, ...]) -> None:
    """pytest-playwright's options that only a browser launched here can honour."""
    if not remotes:
        return
    where = "--runbook-cdp-endpoint" if remotes[0].kind == "cdp" else "a browser server"
    if _option(config, "headed"):
        raise pytest.UsageError(
            f"--headed cannot travel to {where}: whether its window shows is decided where the browser "
            "starts (`runbook browser-server --headed` on a machine with a display)"
        )
    channel = _option(config, "browser_channel")
    if channel:
        raise pytest.UsageError(
            f"--browser-channel {channel} picks a browser installed on this machine; {where} runs its own "
            "(choose it where the server starts: RUNBOOK_CHROMIUM)"
        )


# BrowserType.launch arguments a connection can still honour; the others name a process we do not start.
_TRAVELLING = {"slow_mo", "timeout"}


def remote_launch_args(launch: Mapping[str, Any], remote: RemoteBrowser) -> dict[str, Any]:
    """The part of pytest-playwright's `browser_type_launch_args` a remote browser can honour
    (`slow_mo`, `timeout`; `headless: True` is what a server is anyway). Raises RemoteOptionError
    for anything else (`executable_path`, `args`, `channel`, `headless: False`, ...)."""
    refused = sorted(k for k, v in launch.items() if k not in _TRAVELLING and not (k == "headless" and v))
    if refused:
        shown = ", ".join(f"{k}={launch[k]!r}" for k in refused)
        raise RemoteOptionError(
            f"browser_type_launch_args {shown}: launch options of a local browser cannot travel to "
            f"{remote.kind} {remote.describe()}; set them where the browser starts (runbook browser-server, "
            "RUNBOOK_CHROMIUM), or drop them from the fixture's override"
        )
    return {k: v for k, v in launch.items() if k in _TRAVELLING}


def _junit(config: pytest.Config, value: Path | None, report: Path) -> Path:
    """Ours beside the report; refused where pytest's own --junitxml writes (two writers, one file)."""
    junit = value or report.with_name("junit.xml")
    theirs = _option(config, "xmlpath")
    if theirs and (Path(config.invocation_params.dir) / os.path.expanduser(theirs)).resolve() == junit:
        raise pytest.UsageError(
            f"--junitxml {theirs} is where the runbook JUnit goes: give pytest's --junitxml another path, "
            "or ours another with --runbook-junit PATH"
        )
    return junit


def read_options(config: pytest.Config) -> RunbookOptions:
    here = Path(config.invocation_params.dir)

    def path(value: str | None) -> Path | None:
        return None if not value else (here / os.path.expanduser(value)).resolve()

    fake = bool(_option(config, "runbook_fake_portal"))
    base_url = _option(config, "base_url") or _ini(config, "base_url") or None
    artifacts = path(_option(config, "runbook_artifacts") or DEFAULT_ARTIFACTS)
    assert artifacts is not None
    tracing = _TRACES.get(_option(config, "tracing") or "off", "off")
    screenshots = _option(config, "runbook_screenshots") or _SCREENSHOTS.get(
        _option(config, "screenshot") or "off"
    )
    worker_input = getattr(config, "workerinput", None)
    report = path(_option(config, "runbook_report")) or artifacts / "report.html"
    remotes = _remotes(config)
    _refuse_local_only(config, remotes)
    return RunbookOptions(
        fake_portal=fake,
        base_url=None if fake else base_url,
        dialects=_dialects(_option(config, "runbook_dialects")) if fake else (None,),
        selectors=path(_option(config, "runbook_selectors")),
        artifacts=artifacts,
        report=report,
        junit=_junit(config, path(_option(config, "runbook_junit")), report),
        remotes=remotes,
        screenshots=screenshots or "every_step",
        trace=tracing,
        video=_option(config, "video") or "off",
        traceback=bool(_option(config, "runbook_traceback")),
        login_as=_option(config, "runbook_login_as") or (FAKE_PORTAL_ADMIN if fake else None),
        auth_state=path(_option(config, "runbook_auth_state")),
        allow_destructive=bool(_option(config, "runbook_allow_destructive")),
        locale=_locale(_option(config, "runbook_locale")),
        browsers=tuple(_option(config, "browser") or ()),
        worker=worker_input.get("workerid") if isinstance(worker_input, dict) else None,
    )


def _ini(config: pytest.Config, name: str) -> Any:
    try:
        return config.getini(name)
    except ValueError:  # not registered (neither pytest-base-url nor pytest-playwright's fallback)
        return None
