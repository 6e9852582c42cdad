"""Users of the account: lookup, create, import, edit and delete, with the account's rules
(approved domains, unique e-mails, at least one administrator)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from . import history
from .db import Tx
from .rules import RuleViolation

PUBLIC_DOMAINS = frozenset({"gmail.com", "outlook.com", "hotmail.com"})
ROLES = ("standard", "admin")
CSV_HEADER = ("email", "first_name", "last_name", "role")
MAX_NAME = 100
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# Accepted spellings of the role column / select, mapped to the stored value.
_ROLE_WORDS = {
    "standard": "standard",
    "standard user": "standard",
    "user": "standard",
    "": "standard",
    "admin": "admin",
    "administrator": "admin",
}

USER_SQL = """
SELECT u.*, l.tier AS tier FROM users u LEFT JOIN licenses l ON l.user_id = u.id
"""


def list_users(tx: Tx) -> list[dict[str, object]]:
    return [dict(r) for r in tx.all(USER_SQL + " ORDER BY u.email")]


def get_user(tx: Tx, user_id: int) -> dict[str, object]:
    row = tx.one(USER_SQL + " WHERE u.id = ?", (user_id,))
    if row is None:
        raise RuleViolation("err_user_not_found")
    return dict(row)


def find_user(tx: Tx, email: str) -> dict[str, object] | None:
    row = tx.one(USER_SQL + " WHERE u.email = ?", (normalise_email(email),))
    return None if row is None else dict(row)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def parse_role(value: str) -> str:
    role = _ROLE_WORDS.get(value.strip().lower())
    if role is None:
        raise RuleViolation("err_role", role=value.strip())
    return role


def domain_allowed(tx: Tx, domain: str) -> bool:
    if domain in PUBLIC_DOMAINS:
        return True
    return tx.scalar("SELECT 1 FROM domains WHERE domain = ?", (domain,)) is not None


def _validated(tx: Tx, email: str, first_name: str, last_name: str) -> tuple[str, str, str]:
    email = normalise_email(email)
    first_name, last_name = first_name.strip(), last_name.strip()
    if not _EMAIL.match(email):
        raise RuleViolation("err_email_invalid")
    domain = email.rsplit("@", 1)[1]
    if not domain_allowed(tx, domain):
        raise RuleViolation("err_domain", domain=domain)
    if tx.scalar("SELECT 1 FROM users WHERE email = ?", (email,)):
        raise RuleViolation("err_duplicate")
    if not first_name or not last_name:
        raise RuleViolation("err_name_required")
    if len(first_name) > MAX_NAME or len(last_name) > MAX_NAME:
        raise RuleViolation("err_name_too_long")
    return email, first_name, last_name


def insert_user(
    tx: Tx,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    two_factor: bool = False,
    phone: str | None = None,
) -> int:
    cur = tx.execute(
        "INSERT INTO users (email, first_name, last_name, role, two_factor, phone, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (email, first_name, last_name, role, int(two_factor), phone, tx.now),
    )
    return int(cur.lastrowid or 0)


def create_user(
    tx: Tx, actor: str, email: str, first_name: str, last_name: str, role: str, via: str = "form"
) -> str:
    email, first_name, last_name = _validated(tx, email, first_name, last_name)
    role = parse_role(role)
    insert_user(tx, email, first_name, last_name, role)
    history.audit(tx, actor, "create_user", email, f"{first_name} {last_name}, {role}, via {via}")
    return email


@dataclass
class ImportRow:
    row: int  # 1 = the first line after the header
    email: str
    added: bool
    refusal: RuleViolation | None = None


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(1 for r in self.rows if r.added)

    @property
    def refused(self) -> int:
        return len(self.rows) - self.added


def import_csv(tx: Tx, actor: str, text: str) -> ImportReport:
    """Add every valid row; refuse the others one by one. A wrong header refuses the whole file."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != CSV_HEADER:
        raise RuleViolation("import_bad_header")
    report = ImportReport()
    first_row_of: dict[str, int] = {}
    for number, cells in enumerate((c for c in reader if any(x.strip() for x in c)), start=1):
        email = normalise_email(cells[0]) if cells else ""
        try:
            if len(cells) != len(CSV_HEADER):
                raise RuleViolation("err_import_columns", n=len(cells))
            if email in first_row_of:
                raise RuleViolation("err_import_repeated", row=first_row_of[email])
            role = parse_role(cells[3])
            create_user(tx, actor, cells[0], cells[1], cells[2], role, via="import")
        except RuleViolation as refusal:
            report.rows.append(ImportRow(number, email, False, refusal))
        else:
            first_row_of[email] = number
            report.rows.append(ImportRow(number, email, True))
    history.audit(tx, actor, "import_users", "CSV", f"{report.added} added, {report.refused} refused")
    return report


def _admin_count(tx: Tx) -> int:
    return int(tx.scalar("SELECT COUNT(*) FROM users WHERE role = 'admin'"))


def update_user(tx: Tx, actor: str, user_id: int, first_name: str, last_name: str, role: str) -> str:
    user = get_user(tx, user_id)
    first_name, last_name = first_name.strip(), last_name.strip()
    if not first_name or not last_name:
        raise RuleViolation("err_name_required")
    if len(first_name) > MAX_NAME or len(last_name) > MAX_NAME:
        raise RuleViolation("err_name_too_long")
    role = parse_role(role)
    if user["role"] == "admin" and role != "admin" and _admin_count(tx) <= 1:
        raise RuleViolation("err_last_admin")
    tx.execute(
        "UPDATE users SET first_name = ?, last_name = ?, role = ? WHERE id = ?",
        (first_name, last_name, role, user_id),
    )
    changes = []
    if (user["first_name"], user["last_name"]) != (first_name, last_name):
        changes.append(f"name {user['first_name']} {user['last_name']} → {first_name} {last_name}")
    if user["role"] != role:
        changes.append(f"role {user['role']} → {role}")
    history.audit(tx, actor, "update_user", str(user["email"]), "; ".join(changes) or "no change")
    return str(user["email"])


def delete_user(tx: Tx, actor: str, actor_id: int, user_id: int) -> str:
    user = get_user(tx, user_id)
    if user_id == actor_id:
        raise RuleViolation("err_delete_self")
    if user["role"] == "admin" and _admin_count(tx) <= 1:
        raise RuleViolation("err_last_admin")
    tx.execute("UPDATE licenses SET user_id = NULL WHERE user_id = ?", (user_id,))
    tx.execute(
        "DELETE FROM cart_lines WHERE session_id IN (SELECT id FROM sessions WHERE user_id = ?)", (user_id,)
    )
    tx.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
    tx.execute("DELETE FROM users WHERE id = ?", (user_id,))
    detail = f"{user['tier']} license returned to the pool" if user["tier"] else "held no license"
    history.audit(tx, actor, "delete_user", str(user["email"]), detail)
    return str(user["email"])
