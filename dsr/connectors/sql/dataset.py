"""The dataset of an `sql` system: YAML text -> a checked, ordered description of the tables.

Pure code: no database here (dsr.connectors.sql.target checks the dataset against the live
schema). The keys are those of docs/design §4.1, extended where users need more:
- `from` values may be a list of columns, for a parent column that several columns refer to
  (`{accounts.id: [sender_id, recipient_id]}`);
- a table may have both `identities` and `from` (a row is the subject's if either leads to it).
Edges that form a cycle (a self-reference included) are refused: each table is read after the
tables it hangs from and erased before them, which needs an order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

IDENTITIES = ("email", "account_id")
ERASE_KINDS = ("delete", "null", "mask", "retain")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")
MAX_TABLES = 200
TABLE_KEYS = frozenset({"identities", "from", "erase", "category"})


class DatasetError(ValueError):
    """A dataset that cannot be used; the message names the table and key at fault."""


@dataclass(frozen=True)
class Edge:
    parent: str
    parent_column: str
    column: str


@dataclass(frozen=True)
class Erase:
    kind: str  # one of ERASE_KINDS
    columns: tuple[str, ...] = ()
    reason: str | None = None

    def describe(self) -> str:
        if self.kind in ("null", "mask"):
            return f"{self.kind}: " + ", ".join(self.columns)
        return self.kind


@dataclass(frozen=True)
class Table:
    name: str
    identities: tuple[tuple[str, str], ...]  # (identity, column)
    edges: tuple[Edge, ...]
    erase: Erase
    category: str | None

    def columns(self) -> set[str]:
        cols = {c for _, c in self.identities} | {e.column for e in self.edges}
        return cols | set(self.erase.columns)


@dataclass(frozen=True)
class Dataset:
    tables: dict[str, Table]
    order: tuple[str, ...]  # parents before children

    def key_columns(self, table: str) -> set[str]:
        """The columns of `table` that children's edges refer to."""
        return {e.parent_column for t in self.tables.values() for e in t.edges if e.parent == table}


def parse(text: str) -> Dataset:
    """The dataset in `text`, or DatasetError saying what is wrong and where."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise DatasetError(f"dataset: not valid YAML{where}") from None
    if not isinstance(raw, dict) or set(raw) != {"tables"}:
        raise DatasetError("dataset: must be a mapping with one key, `tables`")
    tables_raw = raw["tables"]
    if not isinstance(tables_raw, dict) or not tables_raw:
        raise DatasetError("dataset: `tables` must map table names to their description")
    if len(tables_raw) > MAX_TABLES:
        raise DatasetError(f"dataset: at most {MAX_TABLES} tables")
    tables = {}
    for name, spec in tables_raw.items():
        _name(name, "dataset: table name")
        tables[name] = _table(name, spec, tables_raw)
    return Dataset(tables=tables, order=_order(tables))


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise DatasetError(f"{what} {value!r} is not a plain SQL name (letters, digits, _)")
    return value


def _table(name: str, spec: Any, all_tables: dict[str, Any]) -> Table:
    where = f"tables.{name}"
    if not isinstance(spec, dict):
        raise DatasetError(f"{where}: must be a mapping")
    unknown = set(spec) - TABLE_KEYS
    if unknown:
        raise DatasetError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    identities = _identities(where, spec.get("identities") or {})
    edges = _edges(where, spec.get("from") or {}, all_tables)
    if not identities and not edges:
        raise DatasetError(f"{where}: needs `identities` or `from` (else no row leads to it)")
    if "erase" not in spec:
        raise DatasetError(f"{where}.erase: required (delete, null, mask or retain)")
    category = spec.get("category")
    if category is not None and (not isinstance(category, str) or not 0 < len(category) <= 200):
        raise DatasetError(f"{where}.category: must be a text of 1 to 200 characters")
    return Table(name, identities, edges, _erase(where, spec["erase"]), category)


def _identities(where: str, raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise DatasetError(f"{where}.identities: must map email/account_id to a column")
    for key, column in raw.items():
        if key not in IDENTITIES:
            raise DatasetError(f"{where}.identities: {key!r} is not one of email, account_id")
        _name(column, f"{where}.identities.{key}: column")
    return tuple(sorted(raw.items()))


def _edges(where: str, raw: Any, all_tables: dict[str, Any]) -> tuple[Edge, ...]:
    if not isinstance(raw, dict):
        raise DatasetError(f"{where}.from: must map parent_table.column to a column")
    edges = []
    for key, columns in raw.items():
        parent, _, parent_column = str(key).partition(".")
        if not parent_column:
            raise DatasetError(f"{where}.from: {key!r} must be parent_table.column")
        _name(parent, f"{where}.from: table")
        _name(parent_column, f"{where}.from: column")
        if parent not in all_tables:
            raise DatasetError(f"{where}.from: table {parent!r} is not in the dataset")
        for column in columns if isinstance(columns, list) else [columns]:
            edges.append(Edge(parent, parent_column, _name(column, f"{where}.from: column")))
    return tuple(edges)


def _erase(where: str, raw: Any) -> Erase:
    if raw == "delete":
        return Erase("delete")
    if isinstance(raw, dict) and len(raw) == 1:
        ((kind, value),) = raw.items()
        kind = "null" if kind is None else kind  # YAML reads the key `null` as a null
        if kind == "retain":
            if not isinstance(value, str) or not value.strip() or len(value) > 500:
                raise DatasetError(f"{where}.erase.retain: the reason, 1 to 500 characters")
            return Erase("retain", reason=value.strip())
        if kind in ("null", "mask"):
            if not isinstance(value, list) or not value:
                raise DatasetError(f"{where}.erase.{kind}: a list of columns")
            cols = tuple(_name(c, f"{where}.erase.{kind}: column") for c in value)
            return Erase(kind, columns=cols)
    raise DatasetError(
        f"{where}.erase: delete, {{null: [columns]}}, {{mask: [...]}} or {{retain: reason}}"
    )


def _order(tables: dict[str, Table]) -> tuple[str, ...]:
    """Parents before children (depth-first); a cycle is refused, naming it."""
    done: list[str] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: placed

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join([*path[path.index(name) :], name])
            raise DatasetError(
                f"dataset: the `from` edges form a cycle ({cycle}); dsr needs an order"
            )
        state[name] = 1
        for edge in tables[name].edges:
            visit(edge.parent, [*path, name])
        state[name] = 2
        done.append(name)

    for name in tables:
        visit(name, [])
    return tuple(done)
