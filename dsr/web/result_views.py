"""Task results as pages show them: a JSON value as a table, a file as a name with its size.
Shared by the owner's task page and the case page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dsr.fulfilment import results
from dsr.fulfilment.models import TaskResult
from dsr.settings import Settings

MAX_ROWS = 200  # a page is for review; the requester's copy holds everything


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]
    more: int = 0  # rows not shown


@dataclass(frozen=True)
class ResultView:
    kind: str
    name: str
    size: str
    erased: bool
    table: Table | None = None


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def as_table(value: Any) -> Table:
    """Objects in a list: a column per key. One object: a row per key. Anything else: one
    column. Nested values are shown as JSON text."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        columns: list[str] = []
        for item in value:
            columns += [k for k in item if k not in columns]
        rows = [[cell(item.get(c)) for c in columns] for item in value]
    elif isinstance(value, dict):
        columns, rows = ["Field", "Value"], [[str(k), cell(v)] for k, v in value.items()]
    elif isinstance(value, list):
        columns, rows = ["Value"], [[cell(v)] for v in value]
    else:
        columns, rows = ["Value"], [[cell(value)]]
    return Table(columns=columns, rows=rows[:MAX_ROWS], more=max(0, len(rows) - MAX_ROWS))


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def view(settings: Settings, result: TaskResult) -> ResultView:
    erased = result.erased_at is not None
    name = result.filename or "JSON sent"
    table = None
    if result.kind == results.KIND_JSON and not erased:
        table = as_table(results.read_json(settings, result))
    return ResultView(
        kind=result.kind, name=name, size=size_text(result.size), erased=erased, table=table
    )


def views(settings: Settings, found: list[TaskResult]) -> list[ResultView]:
    return [view(settings, r) for r in found]
