"""README.html of the requester's copy: a page a person can read without tools. Each system's
data is shown as tables, with the GDPR Art 15(1) facts of that system (purposes, recipients,
retention, source). Very large results are summarised here and complete in data.json, so the
page stays readable and is rendered one system at a time."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.models import Case
from dsr.resources import TEMPLATES
from dsr.settings import Settings

if TYPE_CHECKING:
    from dsr.fulfilment.contents import SystemContents

SHOWN_BYTES = 1024 * 1024  # a JSON result larger than this is only in data.json
SHOWN_ROWS = 500


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES / "package"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def table(value: Any) -> dict[str, Any]:
    """A JSON value as one table: a list of objects gives a row each; an object gives a row per
    key; anything else is one cell. Nested values are shown as compact JSON. An SQL system's
    table (`{"table", "category", "rows"}`, dsr.connectors.sql.runner) is its rows, captioned."""
    if isinstance(value, dict) and set(value) == {"table", "category", "rows"}:
        category = f" ({value['category']})" if value["category"] else ""
        return {**table(value["rows"]), "caption": f"{value['table']}{category}"}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        columns: list[str] = []
        for row in value[:SHOWN_ROWS]:
            columns += [k for k in row if k not in columns]
        rows = [[_cell(row.get(c)) for c in columns] for row in value[:SHOWN_ROWS]]
        return {"columns": columns, "rows": rows, "more": max(0, len(value) - SHOWN_ROWS)}
    if isinstance(value, dict):
        rows = [[str(k), _cell(v)] for k, v in list(value.items())[:SHOWN_ROWS]]
        return {
            "columns": ["Field", "Value"],
            "rows": rows,
            "more": max(0, len(value) - SHOWN_ROWS),
        }
    if isinstance(value, list):
        rows = [[_cell(v)] for v in value[:SHOWN_ROWS]]
        return {"columns": ["Value"], "rows": rows, "more": max(0, len(value) - SHOWN_ROWS)}
    return {"columns": ["Value"], "rows": [[_cell(value)]], "more": 0}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


async def chunks(
    session: AsyncSession,
    settings: Settings,
    case: Case,
    systems: list[SystemContents],
    now: datetime,
) -> AsyncIterator[bytes]:
    from dsr.fulfilment.contents import load  # contents imports this module

    env = _env()
    head = {"case": case, "systems": systems, "created": now.date().isoformat()}
    yield env.get_template("readme_start.html").render(**head).encode()
    for index, entry in enumerate(systems, start=1):
        tables = []
        for result in entry.data:
            if result.size > SHOWN_BYTES:
                tables.append({"too_large": result.size})
                continue
            tables.append(table(json.loads(await load(session, settings, result))))
        page = env.get_template("readme_system.html").render(
            entry=entry, tables=tables, index=index
        )
        yield page.encode()
    yield env.get_template("readme_end.html").render(**head).encode()
