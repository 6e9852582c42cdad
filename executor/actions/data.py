"""Reading values from the page into `vars`: extract, set."""

from __future__ import annotations

import re
from typing import Any

from executor.actions.base import ActionError, StepContext, action
from executor.engine.locate import LocatorNotFound
from executor.engine.wording import WordingError, canonical
from executor.model.catalogue import Column
from executor.model.runbook import ExtractArgs, SetArgs
from executor.numbers import NumberError, parse_number

# Header texts from <thead> (else the first row), then one {header: cell text} per body row. A cell
# is a <th> (the row header) or a <td>; texts are trimmed and their whitespace collapsed. One call
# into the page: reading a 1,000-row table cell by cell through the driver would take minutes.
_READ_TABLE = """table => {
  // textContent, not innerText: the text as written, before CSS (an uppercase header stays "Email").
  const clean = el => (el.textContent || '').replace(/\\s+/g, ' ').trim();
  const cells = row => Array.from(row.children).filter(c => c.tagName === 'TH' || c.tagName === 'TD');
  const rows = Array.from(table.rows);
  const head = table.tHead && table.tHead.rows.length ? table.tHead.rows[0] : rows[0];
  if (!head) return [];
  const names = cells(head).map((c, i) => clean(c) || `column ${i + 1}`);
  return rows.filter(r => r !== head && (!table.tHead || !table.tHead.contains(r))).map(r => {
    const out = {};
    cells(r).forEach((c, i) => { out[names[i] || `column ${i + 1}`] = clean(c); });
    return out;
  });
}"""


async def _read_table(ctx: StepContext, args: ExtractArgs) -> list[dict[str, Any]]:
    """Rows as {header: text}; for a table entry that declares its `columns`, rows as {column key:
    value}: headers found in any of the portal's wordings, labels turned into canonical values,
    numbers read in the run's locale."""
    assert args.target is not None
    locator = await ctx.locate(args.target)
    rows = await locator.evaluate(_READ_TABLE, timeout=ctx.timeout_ms())
    if not isinstance(rows, list):
        raise ActionError(f"{args.target.describe()} is not a table")
    raw = [{str(k): str(v) for k, v in row.items()} for row in rows]
    entry = ctx.catalogue.entries[args.target.entry]
    if not entry.columns:
        return raw
    locale = await ctx.number_locale(None)
    return [_row(ctx, entry.columns, row, args.target.describe(), locale) for row in raw]


def _header_of(column: Column, headers: list[str], table: str) -> str:
    pattern = column.header
    for header in headers:
        text = " ".join(header.split())
        if pattern.regex:
            flags = re.IGNORECASE if pattern.ignore_case else 0
            if re.search(pattern.value, text, flags):
                return header
        elif (text == pattern.value) if pattern.exact else (pattern.value.casefold() in text.casefold()):
            return header
    raise ActionError(
        f"{table} has no column {column.key!r} (header {pattern.describe()}); its columns: "
        + ", ".join(repr(h) for h in headers)
    )


def _row(ctx: StepContext, columns: tuple[Column, ...], row: dict[str, str], table: str, locale: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in columns:
        cell = row[_header_of(column, list(row), table)].strip()
        if column.shows is not None:
            try:
                out[column.key] = canonical(ctx.catalogue.values[column.shows], cell, f"{table} {column.key}")
            except WordingError as err:
                raise ActionError(str(err)) from None
        elif column.as_type == "int":
            out[column.key] = _as_int(cell)
        elif column.as_type == "number":
            try:
                out[column.key] = parse_number(cell, locale)
            except NumberError as err:
                raise ActionError(f"{table} {column.key}: {err} (read as a number in {locale})") from None
        else:
            out[column.key] = cell
    return out


async def _read(ctx: StepContext, args: ExtractArgs) -> str | int | list[dict[str, str]]:
    if args.what == "url":
        return ctx.page.url
    if args.what == "title":
        return await ctx.page.title()
    if args.target is None:
        raise ActionError(f"extract {args.what} needs a target")
    if args.what == "table":
        return await _read_table(ctx, args)
    if args.what == "count":
        # Counting rows: many matches is the point, so the first candidate that finds any wins.
        # None is a count too (0): one look, once the region the target lives in is there.
        try:
            found = await ctx.resolve(args.target, mode="any", wait=False, scope_timeout_ms=ctx.timeout_ms())
        except LocatorNotFound:
            return 0
        return await found.locator.count()
    locator = await ctx.locate(args.target)
    timeout = ctx.timeout_ms()
    if args.what == "text":
        text = (await locator.inner_text(timeout=timeout)).strip()
        entry = ctx.catalogue.entries[args.target.entry]
        if entry.shows is not None and args.pattern is None and args.as_type == "string":
            # The page says "Éco": the runbook gets the canonical value, Eco.
            try:
                return canonical(ctx.catalogue.values[entry.shows], text, args.target.describe())
            except WordingError as err:
                raise ActionError(str(err)) from None
        return text
    if args.what == "value":
        return await locator.input_value(timeout=timeout)
    if not args.attribute:
        raise ActionError("extract what: attribute needs `attribute`")
    value = await locator.get_attribute(args.attribute, timeout=timeout)
    if value is None:
        raise ActionError(f"{args.target.describe()} has no attribute {args.attribute!r}")
    return value


def _apply_pattern(raw: str, pattern: str) -> str:
    match = re.search(pattern, raw)
    if match is None:
        raise ActionError(f"pattern {pattern!r} does not match {raw!r}")
    return match.group(1) if match.groups() else match.group(0)


def _as_int(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        pass
    # "Available Eco licenses: 2" -> 2; but a text with several numbers is refused rather than
    # guessed: a wrong count here could decide a purchase. A `pattern` says which one.
    numbers = re.findall(r"-?\d+", value)
    if len(numbers) != 1:
        raise ActionError(f"{value!r} does not hold exactly one number; add a `pattern` to pick it")
    return int(numbers[0])


@action("extract", changes_state=False)
async def extract(ctx: StepContext, args: ExtractArgs) -> None:
    value: Any = await _read(ctx, args)
    if args.pattern is not None:
        value = _apply_pattern(str(value), args.pattern)
    if args.as_type == "int" and not isinstance(value, int):
        value = _as_int(str(value))
    elif args.as_type == "number":
        locale = await ctx.number_locale(args.locale)
        try:
            value = parse_number(str(value), locale)
        except NumberError as err:
            raise ActionError(f"{err} (read as a number in {locale})") from None
    if args.secret:
        ctx.add_secret(str(value))
    ctx.set_var(args.into, value)


@action("set", changes_state=False)
async def set_vars(ctx: StepContext, args: SetArgs) -> None:
    """Values arrive rendered (the plan, or the engine just before the step, rendered them)."""
    for name, value in args.values.items():
        ctx.set_var(name, value)
