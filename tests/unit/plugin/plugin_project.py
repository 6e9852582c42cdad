"""A small QA project inside a pytester folder: the repo's selectors and shared runbooks, plus a
runbook of the test's own (by default `check_license`, which only reads the user page: fast, and
nothing to undo)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

CHECK_LICENSE = """\
name: check_license
description: Read a user's license on the user page and check it.
params:
  user_email: {type: email}
  tier: {type: enum, values: [Eco, Advanced, Pro]}
steps:
  - goto: /
    name: Open the portal
    screenshot: none
  - use: open_user_page
    name: Open the user page
  - expect:
      - text: {target: users.license_of, args: {email: "{{ params.user_email }}"}, equals: "{{ params.tier }}"}
        message: "{{ params.user_email }} does not hold {{ params.tier }}"
    name: The user holds {{ params.tier }}
tests:
%s
"""

PASSING_EXAMPLES = """\
  - name: pro_user
    params: {user_email: user03@acme.example, tier: Pro}
    expect_state:
      users: {user03@acme.example: Pro}
      monthly_bill_delta: 0
  - name: refuses_a_wrong_tier
    params: {user_email: user03@acme.example, tier: Eco}
    outcome: failed
"""


def make_project(
    pytester: pytest.Pytester, examples: str = PASSING_EXAMPLES, *, runbook: str | None = None
) -> Path:
    """selectors/, runbooks/_shared/ and co (from the repo) and runbooks/check_license.yaml."""
    shutil.copytree(REPO / "selectors", pytester.path / "selectors")
    for pieces in (REPO / "runbooks").glob("_*"):  # _shared/ and the like: what runbooks `use`
        shutil.copytree(pieces, pytester.path / "runbooks" / pieces.name)
    path = pytester.path / "runbooks" / "check_license.yaml"
    path.write_text(runbook if runbook is not None else CHECK_LICENSE % examples.rstrip())
    return path


def line_of(path: Path, text: str) -> int:
    """1-based number of the first line containing `text`."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)
