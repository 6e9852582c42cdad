"""pytest plugin: every example in a runbook's `tests:` section is a test item.

    pytest runbooks/ --runbook-fake-portal        # each example, in every dialect, on a fake portal
    pytest runbooks/ --base-url https://portal    # each example once, on a real portal

Collection: YAML runbooks (not `_shared/`) with a `tests:` section, inside a folder named
`runbooks` (or one listed in the `runbook_dirs` ini setting), or named on the command line. So
`pytest` over `tests/` never collects the loader's fixture runbooks. Item ids read
`downgrade_license.yaml::pro_to_eco[2026]`: the example, and the fake portal's dialect.

Fixtures: an item is a `pytest.Function` whose function only declares the fixtures it needs, so
pytest resolves them through a real fixture request (conftest overrides, scopes, teardown, xdist),
with no private pytest API. The ladder, each rung overridable in a conftest.py:

    browser_type_launch_args (pytest-playwright) -> runbook_launch_args -> runbook_browser
    browser_context_args     (pytest-playwright) -> runbook_context_args
    base_url                 (pytest-playwright) + runbook_portal -> runbook_base_url
    all of them -> runbook_session -> the item

pytest-playwright's `browser`/`context`/`page` are sync-API objects and the engine is async (see
`executor.run_api`), so the plugin takes the *arguments* pytest-playwright computes from the
command line and the user's overrides, and launches one async Chromium per session (per xdist
worker) with them, in a thread (`executor.qa.browser_thread`).

Remote browsers: `--runbook-browser-server WS_URL` (or `RUNBOOK_BROWSER_SERVERS`) or
`--runbook-cdp-endpoint URL` connect instead of launching (`executor.qa.options`); launch options
that cannot travel are refused, never dropped.

Results and reports: every process that runs examples (each xdist worker, each shard) writes its
results file (`executor.qa.results`); the process that ends the run (the xdist controller, or the
only process) merges them into one `report.html` and one runbook `junit.xml`
(`executor.qa.run_report`); shards from several machines merge with `runbook report merge`.

Per item: reset the fake portal to the example's seed and dialect, read `/_test/state`, log in
with `_shared/login.yaml` (or `--runbook-auth-state`) in a fresh context, run the plan, read the
state again; then judge the outcome and the ground truth (`executor.qa.verdict`). A failure shows
the YAML step, not a traceback (`--runbook-traceback` shows it).
"""

from __future__ import annotations

import secrets
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from executor.browser import BrowserSettings, RemoteOptionError
from executor.load.diagnostics import LoadError
from executor.load.runbook_loader import SHARED_DIR
from executor.load.yaml_source import read_yaml
from executor.plan import PlanError, destructive_steps
from executor.qa import ground_truth
from executor.qa.browser_thread import BrowserThread
from executor.qa.library import Library
from executor.qa.options import RunbookOptions, add_options, read_options, remote_launch_args
from executor.qa.results import SESSION_KEY, ResultsRecorder, evidence_of
from executor.qa.run_report import RunReport, XdistSession
from executor.qa.session import ExampleSpec, RunbookSession, plan_example
from executor.qa.verdict import ExampleFailed, Where, problems, render
from executor.run_api import merged_launch_args
from fake_portal.testing import PortalServer

RUNBOOKS_DIR = "runbooks"
MARKER = "runbook"
_OPTIONS = pytest.StashKey[RunbookOptions]()
_LIBRARY = pytest.StashKey[Library]()
_RECORDER = pytest.StashKey[ResultsRecorder]()
_DEPRECATION = "pytest.PytestRemovedIn10Warning"


# --- hooks ---------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: an example from a runbook's `tests:` section")
    options = read_options(config)
    config.stash[_OPTIONS] = options
    config.stash[_LIBRARY] = Library(options.selectors, config.rootpath)
    worker_input = getattr(config, "workerinput", None)
    controller = getattr(config.option, "dist", "no") != "no" and worker_input is None
    # One id per pytest invocation: the controller's, handed to its xdist workers.
    session = worker_input.get(SESSION_KEY, "") if isinstance(worker_input, dict) else ""
    session = session or uuid.uuid4().hex[:16]
    if controller:
        config.pluginmanager.register(XdistSession(session), "portal_runbooks_xdist")
    else:  # this process runs the examples: it writes their results
        recorder = ResultsRecorder(config, options, session, lambda item: isinstance(item, RunbookItem))
        config.stash[_RECORDER] = recorder
        config.pluginmanager.register(recorder, "portal_runbooks_results")
    if worker_input is None:  # the process that ends the run: the report
        config.pluginmanager.register(RunReport(config, options, session), "portal_runbooks_report")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> RunbookFile | None:
    if is_runbook_file(file_path, parent.config):
        return RunbookFile.from_parent(parent, path=file_path)
    return None


# --- collection ----------------------------------------------------------------------------------


def _in_runbook_dir(path: Path, config: pytest.Config) -> bool:
    listed = config.getini("runbook_dirs")
    if listed:
        return any(path.is_relative_to(folder) for folder in listed)
    # A folder named `runbooks` between the file and the rootdir (inclusive); not above it, so a
    # checkout that happens to live under some `runbooks/` does not collect its test fixtures.
    root = config.rootpath
    for folder in path.parents:
        if folder.name == RUNBOOKS_DIR:
            return True
        if folder == root:
            break
    return False


def _named_on_command_line(path: Path, config: pytest.Config) -> bool:
    here = Path(config.invocation_params.dir)
    return any((here / arg.split("::", 1)[0]).resolve() == path for arg in config.args)


def is_runbook_file(path: Path, config: pytest.Config) -> bool:
    if path.suffix not in (".yaml", ".yml") or SHARED_DIR in path.parent.parts:
        return False
    if not (_in_runbook_dir(path, config) or _named_on_command_line(path, config)):
        return False
    doc = read_yaml(path)
    # A file that does not parse is collected, to say so; else only runbooks with examples.
    return not doc.ok or (isinstance(doc.data, dict) and "steps" in doc.data and "tests" in doc.data)


def _from_invocation_dir(path: Path, config: pytest.Config) -> Path:
    here = Path(config.invocation_params.dir)
    return path.relative_to(here) if path.is_relative_to(here) else path


def skip_reason(options: RunbookOptions, spec: ExampleSpec) -> str | None:
    """Why the item cannot run here, decided at collection (so no browser starts for it)."""
    if options.browsers and "chromium" not in options.browsers:
        return f"runbooks run on Chromium only (--browser {' '.join(options.browsers)})"
    if options.target is not None:
        return options.target
    if options.fake_portal or options.allow_destructive:
        return None
    try:
        steps = destructive_steps(plan_example(spec).steps)
    except PlanError:
        return None  # the item says what is wrong when it runs
    if not steps:
        return None
    first = steps[0]
    via = f", used at {first.chain[0]}" if first.chain else ""
    return (
        f"destructive step '{first.step.name or first.step.action}' ({first.step.source}{via}) against a "
        "real portal: pass --runbook-allow-destructive to run it"
    )


class RunbookFile(pytest.File):
    """A runbook: one item per example (and dialect of the fake portal)."""

    def collect(self) -> Iterator[RunbookItem]:
        options = self.config.stash[_OPTIONS]
        library = self.config.stash[_LIBRARY]
        # Loaded by its path from where pytest started, as the CLI is given it: reports and
        # failures then read `runbooks/x.yaml:27:5`, not an absolute path.
        runbook, root = library.load(_from_invocation_dir(self.path, self.config))
        loader = library.loader(root)
        for example in runbook.tests:
            wrong = ground_truth.problems_in(example.expect_state)
            if wrong:
                where = f"{self.path}:{example.source.line}:{example.source.col}"
                raise self.CollectError("\n".join(f"{where}: test '{example.name}': {w}" for w in wrong))
            for dialect in options.dialects:
                spec = ExampleSpec(runbook, example, dialect, root, loader)
                yield RunbookItem.from_parent(self, name=spec.name, callobj=runbook_example, spec=spec)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:  # type: ignore[override]
        if isinstance(excinfo.value, LoadError):
            return excinfo.value.render(self.config.invocation_params.dir)
        return super().repr_failure(excinfo)


def runbook_example(runbook_session: RunbookSession) -> None:
    """The items' function: its signature is their fixture request; `RunbookItem.runtest` runs the example."""


class RunbookItem(pytest.Function):
    def __init__(self, *, spec: ExampleSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.example_run: Any = None  # the ExampleRun, once it ran
        self.add_marker(MARKER)
        # pytest-playwright 0.10's `base_url` fallback fixture is a session-scoped instance method,
        # which pytest 9 deprecates; the item only reads it, and nobody running runbooks can act on it.
        self.add_marker(
            pytest.mark.filterwarnings(f"ignore:Session-scoped fixtures defined as instance:{_DEPRECATION}")
        )
        reason = skip_reason(self.config.stash[_OPTIONS], spec)
        if reason:
            self.add_marker(pytest.mark.skip(reason=reason))

    def runtest(self) -> None:
        session: RunbookSession = self.funcargs["runbook_session"]  # type: ignore[assignment]
        try:
            self._run(session)
        except pytest.skip.Exception:
            raise
        except BaseException:
            session.failed_items += 1
            raise

    def _run(self, session: RunbookSession) -> None:
        options = session.options
        where = Where(Path(self.config.invocation_params.dir), session.report_path)
        try:
            plan = plan_example(self.spec)
        except PlanError as err:
            raise ExampleFailed(f"cannot plan the example '{self.spec.example.name}':\n{err}") from None
        run = session.run(self.spec, plan)
        self.example_run = run  # for the results file (executor.qa.results)
        self.user_properties.append(("runbook_artifacts", where.path(run.artifacts_dir)))
        self.user_properties.append(("runbook_report", where.path(session.report_path)))
        found = problems(run, where)
        if found:
            screenshot, trace = evidence_of(run)
            if screenshot:
                self.user_properties.append(("runbook_screenshot", where.path(screenshot)))
            if trace is not None:
                self.user_properties.append(("runbook_trace", where.path(trace)))
            raise ExampleFailed(render(run, found, where))
        if options.video == "retain-on-failure":
            session.discard_videos(run)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:  # type: ignore[override]
        if isinstance(excinfo.value, ExampleFailed) and not self.config.stash[_OPTIONS].traceback:
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.spec.example.source.line - 1, f"{self.spec.runbook.name}::{self.name}"


# --- fixtures: the ladder ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def runbook_options(pytestconfig: pytest.Config) -> RunbookOptions:
    return pytestconfig.stash[_OPTIONS]


@pytest.fixture(scope="session")
def runbook_portal(
    runbook_options: RunbookOptions, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PortalServer | None]:
    """The fake portal of this session (of this xdist worker: its own port and database), or None."""
    if not runbook_options.fake_portal:
        yield None
        return
    folder = tmp_path_factory.mktemp("fake-portal")
    with PortalServer(seed="demo", db_path=folder / "portal.db", test_token=secrets.token_hex(16)) as portal:
        yield portal
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def runbook_launch_args(
    request: pytest.FixtureRequest, browser_type_launch_args: dict[str, Any], runbook_options: RunbookOptions
) -> dict[str, Any]:
    """pytest-playwright's launch args (--headed, --browser-channel, --slowmo, overrides) over our
    Chromium discovery and flags; with a remote browser, only what travels (`slow_mo`), and a
    launch option that cannot travel (a conftest's `executable_path`, `args`) stops the session
    with its message: it would be silently ignored otherwise."""
    remote = runbook_options.remote
    if remote is None:
        return merged_launch_args(browser_type_launch_args, headed=False, slow_mo_ms=0)
    try:
        return remote_launch_args(browser_type_launch_args, remote)
    except RemoteOptionError as err:
        message = f"usage error: {err}"
    if hasattr(request.config, "workerinput"):
        # pytest.exit in an xdist worker is an internal error of the controller: the item
        # fails with the message alone, and the worker asks the controller to stop the run.
        request.session.shouldstop = message
        pytest.fail(message, pytrace=False)
    pytest.exit(message, returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(scope="session")
def runbook_browser(runbook_launch_args: dict[str, Any], runbook_options: RunbookOptions) -> Iterator[BrowserThread]:
    with BrowserThread(runbook_launch_args, runbook_options.remote) as thread:
        yield thread


@pytest.fixture(scope="session")
def runbook_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's context args (--device, base_url, overrides) over our viewport. Its
    video folder is its own temporary one: `--video` is honoured per example instead."""
    args = {**BrowserSettings().context_kwargs(), **browser_context_args}
    for key in ("default_browser_type", "record_video_dir"):
        args.pop(key, None)  # a device's browser name is not a context option; videos: see above
    return args


@pytest.fixture(scope="session")
def runbook_base_url(runbook_portal: PortalServer | None, base_url: str | None) -> str:
    if runbook_portal is not None:
        return runbook_portal.url
    if not base_url:
        pytest.skip("no portal to run against: give --runbook-fake-portal, or --base-url URL")
    return base_url


@pytest.fixture(scope="session")
def runbook_session(
    request: pytest.FixtureRequest,
    runbook_options: RunbookOptions,
    runbook_browser: BrowserThread,
    runbook_context_args: dict[str, Any],
    runbook_base_url: str,
    runbook_portal: PortalServer | None,
) -> Iterator[RunbookSession]:
    context_args = {**runbook_context_args, "base_url": runbook_base_url}
    recorder = request.config.stash.get(_RECORDER, None)
    session = RunbookSession(
        runbook_options, runbook_browser, context_args, runbook_base_url, runbook_portal,
        listeners=[recorder] if recorder is not None else [],
    )
    session.start(sum(isinstance(i, RunbookItem) for i in request.session.items))
    try:
        yield session
    finally:
        session.finish()
