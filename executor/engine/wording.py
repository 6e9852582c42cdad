"""The portal's wording, from the catalogue: texts in all their variants, values in all their labels.

Runbooks say `Eco` and `licenses.payment_accepted`; the page says "Éco" and "Paiement accepté : 1
licence(s) Éco ajoutée(s).". Everything here turns the catalogue's words into one regex that matches
any of them, written so that both Python and JavaScript read it the same way (Playwright sends the
pattern to the page): literal parts escaped, any whitespace (no-break spaces included) as `\\s+`, the
apostrophe in either shape, case ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from executor.engine.candidates import js_escape
from executor.model.catalogue import Catalogue, Text, ValueSet
from executor.model.runbook import TextRef

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SPACES = re.compile(r"\s+")
_APOSTROPHES = re.compile("['’]")


class WordingError(LookupError):
    """A text or value the catalogue does not have (validation catches these before a run)."""


def literal(text: str) -> str:
    """A literal as a regex fragment, tolerant of the portal's spacing and apostrophes."""
    parts = []
    for chunk in _SPACES.split(text):
        parts.append(_APOSTROPHES.sub("['’]", js_escape(chunk)))
    return r"\s+".join(parts)


def alternation(options: tuple[str, ...] | list[str]) -> str:
    unique = list(dict.fromkeys(options))
    return unique[0] if len(unique) == 1 else "(?:" + "|".join(unique) + ")"


def value_fragment(values: Mapping[str, ValueSet], arg: str, value: str, set_name: str | None = None) -> str:
    """`{tier}` filled with `Eco`: any label of Eco when `tier` (or the arg's `set_name`) is a
    value set and Eco one of its values; else the value itself, as a literal."""
    value_set = values.get(set_name or arg)
    labels = value_set.labels_of(value) if value_set is not None else ()
    return alternation([literal(label) for label in labels]) if labels else literal(value)


def fill(
    template: str, args: Mapping[str, str], values: Mapping[str, ValueSet], sets: Mapping[str, str] | None = None
) -> str:
    """A template with `{arg}` placeholders as a regex fragment (literal parts escaped); `sets`
    names the value set of an arg not named after it."""
    out: list[str] = []
    last = 0
    for m in _PLACEHOLDER.finditer(template):
        out.append(literal(template[last : m.start()]))
        name = m.group(1)
        found = value_fragment(values, name, str(args[name]), (sets or {}).get(name)) if name in args else None
        out.append(found if found is not None else literal(m.group(0)))
        last = m.end()
    out.append(literal(template[last:]))
    return "".join(out)


def text_of(catalogue: Catalogue, ref: TextRef) -> Text:
    text = catalogue.texts.get(ref.text)
    if text is None:
        raise WordingError(f"text {ref.text} is not in the catalogue")
    missing = [a for a in text.args if a not in ref.args]
    if missing:
        raise WordingError(f"text {ref.text} needs {', '.join(missing)}")
    return text


def text_pattern(catalogue: Catalogue, ref: TextRef, *, whole: bool = False) -> re.Pattern[str]:
    """Any variant of the text, its args filled (a value set's arg: any of the value's labels).
    `whole`: the element's text is the message and nothing else (leading and trailing space aside)."""
    text = text_of(catalogue, ref)
    body = alternation([fill(v, ref.args, catalogue.values, text.arg_values) for v in text.variants])
    return re.compile(rf"^\s*{body}\s*$" if whole else body, re.IGNORECASE)


def value_pattern(value_set: ValueSet, value: str) -> re.Pattern[str] | None:
    """The whole text is one of `value`'s labels; None when `value` is not a value of the set."""
    labels = value_set.labels_of(value)
    if not labels:
        return None
    return re.compile(rf"^\s*{alternation([literal(label) for label in labels])}\s*$", re.IGNORECASE)


def canonical(value_set: ValueSet, label: str, what: str) -> str:
    """The canonical value a label on the page stands for; raises WordingError for a label the
    catalogue does not know (a new tier is not "no license": stop and say so)."""
    found = value_set.value_of(label)
    if found is None:
        known = "; ".join(f"{v or '(none)'}: {', '.join(ls)}" for v, ls in value_set.labels.items())
        raise WordingError(
            f"{what} shows {label.strip()!r}, which is no {value_set.name} the catalogue knows ({known}): "
            f"add it to selectors/portal.yaml if the portal has a new one"
        )
    return found
