"""run.json pins the runbook and the input; resume refuses when either changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from executor.bulk.rundir import BulkRunDir, RunInfo, sha256_of


def _info(tmp_path: Path) -> RunInfo:
    runbook, shared, data = tmp_path / "rb.yaml", tmp_path / "buy.yaml", tmp_path / "in.csv"
    runbook.write_text("name: rb\n")
    shared.write_text("name: buy\n")
    data.write_text("email\n")
    return RunInfo(
        runbook=str(runbook), runbook_sha256=sha256_of(runbook), input=str(data), input_sha256=sha256_of(data),
        base_url="http://x", strategy="aggregate", workers=2, runbooks={str(shared): sha256_of(shared)},
    )  # fmt: skip


def test_nothing_changed(tmp_path: Path) -> None:
    assert _info(tmp_path).changed_files() == []


@pytest.mark.parametrize("name", ["rb.yaml", "buy.yaml", "in.csv"])
def test_a_changed_file_is_named(tmp_path: Path, name: str) -> None:
    info = _info(tmp_path)
    (tmp_path / name).write_text("changed\n")
    [problem] = info.changed_files()
    assert problem.startswith(str(tmp_path / name))


def test_run_json_round_trip_and_one_run_per_folder(tmp_path: Path) -> None:
    rundir = BulkRunDir.create("x", tmp_path / "run")
    info = _info(tmp_path)
    rundir.write_run(info)
    assert rundir.read_run() == info
    with pytest.raises(FileExistsError, match="runbook resume"):
        BulkRunDir.create("x", tmp_path / "run")
    fd = rundir.lock()
    with pytest.raises(BlockingIOError):
        rundir.lock()
    import os

    os.close(fd)
