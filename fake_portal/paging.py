"""Splitting a list into numbered pages (the fr-ca user list, as an ASP.NET GridView pages it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pager:
    page: int  # 1-based, always within 1..pages
    pages: int
    size: int

    @classmethod
    def of(cls, count: int, requested: object, size: int) -> Pager:
        """A page number that is not a whole number goes to page 1; one past either end, to that end
        (a link kept from a longer list still shows something)."""
        pages = max(1, -(-count // size))
        try:
            page = int(str(requested))
        except ValueError:
            page = 1
        return cls(min(max(page, 1), pages), pages, size)

    @property
    def start(self) -> int:
        return (self.page - 1) * self.size

    @property
    def stop(self) -> int:
        return self.page * self.size

    @property
    def previous(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None
