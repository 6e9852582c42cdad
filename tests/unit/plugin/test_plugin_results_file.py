"""Events back from JSON (`from_dict`), and the results file a pytest process writes (no browser)."""

from __future__ import annotations

import json
import shutil
import typing
from pathlib import Path

import pytest
from results_builders import RUNBOOK, every_event, header, write_folder

from executor.events import EVENT_TYPES, Event, EventDecodeError, StepFinished, from_dict, to_dict
from executor.listeners.results_file import RESULTS_NAME, ResultsFileError, Shard, read_results


def test_every_event_type_has_a_sample() -> None:
    """A new event type must be added to the round-trip samples (and so to from_dict's reach)."""
    assert {type(e).__name__ for e in every_event()} == set(EVENT_TYPES)
    assert set(EVENT_TYPES) == {t.__name__ for t in typing.get_args(Event)}


@pytest.mark.parametrize("event", every_event(), ids=lambda e: type(e).__name__)
def test_every_event_survives_a_trip_through_json(event: Event) -> None:
    back = from_dict(json.loads(json.dumps(to_dict(event))))
    assert back == event
    assert type(back) is type(event)


def test_nested_parts_come_back_as_their_types() -> None:
    step = next(e for e in every_event() if isinstance(e, StepFinished))
    back = from_dict(json.loads(json.dumps(to_dict(step))))
    assert isinstance(back, StepFinished)
    assert isinstance(back.chain, tuple) and isinstance(back.artifacts, tuple)
    assert back.assertions[0].match == step.matches[0]
    assert back.timings.total_ms == 7.5 and back.screenshot == step.screenshot


def test_unknown_keys_are_ignored_and_defaults_fill_in() -> None:
    """A JSON log line (`level`, `timestamp`) reads back; a field a newer writer added is skipped."""
    data = {
        "event": "StepStarted",
        "job_id": "j",
        "step_id": "1",
        "title": "t",
        "action": "goto",
        "source": "a.yaml:1:1",
        "level": "info",
        "new_field": 1,
    }
    event = from_dict(data)
    assert event.depth == 0 and type(event).__name__ == "StepStarted"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"event": "Nope"}, "not an event: 'event' is 'Nope', not one of RunStarted, JobStarted"),
        ({"run_id": "r"}, "not an event: 'event' is None"),
        (
            {"event": "RunFinished", "run_id": "r", "status": "failed", "duration_ms": 1.0},
            "RunFinished: the field 'jobs' is missing",
        ),
        (
            {"event": "RunFinished", "run_id": "r", "status": "exploded", "duration_ms": 1.0, "jobs": {}},
            "RunFinished.status: 'exploded' is not one of 'passed', 'failed', 'warned'",
        ),
        (
            {"event": "StepRetrying", "job_id": "j", "step_id": "1", "attempt": "two", "error": "e"},
            "StepRetrying.attempt: expected int, got str",
        ),
        (
            {
                "event": "JobFinished",
                "run_id": "r",
                "job_id": "j",
                "runbook": "x",
                "status": "passed",
                "duration_ms": 1,
                "counts": {},
                "artifacts": [{"kind": "trace"}],
            },
            "JobFinished.artifacts[0]: the field 'path' is missing",
        ),
    ],
)
def test_what_is_not_an_event_is_said_precisely(data: dict[str, object], message: str) -> None:
    with pytest.raises(EventDecodeError) as err:
        from_dict(data)
    assert str(err.value).startswith(message)


def test_artifact_paths_are_relative_to_the_file_and_follow_a_copied_folder(tmp_path: Path) -> None:
    shard = Shard(1, 2, "pytest-split")
    folder = write_folder(
        tmp_path / "ci" / "shard1", header("s1", "gw0", shard), {"a[2026]": "failed", "b[2026]": "skipped"}
    )
    text = (folder / RESULTS_NAME).read_text()
    assert str(tmp_path) not in text  # nothing absolute: the folder can move
    assert '"folder": "check_license.a.2026"' in text
    assert '"path": "check_license.a.2026/001-open.jpg"' in text

    moved = tmp_path / "other-machine" / "downloaded"
    shutil.copytree(folder, moved)
    results = read_results(moved / RESULTS_NAME)
    assert results.header.shard == shard and results.header.process == "gw0"
    assert results.finished_at is not None
    failed, skipped = results.items
    assert (failed.outcome, failed.phase, failed.folder) == (
        "failed",
        "call",
        str(moved / "check_license.a.2026"),
    )
    assert (skipped.outcome, skipped.skip_reason, skipped.folder) == ("skipped", "not on this portal", None)
    step = next(e for e in results.events if isinstance(e, StepFinished))
    assert step.screenshot == str(moved / "check_license.a.2026" / "001-open.jpg")
    assert Path(step.screenshot).is_file()


def test_a_process_killed_mid_line_leaves_its_finished_examples_readable(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, header("s1"), {"a[2026]": "passed"}, finished=False)
    path = folder / RESULTS_NAME
    with path.open("a") as stream:
        stream.write('{"record": "item", "nodeid": "runbooks/check_lic')  # no newline: cut short
    results = read_results(path)
    assert [i.name for i in results.items] == ["a[2026]"]
    assert results.finished_at is None


@pytest.mark.parametrize(
    ("content", "where", "message"),
    [
        ("", 1, "the file is empty"),
        ('{"level": "info", "event": "RunStarted"}\n', 1, "not a runbook results file"),
        (
            '{"record": "header", "format": "portal-runbooks/results", "version": 99}\n',
            1,
            "results format version 99: this version of portal-runbooks reads up to 1",
        ),
        ("HEADER\n{not json\n{}\n", 2, "not JSON"),
        (
            "HEADER\n" + json.dumps({"record": "event", "event": "RunFinished", "run_id": "r"}) + "\n",
            2,
            "an event record: RunFinished: the field 'status' is missing",
        ),
        (
            "HEADER\n" + json.dumps({"record": "item", "nodeid": "x"}) + "\n",
            2,
            "an item record is incomplete",
        ),
        ("HEADER\n[1, 2]\n", 2, "not a record"),
    ],
)
def test_an_unreadable_file_is_named_with_its_line(
    tmp_path: Path, content: str, where: int, message: str
) -> None:
    good = write_folder(tmp_path / "good", header("s1"), {})
    first_line = (good / RESULTS_NAME).read_text().splitlines()[0]
    path = tmp_path / RESULTS_NAME
    path.write_text(content.replace("HEADER", first_line))
    with pytest.raises(ResultsFileError) as err:
        read_results(path)
    assert str(err.value).startswith(f"{path}:{where}: {message}")
    assert err.value.hint


def test_an_item_knows_its_junit_classname() -> None:
    from results_builders import item

    assert item("a").classname == "runbooks.check_license"
    assert RUNBOOK.endswith(".yaml")
