"""The plugin's remote-browser and report options: refused before any browser or portal starts."""

from __future__ import annotations

import pytest
from plugin_project import make_project

pytest_plugins = ["pytester"]

SERVER = "ws://127.0.0.1:9/secret-path"


def usage_error(result: pytest.RunResult, message: str) -> None:
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--runbook-browser-server", "http://127.0.0.1:9"],
            "--runbook-browser-server 'http://127.0.0.1:9': a Playwright browser server's address is ws://HOST:PORT/PATH",
        ),
        (
            ["--runbook-browser-server", SERVER, "--runbook-cdp-endpoint", "http://127.0.0.1:9222"],
            "--runbook-browser-server and --runbook-cdp-endpoint: give browser servers or one CDP endpoint, not both",
        ),
        (
            ["--runbook-cdp-endpoint", "127.0.0.1:9222"],
            "--runbook-cdp-endpoint '127.0.0.1:9222': a CDP endpoint is http://HOST:PORT",
        ),
        (["--runbook-browser-server", SERVER, "--headed"], "--headed cannot travel to a browser server*"),
        (
            ["--runbook-cdp-endpoint", "http://127.0.0.1:9222", "--headed"],
            "--headed cannot travel to --runbook-cdp-endpoint*",
        ),
        (
            ["--runbook-browser-server", SERVER, "--browser-channel", "chrome"],
            "--browser-channel chrome picks a browser installed on this machine*",
        ),
        (
            ["--junitxml", "reports/runbooks/junit.xml"],
            "--junitxml reports/runbooks/junit.xml is where the runbook JUnit goes*",
        ),
    ],
)
def test_refused_options_are_usage_errors(pytester: pytest.Pytester, args: list[str], message: str) -> None:
    make_project(pytester)
    usage_error(pytester.runpytest("runbooks", "--runbook-fake-portal", *args), message)


def test_the_servers_come_from_the_environment_too(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    monkeypatch.setenv("RUNBOOK_BROWSER_SERVERS", f"{SERVER}, tcp://elsewhere:1")
    usage_error(
        pytester.runpytest("runbooks", "--runbook-fake-portal"),
        "RUNBOOK_BROWSER_SERVERS 'tcp://elsewhere:1'*",
    )


def test_an_unknown_option_is_still_pytests_error(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    usage_error(
        pytester.runpytest("runbooks", "--runbook-browser-servr", SERVER),
        "unrecognized arguments: --runbook-browser-servr*",
    )


def test_a_conftest_launch_option_that_cannot_travel_stops_the_session(pytester: pytest.Pytester) -> None:
    """Known only when pytest-playwright's fixture runs: the first item stops the run, before any
    portal starts or connection is tried (the server address is not even listening)."""
    make_project(pytester)
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def browser_type_launch_args(browser_type_launch_args):
            return {**browser_type_launch_args, "executable_path": "/opt/chrome/chrome", "args": ["--x"]}
        """
    )
    result = pytester.runpytest(
        "runbooks", "--runbook-fake-portal", "--runbook-dialects", "2026", "--runbook-browser-server", SERVER
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (
        "usage error: browser_type_launch_args args=['--x'], executable_path='/opt/chrome/chrome': launch options "
        "of a local browser cannot travel to server ws://127.0.0.1:9/…; set them where the browser starts"
    ) in result.stdout.str()
    assert "secret-path" not in result.stdout.str()  # the server's address is a credential
