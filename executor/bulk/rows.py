"""The input CSV: read and validated whole before anything runs.

Each data row is one job; its columns are the runbook's params. Every problem in the file is
collected (encoding, header, each row's values, duplicates) and reported at once as
`file:line:column: message` with a hint, so an operator fixes the file in one go; the CLI exits 2
and the portal is never contacted.

Conventions (docs/bulk.md):
- UTF-8 without a byte-order mark. A BOM is refused rather than skipped: the spreadsheet that wrote
  it may also have changed separators or quoting, and a silent fix hides that.
- Row numbers count data rows (1 = the first line after the header), as the portal's import does;
  the line number in the file is given too. Blank lines are skipped.
- Emails are compared and passed on in lower case (the portal stores them so).
- A column `email` stands for the runbook's only email param (`email,target_tier` for
  `downgrade_license`, whose param is `user_email`).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from executor.load.param_values import ParamValueError, coerce
from executor.load.suggest import did_you_mean
from executor.model.runbook import Param, ParamType, Runbook

BOM = b"\xef\xbb\xbf"
EMAIL_ALIAS = "email"
MAX_ROWS = 100_000


@dataclass(frozen=True)
class RowProblem:
    message: str
    hint: str | None = None
    line: int | None = None  # line in the file, 1-based
    column: int | None = None  # 1-based
    row: int | None = None  # data row number

    def render(self, path: str) -> str:
        where = path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {'row ' + str(self.row) + ': ' if self.row is not None else ''}{self.message}"
        return text + (f"\n    hint: {self.hint}" if self.hint else "")


@dataclass(frozen=True)
class InputRow:
    number: int  # 1 = the first data row
    line: int
    params: Mapping[str, Any]  # coerced, by param name
    key: str  # short and unique: folder names, the ledger, progress

    def label(self) -> str:
        return f"row {self.number} ({self.key})"


@dataclass(frozen=True)
class RowSet:
    path: Path
    sha256: str
    columns: tuple[str, ...]  # param names, in the file's order
    rows: tuple[InputRow, ...]
    text: str = field(repr=False, default="")  # the decoded file, copied into the run folder


class InputError(Exception):
    """The file is not usable; `problems` lists everything wrong with it."""

    def __init__(self, path: Path, problems: Sequence[RowProblem]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s)")

    def render(self) -> str:
        lines = [p.render(str(self.path)) for p in self.problems]
        count = len(self.problems)
        lines.append(f"{count} problem{'s' if count != 1 else ''} in {self.path}; nothing was run")
        return "\n".join(lines)


# --- decoding -------------------------------------------------------------------------------------


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes, problems: list[RowProblem]) -> str | None:
    """The text, or None when there is nothing sensible to read (problems say why)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.append(
            RowProblem(
                "the file is UTF-16 encoded",
                "save it as CSV UTF-8 (comma delimited), without a byte-order mark",
                line=1,
            )
        )
        return None
    if data.startswith(BOM):
        problems.append(
            RowProblem(
                "the file starts with a byte-order mark (BOM)",
                "save it as UTF-8 without BOM (a spreadsheet's 'CSV UTF-8' adds one; most editors can remove it)",
                line=1,
                column=1,
            )
        )
        data = data[len(BOM) :]
    if b"\x00" in data:
        where = _line_of(data, data.index(b"\x00"))
        problems.append(RowProblem("the file holds NUL bytes: it is not a text file", line=where))
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        problems.append(
            RowProblem(
                f"the file is not valid UTF-8 (byte 0x{data[err.start]:02x})",
                "save it as UTF-8; the file may be in Latin-1/Windows-1252",
                line=_line_of(data, err.start),
            )
        )
        # Go on with the readable part, so the other problems are reported too.
        return data.decode("utf-8", errors="replace")


# --- columns --------------------------------------------------------------------------------------


def _email_params(runbook: Runbook) -> list[Param]:
    return [p for p in runbook.params if p.type is ParamType.EMAIL]


def _column_param(name: str, runbook: Runbook) -> Param | None:
    param = runbook.param(name)
    if param is None and name == EMAIL_ALIAS and runbook.param(EMAIL_ALIAS) is None:
        emails = _email_params(runbook)
        if len(emails) == 1:
            return emails[0]
    return param


def _check_header(
    header: list[str], runbook: Runbook, fixed: Mapping[str, Any], problems: list[RowProblem]
) -> dict[int, Param]:
    """Column index -> param, for the columns that name one."""
    by_index: dict[int, Param] = {}
    seen: dict[str, int] = {}
    declared = [p.name for p in runbook.params]
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
        sep = next(s for s in (";", "\t", "|") if s in header[0])
        problems.append(
            RowProblem(
                f"one column named {header[0]!r}: the file is not comma-separated",
                f"separate the columns with ',' not {sep!r}",
                line=1,
                column=1,
            )
        )
        return by_index
    for index, raw in enumerate(header):
        name = raw.strip()
        col = index + 1
        if not name:
            hint = f"name it after a param: {', '.join(declared)}"
            problems.append(RowProblem("a column has no name", hint, 1, col))
            continue
        param = _column_param(name, runbook)
        if param is None:
            names = [*declared, *([EMAIL_ALIAS] if _column_param(EMAIL_ALIAS, runbook) else [])]
            hint = did_you_mean(name, names) or f"{runbook.name} takes {', '.join(declared) or 'no params'}"
            problems.append(RowProblem(f"unknown column {name!r}", hint, 1, col))
            continue
        if param.name in seen:
            twice = f"column {name!r} appears twice (columns {seen[param.name]} and {col})"
            problems.append(RowProblem(twice, None, 1, col))
            continue
        if param.name in fixed:
            problems.append(
                RowProblem(f"{param.name!r} is both a column and a --param", "give it in one place", 1, col)
            )
            continue
        seen[param.name] = col
        by_index[index] = param
    for param in runbook.params:
        if param.name in seen or param.name in fixed:
            continue
        if param.required and param.default is None and param.env is None:
            alias = EMAIL_ALIAS if _column_param(EMAIL_ALIAS, runbook) is param else None
            example = ",".join([*(raw.strip() for raw in header if raw.strip()), alias or param.name])
            problems.append(
                RowProblem(
                    f"missing column {param.name!r} ({param.type.value}, required by {runbook.name})",
                    f"add it to the header, e.g. {example}",
                    line=1,
                )
            )
    return by_index


# --- rows -----------------------------------------------------------------------------------------


def _key_param(runbook: Runbook, columns: Mapping[int, Param]) -> Param | None:
    """The column that identifies a row: the first email column, else none (the whole row)."""
    return next((p for p in columns.values() if p.type is ParamType.EMAIL), None)


def _coerce_cell(param: Param, raw: str) -> Any:
    value = raw.strip()
    if value == "":
        if not param.required or param.default is not None:
            return param.default
        choices = f": one of {', '.join(param.values)}" if param.values else ""
        raise ParamValueError(f"{param.name!r} is empty", f"a required {param.type.value}{choices}")
    if param.type is ParamType.EMAIL:
        value = value.lower()
    return coerce(param, value)


def read_rows(path: Path, runbook: Runbook, fixed: Mapping[str, Any] | None = None) -> RowSet:
    """Validate the whole file against the runbook's params; raise InputError listing every problem."""
    fixed = dict(fixed or {})
    problems: list[RowProblem] = []
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(path, [RowProblem(f"cannot read the file: {err.strerror or err}")]) from None
    digest = hashlib.sha256(data).hexdigest()
    text = decode(data, problems)
    if text is None:
        raise InputError(path, problems)
    if not text.strip():
        header_hint = ",".join(p.name for p in runbook.params if p.required and p.default is None)
        problems.append(
            RowProblem("the file is empty", f"the first line names the columns, e.g. {header_hint}", line=1)
        )
        raise InputError(path, problems)

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = [(reader.line_num, rec) for rec in reader]
    except csv.Error as err:
        problems.append(RowProblem(f"the CSV cannot be parsed: {err}", "check the quotes", line=reader.line_num))
        raise InputError(path, problems) from None
    records = [(line, rec) for line, rec in records if any(cell.strip() for cell in rec)]
    header_line, header = records[0]
    columns = _check_header(header, runbook, fixed, problems)
    body = records[1:]
    if not body:
        problems.append(RowProblem("the file has a header but no data rows", None, line=header_line + 1))
    if len(body) > MAX_ROWS:
        problems.append(RowProblem(f"{len(body)} rows: more than {MAX_ROWS}", "split the file"))

    key_param = _key_param(runbook, columns)
    key_column = next((i + 1 for i, p in columns.items() if p is key_param), None)
    rows: list[InputRow] = []
    by_key: dict[str, int] = {}
    by_content: dict[tuple[Any, ...], int] = {}
    for number, (line, record) in enumerate(body, start=1):
        if len(record) != len(header):
            problems.append(
                RowProblem(f"expected {len(header)} columns, found {len(record)}", None, line, None, number)
            )
            continue
        params: dict[str, Any] = dict(fixed)
        ok = True
        for index, param in columns.items():
            try:
                params[param.name] = _coerce_cell(param, record[index])
            except ParamValueError as err:
                problems.append(RowProblem(err.message, err.hint, line, index + 1, number))
                ok = False
        if not ok:
            continue
        content = tuple(sorted((k, str(v)) for k, v in params.items()))
        if content in by_content:
            problems.append(
                RowProblem(f"same as row {by_content[content]}", "remove the duplicate", line, None, number)
            )
            continue
        by_content[content] = number
        key = str(params[key_param.name]) if key_param is not None else f"row{number}"
        if key_param is not None and key in by_key:
            problems.append(
                RowProblem(
                    f"{key} is already in row {by_key[key]}",
                    "one row per " + key_param.name + ": two rows for one user would fight",
                    line,
                    key_column,
                    number,
                )
            )
            continue
        by_key[key] = number
        rows.append(InputRow(number=number, line=line, params=params, key=key))
    if problems:
        raise InputError(path, problems)
    names = tuple(p.name for p in columns.values())
    return RowSet(path=path, sha256=digest, columns=names, rows=tuple(rows), text=text)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
