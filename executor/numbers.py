"""Numbers as a portal writes them, in its locale: "1 450,00 $" (fr-CA), "$1,450.00" (en-CA).

Babel knows each locale's symbols (group and decimal separators) and parses the digits; this
module only finds the one number in a text and its sign around it:
- a text must hold exactly one number ("Total: 1 450,00 $ / month"); two ("3 licenses for 87.00")
  are refused rather than guessed, since a wrong amount here could approve a payment. A runbook's
  `pattern` picks one;
- a space-like group separator may be written with any space: a regular space, a no-break space
  (U+00A0) or a narrow no-break space (U+202F), whatever the locale's data says;
- negative: a minus sign before the number or its currency (`-`, `−` U+2212, `–`), or the
  accounting form in parentheses, "($29.00)".
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberFormatError, get_decimal_symbol, get_group_symbol, parse_decimal

SPACES = " \u00a0\u202f\u2009"
MINUS_SIGNS = "-\u2212\u2012\u2013"
_MINUS = re.escape(MINUS_SIGNS)  # inside a [class]: the hyphen escaped


class LocaleError(ValueError):
    """Not a locale Babel knows; `hint` says what to write."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


class NumberError(ValueError):
    """The text does not hold exactly one number readable in the locale."""


def babel_name(locale: str) -> str:
    """`fr-CA` (what runbooks write, BCP 47) -> `fr_CA` (Babel's identifier)."""
    return locale.replace("-", "_")


@lru_cache(maxsize=64)
def check_locale(locale: str) -> Locale:
    """The Babel locale for `fr-CA`, `en-CA`, `fr`...; raises LocaleError for an unknown one."""
    try:
        return Locale.parse(babel_name(locale))
    except (UnknownLocaleError, ValueError, TypeError):
        raise LocaleError(
            f"unknown locale '{locale}'", "write a language and region such as en-CA or fr-CA"
        ) from None


@lru_cache(maxsize=64)
def _number_pattern(locale: str) -> tuple[re.Pattern[str], str, str]:
    babel_locale = check_locale(locale)
    group, decimal = get_group_symbol(babel_locale), get_decimal_symbol(babel_locale)
    group_class = f"[{re.escape(SPACES)}]" if group.strip() == "" else re.escape(group)
    dec = re.escape(decimal)
    pattern = re.compile(rf"\d{{1,3}}(?:{group_class}\d{{3}})+(?:{dec}\d+)?|\d+(?:{dec}\d+)?")
    return pattern, group, decimal


def parse_number(text: str, locale: str) -> Decimal:
    """The one number in `text`, as written in `locale`. Raises NumberError (no number, several
    numbers, or digits Babel refuses in that locale) and LocaleError."""
    pattern, group, _decimal = _number_pattern(locale)
    found = list(pattern.finditer(text))
    if not found:
        raise NumberError(f"{text!r} holds no number")
    if len(found) > 1:
        numbers = ", ".join(repr(m.group(0)) for m in found)
        raise NumberError(f"{text!r} holds {len(found)} numbers ({numbers}); add a `pattern` to pick one")
    match = found[0]
    digits = match.group(0)
    if group.strip() == "":
        digits = re.sub(f"[{re.escape(SPACES)}]", group, digits)
    try:
        value = parse_decimal(digits, locale=babel_name(locale), strict=True)
    except NumberFormatError as err:
        raise NumberError(f"{match.group(0)!r} is not a number in {locale}: {err}") from None
    return -value if _negative(text[: match.start()], text[match.end() :]) else value


_SIGN_BEFORE = re.compile(rf"[{_MINUS}](?:[^\d\s{_MINUS}(]{{1,3}}[ \u00a0]?)?$")
_PAREN_BEFORE = re.compile(r"\((?:[^\d\s(]{1,3}[ \u00a0]?)?$")
_PAREN_AFTER = re.compile(r"^(?:[ \u00a0]?[^\d\s)]{1,3})?\)")


def _negative(before: str, after: str) -> bool:
    # The sign must touch the number or its currency ("-$29.00", "−29,00 $", "($29.00)"): a dash
    # that stands apart ("Refund – 29,00 $") is punctuation, not a minus.
    if _SIGN_BEFORE.search(before):
        return True
    return bool(_PAREN_BEFORE.search(before) and _PAREN_AFTER.match(after))


def number_text(value: Decimal) -> str:
    """How a number reads in messages and templates: plain, with the digits it has ("1421.00")."""
    return format(value, "f")
