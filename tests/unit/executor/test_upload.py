"""The `upload` action: its YAML surface, the plan rendering an inline file from a param, and the
payload handed to Playwright's `set_input_files` (no browser: a stub locator records the call)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from executor.actions import get
from executor.actions.base import ActionError
from executor.actions.interact import upload_payload
from executor.load import LoadError, load_catalogue, load_runbook
from executor.model.base import SourceSpan
from executor.model.catalogue import Catalogue
from executor.model.runbook import TargetRef, UploadArgs
from executor.plan import build_plan
from executor.plan_view import describe_action
from executor.run_api import run_sync

CATALOGUE = """\
page: form
path: /form
entries:
  file:
    candidates:
      - label: CSV file
"""

CSV = "email,first_name,last_name,role\nann@acme.example,Ann,Lee,standard\n"


@pytest.fixture
def catalogue(tmp_path: Path) -> Catalogue:
    folder = tmp_path / "selectors"
    folder.mkdir()
    (folder / "form.yaml").write_text(CATALOGUE, encoding="utf-8")
    return load_catalogue(folder)


def load_steps(tmp_path: Path, catalogue: Catalogue, steps: str, params: str = "") -> Any:
    book = tmp_path / "runbooks"
    book.mkdir(exist_ok=True)
    path = book / "r.yaml"
    path.write_text(f"name: r\n{params}steps:\n{steps}", encoding="utf-8")
    return load_runbook(path, catalogue, runbooks_root=book)


def problems(tmp_path: Path, catalogue: Catalogue, steps: str) -> list[tuple[int, str, str | None]]:
    with pytest.raises(LoadError) as caught:
        load_steps(tmp_path, catalogue, steps)
    return [(d.line, d.message, d.hint) for d in caught.value.diagnostics]


# --- loader -------------------------------------------------------------------------------------


def test_a_path_or_a_list_relative_to_the_runbook(tmp_path: Path, catalogue: Catalogue) -> None:
    (tmp_path / "runbooks" / "data").mkdir(parents=True)
    (tmp_path / "runbooks" / "data" / "a.csv").write_text(CSV)
    (tmp_path / "runbooks" / "data" / "b.csv").write_text(CSV)
    rb = load_steps(
        tmp_path,
        catalogue,
        "  - upload: {target: form.file, files: data/a.csv}\n"
        "  - upload: {target: form.file, files: [data/a.csv, data/b.csv]}\n",
    )
    one, two = (s.args for s in rb.steps)
    assert one == UploadArgs(target=one.target, files=("data/a.csv",))
    assert one.target.entry == "form.file"
    assert two.files == ("data/a.csv", "data/b.csv")


def test_inline_content_from_a_param(tmp_path: Path, catalogue: Catalogue) -> None:
    rb = load_steps(
        tmp_path,
        catalogue,
        "  - upload: {target: form.file, content: '{{ params.csv }}', filename: users.csv}\n",
        params="params:\n  csv: string\n",
    )
    args = rb.steps[0].args
    assert (args.content, args.filename, args.files, args.mime_type) == ("{{ params.csv }}", "users.csv", (), None)


def test_a_missing_file_is_reported_at_validation(tmp_path: Path, catalogue: Catalogue) -> None:
    (line, message, hint), = problems(tmp_path, catalogue, "  - upload: {target: form.file, files: nope.csv}\n")
    assert (line, message) == (3, "no file 'nope.csv' to upload")
    assert hint is not None and hint.startswith("a relative path is relative to the runbook: looked for ")
    assert hint.endswith(str(Path("runbooks") / "nope.csv"))


def test_a_templated_path_is_checked_at_run_time_only(tmp_path: Path, catalogue: Catalogue) -> None:
    rb = load_steps(
        tmp_path,
        catalogue,
        "  - upload: {target: form.file, files: '{{ params.file }}'}\n",
        params="params:\n  file: string\n",
    )
    assert rb.steps[0].args.files == ("{{ params.file }}",)


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("{target: form.file}", "'upload' needs files or content (one of them)"),
        ("{target: form.file, files: a.csv, content: x, filename: a.csv}", "'upload' needs files or content (one of them)"),
        ("{target: form.file, content: x}", "'upload' with content needs a 'filename'"),
        ("{target: form.file, files: [], }", "'files' in 'upload' is empty"),
        ("{content: x, filename: a.csv}", "'upload' is missing 'target'"),
        ("form.file", "'upload' takes a mapping, got a string ('form.file')"),
    ],
)
def test_wrong_shapes(tmp_path: Path, catalogue: Catalogue, step: str, message: str) -> None:
    found = problems(tmp_path, catalogue, f"  - upload: {step}\n")
    assert message in [m for _, m, _ in found]


def test_filename_goes_with_content_only(tmp_path: Path, catalogue: Catalogue) -> None:
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "a.csv").write_text(CSV)
    found = problems(tmp_path, catalogue, "  - upload: {target: form.file, files: a.csv, filename: b.csv}\n")
    assert [m for _, m, _ in found] == ["'filename' goes with content, not files"]


def test_the_plan_renders_the_inline_file(tmp_path: Path, catalogue: Catalogue) -> None:
    rb = load_steps(
        tmp_path,
        catalogue,
        "  - upload: {target: form.file, content: '{{ params.csv }}', filename: '{{ params.name }}'}\n",
        params="params:\n  csv: string\n  name: {type: string, default: users.csv}\n",
    )
    plan = build_plan(rb, {"csv": CSV}, catalogue=catalogue, runbooks_root=tmp_path / "runbooks", env={})
    args = plan.steps[0].step.args
    assert (args.content, args.filename) == (CSV, "users.csv")
    assert describe_action(plan.steps[0].step) == f"upload form.file <- 'users.csv' (inline, {len(CSV)} characters)"


# --- payload and action -------------------------------------------------------------------------


def args(**kw: Any) -> UploadArgs:
    return UploadArgs(target=TargetRef(entry="form.file"), **kw)


def test_inline_content_becomes_a_named_buffer() -> None:
    (payload,) = upload_payload(args(content="é,1\n", filename="users.csv"), "runbooks/r.yaml")
    assert payload == {"name": "users.csv", "mimeType": "text/csv", "buffer": "é,1\n".encode()}
    (typed,) = upload_payload(args(content="x", filename="x.dat", mime_type="text/plain"), "r.yaml")
    assert typed["mimeType"] == "text/plain"


def test_paths_are_relative_to_the_runbook_file(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text(CSV)
    absolute = tmp_path / "b.csv"
    absolute.write_text(CSV)
    runbook_file = str(tmp_path / "r.yaml")
    assert upload_payload(args(files=("data/a.csv", str(absolute))), runbook_file) == [
        str(tmp_path / "data" / "a.csv"),
        str(absolute),
    ]


def test_a_missing_file_fails_the_step(tmp_path: Path) -> None:
    with pytest.raises(ActionError, match=r"no file to upload at .*gone\.csv"):
        upload_payload(args(files=("gone.csv",)), str(tmp_path / "r.yaml"))


class _Locator:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, float]] = []

    async def set_input_files(self, files: Any, *, timeout: float) -> None:
        self.calls.append((files, timeout))


class _Ctx:
    def __init__(self, runbook_file: str) -> None:
        self.step = SimpleNamespace(source=SourceSpan(file=runbook_file, line=1, col=1))
        self.locator = _Locator()
        self.located: list[TargetRef] = []

    def timeout_ms(self) -> float:
        return 1234.0

    async def locate(self, target: TargetRef, **_: Any) -> _Locator:
        self.located.append(target)
        return self.locator


def test_the_action_sets_the_input_files(tmp_path: Path) -> None:
    spec = get("upload")
    assert spec.changes_state and spec.supports_dry_run
    ctx = _Ctx(str(tmp_path / "r.yaml"))
    run_sync(spec.run(ctx, args(content=CSV, filename="users.csv")))  # type: ignore[arg-type]
    ((files, timeout),) = ctx.locator.calls
    assert files[0]["buffer"] == CSV.encode() and timeout == 1234.0


def test_the_dry_run_checks_the_target_and_the_files_without_uploading(tmp_path: Path) -> None:
    spec = get("upload")
    assert spec.dry_run is not None
    ctx = _Ctx(str(tmp_path / "r.yaml"))
    with pytest.raises(ActionError):
        run_sync(spec.dry_run(ctx, args(files=("gone.csv",))))  # type: ignore[arg-type]
    assert ctx.located == [TargetRef(entry="form.file")] and ctx.locator.calls == []
