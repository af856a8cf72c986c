"""Query strings of the console's list pages, so a link can change one filter and keep the rest."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any
from urllib.parse import urlencode


class QueryLinks:
    """For a frozen dataclass of a page's query parameters (all strings, '' for unset)."""

    def query(self, **changes: str) -> str:
        """The query string of this view with some values changed ('' drops a value)."""
        q: Any = replace(self, **changes)  # type: ignore[type-var]
        return urlencode({f.name: getattr(q, f.name) for f in fields(q) if getattr(q, f.name)})

    @property
    def filtered(self) -> bool:
        """Whether any filter (anything but the page cursor) is set."""
        return any(getattr(self, f.name) for f in fields(self) if f.name != "cursor")  # type: ignore[arg-type]
