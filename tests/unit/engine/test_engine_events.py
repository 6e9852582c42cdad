"""The event bus, redaction of events, and the action registry (no browser)."""

from __future__ import annotations

import structlog
from engine_builders import synthetic_events

from executor import actions
from executor.actions.assertions import KINDS
from executor.events import Bus, Recorder, StepFinished, redact_event, to_dict
from executor.model.runbook import ACTION_ARGS, AssertionKind
from executor.redaction import Redactor


class Collect:
    def __init__(self, name: str, seen: list[str]) -> None:
        self.name, self.seen = name, seen

    def on_event(self, event: object) -> None:
        self.seen.append(f"{self.name}:{type(event).__name__}")


class Broken:
    def on_event(self, event: object) -> None:
        raise RuntimeError("report disk full")


def test_bus_delivers_in_subscription_order() -> None:
    seen: list[str] = []
    bus = Bus([Collect("a", seen)])
    bus.subscribe(Collect("b", seen))
    for e in synthetic_events()[:2]:
        bus.emit(e)
    assert seen == ["a:RunStarted", "b:RunStarted", "a:JobStarted", "b:JobStarted"]


def test_a_broken_listener_is_logged_and_does_not_stop_the_others() -> None:
    rec = Recorder()
    bus = Bus([Broken(), rec])
    with structlog.testing.capture_logs() as logs:
        bus.emit(synthetic_events()[0])
    assert len(rec.events) == 1
    assert len(bus.errors) == 1 and str(bus.errors[0][2]) == "report disk full"
    assert logs[0]["event"] == "listener_failed" and logs[0]["listener"] == "Broken"


def test_unsubscribe_and_recorder_filter() -> None:
    rec = Recorder()
    bus = Bus([rec])
    events = synthetic_events()
    bus.emit(events[3])
    bus.unsubscribe(rec)
    bus.emit(events[4])
    assert rec.of(StepFinished) == [events[3]]


def test_events_are_plain_data() -> None:
    data = to_dict(synthetic_events()[3])
    assert data["event"] == "StepFinished"
    assert data["matches"][0]["candidate_index"] == 1
    assert data["timings"] == {"act_ms": 40, "assert_ms": 5, "screenshot_ms": 20, "total_ms": 70}


def test_redact_event_masks_every_string_in_nested_fields() -> None:
    secret = "hunter2-secret"
    redactor = Redactor([secret])
    for event in synthetic_events(secret=secret):
        clean = redact_event(event, redactor)
        assert secret not in repr(clean)
        assert type(clean) is type(event)
    step = redact_event(synthetic_events(secret=secret)[4], redactor)
    assert step.step == {"args": {"value": "***"}} and "value: ***" in step.yaml


def test_redact_event_without_secrets_is_the_same_object() -> None:
    event = synthetic_events()[3]
    assert redact_event(event, Redactor()) is event


def test_every_action_of_the_language_is_implemented() -> None:
    assert set(actions.REGISTRY) == set(ACTION_ARGS)


def test_every_assertion_kind_is_implemented() -> None:
    assert set(KINDS) == set(AssertionKind.__args__)  # type: ignore[attr-defined]


def test_capabilities_are_declared() -> None:
    reg = actions.REGISTRY
    # acting on an element changes state, and can be dry-run (resolved without acting)
    for name in ("click", "check", "uncheck", "fill", "select", "press"):
        assert reg[name].changes_state and reg[name].supports_dry_run, name
    # reading and waiting change nothing
    for name in ("goto", "hover", "wait_for", "expect", "extract", "set", "screenshot", "fail"):
        assert not reg[name].changes_state, name
    # a sub-runbook is judged step by step, not as a whole
    assert reg["use"].changes_state and not reg["use"].supports_dry_run
    assert all(spec.supports_dry_run for spec in reg.values() if not spec.changes_state)


def test_unknown_action_names_the_known_ones() -> None:
    try:
        actions.get("tap")
    except actions.UnknownAction as err:
        assert "no action named 'tap' (known: check, click," in str(err)
    else:  # pragma: no cover
        raise AssertionError("expected UnknownAction")
