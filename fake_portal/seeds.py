"""Starting data sets ("seeds"). Each one is deterministic: same seed, same users and pool.

demo    Account "Acme Corp", approved domain acme.example, card on file "Visa ending in 4242".
        admin@acme.example   Administrator, no 2FA, no license
        secops@acme.example  Administrator, 2FA on (phone +1 514-555-0142), no license
        user01 … user06      Standard, Pro          (user03 is the one the demo downgrades Pro → Eco)
        user07 … user13      Standard, Advanced
        user14 … user18      Standard, Eco
        user19 … user20      Standard, no license
        Pool: Eco 6 (5 assigned, 1 free), Advanced 8 (7 assigned, 1 free), Pro 6 (6 assigned, 0 free).
        Monthly bill: 6×9 + 8×19 + 6×29 = 380.00 CAD.
bulk:N  Same account; admin@acme.example (Administrator, no license) and N standard users
        user{i}@acme.example, i zero-padded to max(2, digits of N), every one on Pro; no free license.
empty   Same account; only admin@acme.example, no licenses.

Every seed starts with an empty ledger, audit log and outbox: they record what happens after the seed.
"""

from __future__ import annotations

from .db import Tx
from .directory import insert_user

ACCOUNT_NAME = "Acme Corp"
DOMAIN = "acme.example"
CARD = "Visa ending in 4242"
ADMIN = f"admin@{DOMAIN}"
SECOPS = f"secops@{DOMAIN}"
MAX_BULK = 5000

# (first name, last name) of user01 … user20; fixed so screenshots and tests are stable.
DEMO_NAMES = (
    ("Amelia", "Tremblay"),
    ("Noah", "Gagnon"),
    ("Chloe", "Roy"),
    ("Liam", "Cote"),
    ("Emma", "Bouchard"),
    ("Jacob", "Gauthier"),
    ("Olivia", "Morin"),
    ("William", "Lavoie"),
    ("Alice", "Fortin"),
    ("Thomas", "Gagne"),
    ("Zoe", "Ouellet"),
    ("Felix", "Pelletier"),
    ("Lea", "Belanger"),
    ("Samuel", "Levesque"),
    ("Rosalie", "Bergeron"),
    ("Nathan", "Leblanc"),
    ("Florence", "Paquette"),
    ("Leo", "Girard"),
    ("Charlotte", "Simard"),
    ("Adam", "Boucher"),
)
DEMO_TIERS = ["Pro"] * 6 + ["Advanced"] * 7 + ["Eco"] * 5 + [None] * 2
DEMO_FREE = {"Eco": 1, "Advanced": 1, "Pro": 0}


def seed_names() -> str:
    return "demo, empty, bulk:N"


def parse_seed(seed: str) -> tuple[str, int]:
    """'demo' -> ('demo', 0); 'bulk:25' -> ('bulk', 25). Raises ValueError on anything else."""
    if seed in ("demo", "empty"):
        return seed, 0
    name, _, count = seed.partition(":")
    if name == "bulk" and count.isdigit() and 1 <= int(count) <= MAX_BULK:
        return name, int(count)
    raise ValueError(f"unknown seed {seed!r}: use {seed_names()} (1 <= N <= {MAX_BULK})")


def apply_seed(tx: Tx, seed: str) -> None:
    """Fill an empty database. The caller wipes it first."""
    name, count = parse_seed(seed)
    tx.execute("INSERT INTO account (id, name, card) VALUES (1, ?, ?)", (ACCOUNT_NAME, CARD))
    tx.execute("INSERT INTO domains (domain) VALUES (?)", (DOMAIN,))
    insert_user(tx, ADMIN, "Alex", "Admin", "admin", phone="+1 514-555-0100")
    if name == "demo":
        _demo(tx)
    elif name == "bulk":
        _bulk(tx, count)


def _license(tx: Tx, tier: str, user_id: int | None) -> None:
    tx.execute("INSERT INTO licenses (tier, user_id, acquired_at) VALUES (?, ?, ?)", (tier, user_id, tx.now))


def _demo(tx: Tx) -> None:
    insert_user(tx, SECOPS, "Sam", "Secops", "admin", two_factor=True, phone="+1 514-555-0142")
    for number, ((first, last), tier) in enumerate(zip(DEMO_NAMES, DEMO_TIERS, strict=True), start=1):
        user_id = insert_user(tx, f"user{number:02d}@{DOMAIN}", first, last, "standard")
        if tier:
            _license(tx, tier, user_id)
    for tier, free in DEMO_FREE.items():
        for _ in range(free):
            _license(tx, tier, None)


def _bulk(tx: Tx, count: int) -> None:
    width = max(2, len(str(count)))
    for number in range(1, count + 1):
        user_id = insert_user(
            tx, f"user{number:0{width}d}@{DOMAIN}", "User", f"{number:0{width}d}", "standard"
        )
        _license(tx, "Pro", user_id)
