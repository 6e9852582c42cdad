"""What changes with the dialect besides the texts (labels.py holds those).

The English dialects are the portal as the English knowledge base describes it. fr-ca is the French
portal, and it behaves like the ASP.NET WebForms site the real portal is (its one documented URL is
`/business/domain-management.aspx`): native confirm()/alert() boxes, AutoPostBack selects, a paged
user list, the Forms-authentication login page, and a hosted card form of a payment provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from . import amounts
from .config import ALL_DIALECTS, ENGLISH_DIALECTS, FRENCH_DIALECT


@dataclass(frozen=True)
class Dialect:
    name: str
    lang: str  # the pages' <html lang>
    amounts: amounts.Amounts
    # The WebForms idioms: OnClientClick confirm(), RegisterStartupScript alert(), AutoPostBack,
    # a __VIEWSTATE field, and /Connexion.aspx?ReturnUrl=… when a session expires.
    webforms: bool
    hosted_payment: bool  # checkout pays in the provider's iframe instead of with the card on file
    users_page_size: int | None  # None: the whole user list on one page
    login_path: str

    def login_url(self, **query: str) -> str:
        return self.login_path + (f"?{urlencode(query)}" if query else "")

    def expired_url(self, return_path: str) -> str:
        """Where an expired session lands. Forms authentication names the page to come back to."""
        if self.webforms:
            return self.login_url(ReturnUrl=return_path)
        return self.login_url(expired="1")


_ENGLISH = {
    name: Dialect(
        name=name,
        lang="en",
        amounts=amounts.ENGLISH,
        webforms=False,
        hosted_payment=False,
        users_page_size=None,
        login_path="/login",
    )
    for name in ENGLISH_DIALECTS
}
USERS_PAGE_SIZE = 25  # an ASP.NET GridView's paging, as the French portal is set up

DIALECT_TRAITS: dict[str, Dialect] = {
    **_ENGLISH,
    FRENCH_DIALECT: Dialect(
        name=FRENCH_DIALECT,
        lang="fr-CA",
        amounts=amounts.FRENCH_CANADA,
        webforms=True,
        hosted_payment=True,
        users_page_size=USERS_PAGE_SIZE,
        login_path="/Connexion.aspx",
    ),
}
assert tuple(DIALECT_TRAITS) == ALL_DIALECTS, "every dialect needs its traits"


def traits(dialect: str) -> Dialect:
    return DIALECT_TRAITS[dialect]
