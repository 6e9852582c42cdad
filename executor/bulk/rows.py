"""The bulk input: read and validated whole before anything runs.

Each data row is one job; the columns named after the runbook's params give its params. Every
problem in the file is collected (encoding, header, each row's values, duplicates) and reported
at once as `file:line:column: message` with a hint (a workbook: `file.xlsx:Sheet!B3: ...`), so an
operator fixes the file in one go; the CLI exits 2 and the portal is never contacted.

Conventions (docs/bulk.md):
- The file is what a spreadsheet writes (input_files.py): CSV in UTF-8 with or without BOM, or
  Windows-1252 (a warning), separated by `,`, `;` or tabs, CRLF or LF; or an .xlsx sheet.
- Row numbers count data rows (1 = the first non-blank row after the header), as the portal's
  import does; the line (a sheet's row) is given too. Blank lines and empty rows are skipped.
- Emails are compared and passed on in lower case (the portal stores them so).
- A column `email` stands for the runbook's only email param (`email,target_tier` for
  `downgrade_license`, whose param is `user_email`).
- A column that names no param is an *extra* column (a name, a department): kept in results.csv
  beside its row, otherwise ignored, and listed in one note. Unless its name is close to a param
  the file does not give (`mail` when there is no email column, `target_teir`): that is taken for
  a typo, an error with "did you mean". Close to a param that another column gives
  (`current_tier` beside `target_tier`), it cannot stand for it: it is extra.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from executor.bulk.input_files import Record, Table, read_table
from executor.bulk.input_problems import InputError, RowProblem
from executor.load.param_values import ParamValueError, coerce
from executor.load.suggest import closest, quoted_list
from executor.model.runbook import Param, ParamType, Runbook

__all__ = ["EMAIL_ALIAS", "InputError", "InputRow", "RowProblem", "RowSet", "read_rows"]

EMAIL_ALIAS = "email"
MAX_ROWS = 100_000
@dataclass(frozen=True)
class InputRow:
    number: int  # 1 = the first data row
    line: int  # the line in a CSV, the row number in a sheet
    params: Mapping[str, Any]  # coerced, by param name
    key: str  # short and unique: folder names, the ledger, progress
    extra: tuple[str, ...] = ()  # the cells of RowSet.extra_columns, as read

    def label(self) -> str:
        return f"row {self.number} ({self.key})"


@dataclass(frozen=True)
class RowSet:
    path: Path
    sha256: str  # of the file's bytes as given (resume compares the original and the run's copy with it)
    columns: tuple[str, ...]  # param names, in the file's order
    rows: tuple[InputRow, ...]
    # What was read, as a UTF-8 CSV (',' and LF; header and data rows, extra columns too): what a
    # workbook or a Windows-1252 file said, in the form every tool reads. Reading it again gives
    # the same rows.
    text: str = field(repr=False, default="")
    extra_columns: tuple[str, ...] = ()  # columns that name no param, in the file's order
    notices: tuple[RowProblem, ...] = ()  # warnings and notes (also passed to `notify`)
    sheet: str | None = None  # the sheet read, for a workbook


def show_notice(text: str) -> None:
    """The default `notify`: the operator reads warnings where the problems would have been."""
    print(text, file=sys.stderr)


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


def _squashed(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _typo_of(name: str, missing: Sequence[Param], runbook: Runbook) -> list[tuple[str, Param]]:
    """The missing params `name` probably meant: close in spelling (suggest.closest), or one name
    holding the other (`tier` / `target_tier`, `email_address` / `email`)."""
    choices: dict[str, Param] = {p.name: p for p in missing}
    alias = _column_param(EMAIL_ALIAS, runbook)
    if alias is not None and alias in missing:
        choices.setdefault(EMAIL_ALIAS, alias)
    word = _squashed(name)

    def holds(choice: str) -> bool:
        short, long = sorted((word, _squashed(choice)), key=len)
        return len(short) >= 3 and short in long

    found = [*closest(name, choices), *(c for c in choices if holds(c))]
    return [(c, choices[c]) for c in dict.fromkeys(found)][:3]


@dataclass(frozen=True)
class _Columns:
    params: dict[int, Param]  # cell index -> param
    extras: dict[int, str]  # cell index -> column name


def _check_header(
    header: Record,
    body: Sequence[Record],
    table: Table,
    runbook: Runbook,
    fixed: Mapping[str, Any],
    problems: list[RowProblem],
) -> _Columns:
    params: dict[int, Param] = {}
    seen: dict[str, int] = {}
    unknown: list[tuple[int, str]] = []
    declared = [p.name for p in runbook.params]
    line = header.line
    if table.delimiter is not None and len(header.cells) == 1 and "|" in header.cells[0]:
        problems.append(
            table.problem(
                f"one column named {header.cells[0]!r}: columns are separated by ',', ';' or a tab",
                "separate the columns with ',' (or ';', or a tab), not '|'",
                line,
                1,
            )
        )
        return _Columns({}, {})
    for index, raw in enumerate(header.cells):
        name = raw.strip()
        col = index + 1
        if index in header.refused:
            message, hint = header.refused[index]
            problems.append(table.problem(message, hint, line, col))
            continue
        if not name:
            # Excel saves a column it once held (or a trailing separator) as an empty one: harmless.
            if any(index < len(r.cells) and (r.cells[index].strip() or index in r.refused) for r in body):
                hint = f"name it: after a param ({', '.join(declared)}), or anything else to keep it aside"
                problems.append(table.problem("a column has no name", hint, line, col))
            continue
        param = _column_param(name, runbook)
        if param is None:
            unknown.append((index, name))
            continue
        if param.name in seen:
            twice = f"column {name!r} appears twice (columns {seen[param.name]} and {col})"
            problems.append(table.problem(twice, None, line, col))
            continue
        if param.name in fixed:
            problems.append(
                table.problem(
                    f"{param.name!r} is both a column and a --param", "give it in one place", line, col
                )
            )
            continue
        seen[param.name] = col
        params[index] = param
    missing = [p for p in runbook.params if p.name not in seen and p.name not in fixed]
    meant: set[str] = set()
    extras: dict[int, str] = {}
    for index, name in unknown:
        guesses = _typo_of(name, missing, runbook)
        if not guesses:
            extras[index] = name
            continue
        meant |= {p.name for _, p in guesses}
        why = "a name this close to a missing param's is taken for a typo"
        hint = f"did you mean {quoted_list(c for c, _ in guesses)}? ({why})"
        problems.append(table.problem(f"unknown column {name!r}", hint, line, index + 1))
    for param in missing:
        if param.name in meant:  # the typo's "did you mean" says it already
            continue
        if param.required and param.default is None and param.env is None:
            alias = EMAIL_ALIAS if _column_param(EMAIL_ALIAS, runbook) is param else None
            if table.delimiter in (",", ";"):
                names = [*(raw.strip() for raw in header.cells if raw.strip()), alias or param.name]
                hint = f"add it to the header, e.g. {table.delimiter.join(names)}"
            else:  # a tab in an example is invisible; a workbook has no separator
                hint = f"add a column named {alias or param.name!r} to the header"
            problems.append(
                table.problem(
                    f"missing column {param.name!r} ({param.type.value}, required by {runbook.name})",
                    hint,
                    line,
                )
            )
    return _Columns(params, extras)


def _extras_note(names: Sequence[str], runbook: Runbook, table: Table, line: int) -> RowProblem:
    listed = ", ".join(names)
    what = f"columns {listed} are not params" if len(names) > 1 else f"column {listed} is not a param"
    return table.problem(
        f"{what} of {runbook.name}: kept in results.csv, otherwise ignored", line=line, level="note"
    )


# --- rows -----------------------------------------------------------------------------------------


def _key_param(columns: Mapping[int, Param]) -> Param | None:
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


def _as_csv(records: Sequence[Record]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for record in records:
        writer.writerow(record.cells)
    return out.getvalue()


def read_rows(
    path: Path,
    runbook: Runbook,
    fixed: Mapping[str, Any] | None = None,
    *,
    sheet: str | None = None,
    notify: Callable[[str], None] | None = show_notice,
) -> RowSet:
    """Validate the whole file (CSV or .xlsx) against the runbook's params.

    `fixed`: `--param` values, the same for every row;
    `sheet`: a workbook's sheet (default: the first).
    Returns the RowSet: the rows in file order (params coerced, extra cells as read), the param
    and extra column names, the sha256 of the bytes, the normalised text, the notices; each
    notice is also passed to `notify`, rendered (`users.csv:2: warning: ...`).
    Raises InputError listing every problem (and the notices, not passed to `notify`) otherwise.
    """
    fixed = dict(fixed or {})
    problems: list[RowProblem] = []
    notices: list[RowProblem] = []
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(path, [RowProblem(f"cannot read the file: {err.strerror or err}")]) from None
    digest = hashlib.sha256(data).hexdigest()
    table = read_table(
        data, problems, notices, sheet=sheet, is_param=lambda name: _column_param(name, runbook) is not None
    )
    if table is None:
        raise InputError(path, problems, notices)
    if not table.records:
        names = [p.name for p in runbook.params if p.required and p.default is None]
        if table.sheet is None:
            problems.append(
                table.problem(
                    "the file is empty", f"the first line names the columns, e.g. {','.join(names)}", 1
                )
            )
        else:
            empty = f"the sheet {table.sheet!r} is empty"
            problems.append(table.problem(empty, f"the first row names the columns: {', '.join(names)}", 1))
        raise InputError(path, problems, notices)

    header, body = table.records[0], table.records[1:]
    columns = _check_header(header, body, table, runbook, fixed, problems)
    extras = columns.extras
    if extras:
        notices.append(_extras_note(list(extras.values()), runbook, table, header.line))
    if not body:
        problems.append(table.problem("the file has a header but no data rows", None, header.line + 1))
    if len(body) > MAX_ROWS:
        problems.append(table.problem(f"{len(body)} rows: more than {MAX_ROWS}", "split the file"))

    key_param = _key_param(columns.params)
    key_column = next((i + 1 for i, p in columns.params.items() if p is key_param), None)
    rows: list[InputRow] = []
    by_key: dict[str, int] = {}
    by_content: dict[tuple[Any, ...], int] = {}
    for number, record in enumerate(body, start=1):
        line = record.line
        if len(record.cells) != len(header.cells):
            problems.append(
                table.problem(
                    f"expected {len(header.cells)} columns, found {len(record.cells)}",
                    None,
                    line,
                    None,
                    number,
                )
            )
            continue
        ok = True
        for index, (message, hint) in sorted(record.refused.items()):
            if index in columns.params or index in extras:
                problems.append(table.problem(message, hint, line, index + 1, number))
                ok = False
        params: dict[str, Any] = dict(fixed)
        for index, param in columns.params.items():
            if index in record.refused:
                continue
            try:
                params[param.name] = _coerce_cell(param, record.cells[index])
            except ParamValueError as err:
                problems.append(table.problem(err.message, err.hint, line, index + 1, number))
                ok = False
        if not ok:
            continue
        content = tuple(sorted((k, str(v)) for k, v in params.items()))
        if content in by_content:
            problems.append(
                table.problem(
                    f"same as row {by_content[content]}", "remove the duplicate", line, None, number
                )
            )
            continue
        by_content[content] = number
        key = str(params[key_param.name]) if key_param is not None else f"row{number}"
        if key_param is not None and key in by_key:
            problems.append(
                table.problem(
                    f"{key} is already in row {by_key[key]}",
                    "one row per " + key_param.name + ": two rows for one user would fight",
                    line,
                    key_column,
                    number,
                )
            )
            continue
        by_key[key] = number
        extra = tuple(record.cells[i] for i in extras)
        rows.append(InputRow(number=number, line=line, params=params, key=key, extra=extra))
    if problems:
        raise InputError(path, problems, notices)
    if notify is not None:
        for notice in notices:
            notify(notice.render(str(path)))
    return RowSet(
        path=path,
        sha256=digest,
        columns=tuple(p.name for p in columns.params.values()),
        rows=tuple(rows),
        text=_as_csv(table.records),
        extra_columns=tuple(extras.values()),
        notices=tuple(notices),
        sheet=table.sheet,
    )


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
