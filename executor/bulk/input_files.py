"""An input file as a table of text cells: a CSV in the encodings and with the separators
spreadsheets write, or one sheet of an .xlsx workbook.

What the cells mean (which columns are params, each row's values) is rows.py's business; this
module answers "which cells, where", says what it had to guess (the encoding: a warning) and
what it could not read (problems). The format is told from the content, not the file name: the
run folder keeps the input as `input.csv` whatever it was, and resume reads that copy.

- CSV: UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8" writes one); else
  Windows-1252 (Excel's plain "CSV" on a Western Windows), with a warning listing the
  non-ASCII characters that reading gave. UTF-16, a mix of encodings, binary: problems. Never a
  silent replacement character.
- The separator is `,`, `;` (a French or German Excel) or a tab, chosen on the header line: the
  one that splits it into the most names of params, then into the most fields (ties: `,` first).
  The header has to name the params anyway, so this is decidable where csv.Sniffer guesses from
  the data (and happily picks a letter).
- Workbook: the first sheet or the one named; values, not formulas (a formula cell or an error
  value is refused); numbers as the text a person would type (3, not 3.0); empty rows and
  columns left out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from executor.bulk.input_problems import Level, RowProblem
from executor.load.suggest import did_you_mean

BOM = b"\xef\xbb\xbf"
ZIP = b"PK\x03\x04"  # .xlsx is a zip archive
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx
DELIMITERS = (",", ";", "\t")  # in order of preference on a tie
CP1252 = "Windows-1252 (cp1252)"
SAVE_AS = "save it as 'CSV UTF-8' (Excel: File > Save As > CSV UTF-8) or as an .xlsx workbook"

# A well-formed UTF-8 multi-byte sequence. Windows-1252 text almost never holds one ("Ã©"), so a
# file that has one *and* is not valid UTF-8 mixes two encodings (two files pasted together).
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, LF and CR are text
_MAX_SHOWN = 12  # characters listed in the Windows-1252 warning


@dataclass(frozen=True)
class Record:
    """One non-blank row: cells as text, from the first column (a workbook's rows are padded)."""

    line: int  # CSV: the line in the file where the record ends; workbook: the sheet's row number
    cells: tuple[str, ...]
    refused: Mapping[int, tuple[str, str]] = field(default_factory=dict)  # cell index -> (message, hint)


@dataclass(frozen=True)
class Table:
    records: tuple[Record, ...]  # header first; blank rows left out
    delimiter: str | None = None  # a CSV's
    sheet: str | None = None  # a workbook's: positions are rendered as Excel references

    def problem(
        self,
        message: str,
        hint: str | None = None,
        line: int | None = None,
        column: int | None = None,
        row: int | None = None,
        level: Level = "error",
    ) -> RowProblem:
        return RowProblem(message, hint, line, column, row, self.sheet, level)


def read_table(
    data: bytes,
    problems: list[RowProblem],
    notices: list[RowProblem],
    *,
    sheet: str | None = None,
    is_param: Callable[[str], bool] = lambda name: False,
) -> Table | None:
    """The file's table, or None when nothing sensible can be read (`problems` say why).

    `sheet` picks a workbook's sheet (a problem for a CSV); `is_param` tells a header name that
    names a param, to choose a CSV's separator. Warnings and notes go to `notices`.
    """
    if data.startswith(ZIP):
        return _read_workbook(data, sheet, problems, notices)
    if data.startswith(OLE2):
        problems.append(
            RowProblem(
                "the file is an Excel 97-2003 workbook (.xls) or a password-protected one: neither is read",
                "save it as 'Excel Workbook (.xlsx)' without a password, or as 'CSV UTF-8'",
            )
        )
        return None
    if sheet is not None:
        problems.append(
            RowProblem(
                f"--sheet {sheet!r} names a sheet, but the file is a CSV, not a workbook", "drop --sheet"
            )
        )
        return None
    text = decode(data, problems, notices)
    if text is None:
        return None
    delimiter = detect_delimiter(text, is_param)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[Record] = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append(Record(reader.line_num, tuple(cells)))
    except csv.Error as err:
        problems.append(
            RowProblem(f"the CSV cannot be parsed: {err}", "check the quotes", line=reader.line_num)
        )
        return None
    return Table(tuple(records), delimiter=delimiter)


# --- CSV: encoding --------------------------------------------------------------------------------


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes, problems: list[RowProblem], notices: list[RowProblem]) -> str | None:
    """The text (UTF-8, else Windows-1252 with a warning in `notices`), or None when the bytes
    are not text in either (`problems` say why)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.append(RowProblem("the file is UTF-16 encoded", SAVE_AS, line=1))
        return None
    data = data.removeprefix(BOM)  # Excel's "CSV UTF-8" writes one: it says UTF-8, nothing more
    if b"\x00" in data:
        where = _line_of(data, data.index(b"\x00"))
        hint = f"a UTF-16 export ('Unicode Text') has them: {SAVE_AS}"
        problems.append(RowProblem("the file holds NUL bytes: it is not a text file", hint, line=where))
        return None
    guessed: list[RowProblem] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        text_or_none = _windows_1252(data, err.start, problems, guessed)
        if text_or_none is None:
            return None
        text = text_or_none
    control = _CONTROL.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        message = f"the file holds a control character (0x{ord(control.group()):02x}): it is not a text file"
        problems.append(RowProblem(message, SAVE_AS, line=line))
        return None
    notices += guessed  # only about text: a binary file gets no word on its "letters"
    return text


def _windows_1252(data: bytes, bad: int, problems: list[RowProblem], notices: list[RowProblem]) -> str | None:
    line, byte = _line_of(data, bad), f"0x{data[bad]:02x}"
    utf8 = _UTF8_SEQUENCE.search(data)
    if utf8 is not None:
        problems.append(
            RowProblem(
                f"the file mixes encodings: line {_line_of(data, utf8.start())} is UTF-8, "
                f"line {line} is not (byte {byte})",
                f"check both lines (pasted from two files?), then {SAVE_AS}",
                line=line,
            )
        )
        return None
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as err:  # 0x81, 0x8d, 0x8f, 0x90, 0x9d mean nothing in Windows-1252
        problems.append(
            RowProblem(
                f"the file is neither UTF-8 nor {CP1252} text (byte 0x{data[err.start]:02x})",
                SAVE_AS,
                line=_line_of(data, err.start),
            )
        )
        return None
    # The guess is shown, not hidden: the operator sees what the accented letters became.
    shown = list(dict.fromkeys(ch for ch in text if ord(ch) > 0x7F))
    listed = " ".join(shown[:_MAX_SHOWN]) + (" ..." if len(shown) > _MAX_SHOWN else "")
    notices.append(
        RowProblem(
            f"the file is not UTF-8 (byte {byte}): read as {CP1252}, which gives {listed}",
            "if these letters look wrong, save the file as 'CSV UTF-8' (Excel) and run again",
            line=line,
            level="warning",
        )
    )
    return text


# --- CSV: separator -------------------------------------------------------------------------------


def detect_delimiter(text: str, is_param: Callable[[str], bool]) -> str:
    """`,`, `;` or a tab: the one that splits the header line into the most param names, then into
    the most fields; `,` for a one-column file."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    best, best_score = DELIMITERS[0], (0, 0)
    for delimiter in DELIMITERS:
        try:
            fields = next(csv.reader([header], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        named = sum(1 for name in fields if is_param(name.strip()))
        score = (named, len(fields) if len(fields) > 1 else 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# --- workbooks ------------------------------------------------------------------------------------


def _read_workbook(
    data: bytes, sheet: str | None, problems: list[RowProblem], notices: list[RowProblem]
) -> Table | None:
    import openpyxl  # here: a CSV run does not pay for importing it

    try:
        # read_only streams the sheet; data_only=False keeps formulas as formulas, to refuse them.
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as err:  # noqa: BLE001 - openpyxl raises KeyError, BadZipFile, AttributeError, ...
        problems.append(
            RowProblem(
                f"the file is a zip archive but cannot be read as an Excel workbook (.xlsx): {err}",
                "an OpenDocument (.ods) or other archive is not a workbook: " + SAVE_AS,
            )
        )
        return None
    try:
        sheets = [ws.title for ws in book.worksheets]  # sheets of cells (not chart sheets)
        if not sheets:
            problems.append(RowProblem("the workbook has no sheet of cells", SAVE_AS))
            return None
        if sheet is None:
            name = sheets[0]
            if len(sheets) > 1:
                notices.append(
                    RowProblem(
                        f"read sheet {name!r}, the first of {len(sheets)} ({', '.join(sheets)}); "
                        "choose another with --sheet NAME",
                        level="note",
                    )
                )
        elif sheet in sheets:
            name = sheet
        else:
            listed = f"the workbook's sheets: {', '.join(sheets)}"
            close = did_you_mean(sheet, sheets)
            what = "a chart, not a sheet of cells" if sheet in book.sheetnames else "no sheet of that name"
            problems.append(
                RowProblem(f"--sheet {sheet!r}: {what}", f"{close} ({listed})" if close else listed)
            )
            return None
        return Table(_sheet_records(book[name]), sheet=name)
    finally:
        book.close()


def _sheet_records(ws: Any) -> tuple[Record, ...]:
    # A producer's <dimension> can be wrong ("A1"); read-only mode would trust it and cut rows off
    # silently. Without it, rows are read to the end of the sheet.
    ws.reset_dimensions()
    texts: dict[int, dict[int, str]] = {}
    refused: dict[int, dict[int, tuple[str, str]]] = {}
    for cells in ws.iter_rows():
        for cell in cells:
            if cell.value is None:  # an empty cell (EmptyCell has no coordinates)
                continue
            row, column = cell.row, cell.column
            if cell.data_type == "f":
                formula = str(getattr(cell.value, "text", None) or cell.value)
                shown = formula if len(formula) <= 40 else formula[:37] + "..."
                refused.setdefault(row, {})[column] = (
                    f"the cell holds a formula ({shown})",
                    "keep values only: copy the cells, then Paste Special > Values",
                )
                texts.setdefault(row, {})[column] = formula
            elif cell.data_type == "e":
                refused.setdefault(row, {})[column] = (
                    f"the cell holds an error value ({cell.value})",
                    "fix the formula it came from, or type the value",
                )
                texts.setdefault(row, {})[column] = str(cell.value)
            else:
                texts.setdefault(row, {})[column] = cell_text(cell.value)
    filled = [(r, c) for r, row in texts.items() for c, text in row.items() if text.strip()]
    filled += [(r, c) for r, row in refused.items() for c in row]
    width = max((c for _, c in filled), default=0)  # empty trailing columns are left out
    records = []
    for row in sorted({r for r, _ in filled}):
        cells = tuple(texts.get(row, {}).get(c, "") for c in range(1, width + 1))
        records.append(Record(row, cells, {c - 1: why for c, why in refused.get(row, {}).items()}))
    return tuple(records)


def cell_text(value: Any) -> str:
    """A cell's value as the text a person would have typed: 3 (not 3.0), true, 2024-05-01."""
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")  # Excel keeps 15 significant digits; repr would show 0.30000000000000004
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)
