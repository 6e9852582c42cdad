"""What is wrong with (or worth knowing about) an input file, and where: `RowProblem`, `InputError`.

A position reads like a compiler's, so an operator (or an editor) can jump to it:
- CSV: `users.csv:3:2: row 2: message` (line in the file, column = field number);
- workbook: `users.xlsx:Users!B3: row 2: message`, Excel's own reference (it can be pasted into
  the Name Box to go there); a problem about a whole row points at its column A.
Errors have no prefix (as always); warnings and notes say so: `users.csv:2: warning: ...`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Level = Literal["error", "warning", "note"]
_PLAIN_SHEET = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def column_letter(column: int) -> str:
    """1 -> A, 27 -> AA (Excel's column names)."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def sheet_ref(sheet: str) -> str:
    """The sheet as Excel writes it in a reference: quoted when it holds spaces or punctuation."""
    if _PLAIN_SHEET.fullmatch(sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


@dataclass(frozen=True)
class RowProblem:
    message: str
    hint: str | None = None
    line: int | None = None  # CSV: line in the file, 1-based; workbook: the sheet's row number
    column: int | None = None  # 1-based: the field (CSV) or the sheet's column (workbook)
    row: int | None = None  # data row number
    sheet: str | None = None  # set for a workbook: positions are rendered as Excel references
    level: Level = "error"

    def position(self) -> str:
        """`:3:2`, `:Users!B3`, or `` for a problem about the whole file."""
        if self.line is None:
            return ""
        if self.sheet is not None:
            return f":{sheet_ref(self.sheet)}!{column_letter(self.column or 1)}{self.line}"
        return f":{self.line}" + (f":{self.column}" if self.column is not None else "")

    def render(self, path: str) -> str:
        level = "" if self.level == "error" else f"{self.level}: "
        row = f"row {self.row}: " if self.row is not None else ""
        text = f"{path}{self.position()}: {level}{row}{self.message}"
        return text + (f"\n    hint: {self.hint}" if self.hint else "")


class InputError(Exception):
    """The file is not usable; `problems` lists everything wrong with it, `notices` the warnings
    and notes found on the way (shown first: they often explain the problems)."""

    def __init__(
        self, path: Path, problems: Sequence[RowProblem], notices: Sequence[RowProblem] = ()
    ) -> None:
        self.path = path
        self.problems = list(problems)
        self.notices = list(notices)
        super().__init__(f"{path}: {len(self.problems)} problem(s)")

    def render(self) -> str:
        lines = [p.render(str(self.path)) for p in [*self.notices, *self.problems]]
        count = len(self.problems)
        lines.append(f"{count} problem{'s' if count != 1 else ''} in {self.path}; nothing was run")
        return "\n".join(lines)
