"""The plugin's command line: our `--runbook-*` options, and how pytest-playwright's map onto the engine.

pytest-playwright's options are read, never re-registered: `--headed`, `--browser-channel` and
`--slowmo` reach the browser through its `browser_type_launch_args` fixture; `--base-url` and
`--device` through `browser_context_args`; `--tracing`, `--screenshot` and `--video` are mapped here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

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
        help=f"screenshots, traces and the HTML report (default {DEFAULT_ARTIFACTS}; never under --output, "
        "which pytest-playwright wipes)",
    )
    group.addoption(
        "--runbook-report",
        default=None,
        metavar="PATH",
        help="the session's HTML report (default <artifacts>/report.html; per xdist worker report-gwN.html, "
        "with report.html linking them)",
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

    @property
    def target(self) -> str | None:
        """Why examples cannot run (no portal), or None."""
        if self.fake_portal or self.base_url:
            return None
        return "no portal to run against: give --runbook-fake-portal, or --base-url URL for a real portal"

    @property
    def worker_report(self) -> Path:
        """This process's report: the worker's own under xdist."""
        if self.worker is None:
            return self.report
        return self.report.with_name(f"{self.report.stem}-{self.worker}{self.report.suffix}")

    @property
    def worker_artifacts(self) -> Path:
        return self.artifacts / self.worker if self.worker else self.artifacts


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
    return RunbookOptions(
        fake_portal=fake,
        base_url=None if fake else base_url,
        dialects=_dialects(_option(config, "runbook_dialects")) if fake else (None,),
        selectors=path(_option(config, "runbook_selectors")),
        artifacts=artifacts,
        report=path(_option(config, "runbook_report")) or artifacts / "report.html",
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
