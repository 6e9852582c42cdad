"""The one redaction set."""

from __future__ import annotations

from executor.redaction import MASK, Redactor


def test_masks_every_occurrence() -> None:
    r = Redactor(["hunter2"])
    assert r.redact("pw=hunter2; again hunter2") == f"pw={MASK}; again {MASK}"


def test_longest_secret_wins() -> None:
    r = Redactor(["abc", "abcdef"])
    assert r.redact("xabcdefx abc") == f"x{MASK}x {MASK}"


def test_short_values_are_not_secrets() -> None:
    r = Redactor(["12", "", "ok!"])
    assert r.secrets == frozenset({"ok!"})
    assert r.redact("12 ok!") == f"12 {MASK}"


def test_empty_redactor_is_identity_and_falsy() -> None:
    r = Redactor()
    assert not r
    assert r.redact("anything") == "anything"
    obj = {"a": ["b"]}
    assert r.redact_obj(obj) is obj


def test_add_later() -> None:
    r = Redactor()
    r.add("s3cret")
    assert r and r.redact("s3cret!") == f"{MASK}!"


def test_redact_obj_walks_containers() -> None:
    r = Redactor(["s3cret"])
    data = {"s3cret-key": ["x s3cret", ("s3cret", 3)], "n": 1, "set": {"s3cret"}}
    assert r.redact_obj(data) == {f"{MASK}-key": [f"x {MASK}", (MASK, 3)], "n": 1, "set": {MASK}}


def test_regex_characters_in_secrets_are_literal() -> None:
    r = Redactor(["a.b*c"])
    assert r.redact("a.b*c axbbc") == f"{MASK} axbbc"
