"""Small builders for the bulk unit tests (no browser, no portal)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from executor.bulk.journal import OpRecord
from executor.bulk.portal_state import PoolLine, PortalState
from executor.bulk.rows import InputRow
from executor.model.runbook import Param, ParamType, Runbook

PRICES = {"Eco": 900, "Advanced": 1900, "Pro": 2900}


def downgrade_runbook() -> Runbook:
    return Runbook(
        name="downgrade_license",
        params=(
            Param(name="user_email", type=ParamType.EMAIL),
            Param(name="target_tier", type=ParamType.ENUM, values=("Eco", "Advanced")),
        ),
    )


def state(users: dict[str, str | None], free: dict[str, int] | None = None) -> PortalState:
    free = free or {}
    pool = {}
    for tier, price in PRICES.items():
        assigned = sum(1 for t in users.values() if t == tier)
        pool[tier] = PoolLine(tier, price, assigned + free.get(tier, 0), assigned, free.get(tier, 0))
    return PortalState(users=dict(users), pool=pool)


def rows(*pairs: tuple[str, str]) -> list[InputRow]:
    return [
        InputRow(number=i, line=i + 1, params={"user_email": email, "target_tier": tier}, key=email)
        for i, (email, tier) in enumerate(pairs, start=1)
    ]


def op(kind: str, outcome: str | None = "done", **fields: Any) -> OpRecord:
    intent = fields.pop("intent", {})
    return OpRecord(
        id=fields.pop("id", 1),
        kind=kind,  # type: ignore[arg-type]
        row=fields.pop("row", None),
        tier=fields.pop("tier", None),
        quantity=fields.pop("quantity", None),
        phase=None,
        intent=intent,
        intent_at=0.0,
        outcome=outcome,  # type: ignore[arg-type]
        outcome_detail=None,
        outcome_at=None,
        verified=False,
    )


HEADER = ["email", "target_tier", "name", "department"]
ROWS = [  # input rows: those of csv/extra_columns.csv, excel_utf8.csv and excel_windows1252.csv
    ["user01@acme.example", "Eco", "Benoît Lefèvre", "Comptabilité"],
    ["user02@acme.example", "Advanced", "Hélène Dubois", "R&D"],
    ["USER03@acme.example", "Eco", "Zoë Martin", "Ventes"],
]


def workbook(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    """An .xlsx at `path` with these sheets (title -> rows), in this order."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path
