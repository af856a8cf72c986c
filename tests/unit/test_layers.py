"""Layer rules of design §5, checked by reading the imports of every module (no import runs).

- `dsr/domain` is pure: the standard library, dateutil and `dsr.domain` only.
- Routers are thin: a router module (`*router*.py`, `public_api.py`, anything under `dsr/web/`)
  does not build SQL. It may not import a query builder (select, update, insert, delete, text)
  from SQLAlchemy or SQLModel, nor reach one as an attribute (`sa.select(...)`). Only
  repositories and services build queries.

An existing breach is listed in ROUTER_QUERY_EXCEPTIONS with the reason it is tolerated; an entry
that no longer matches anything fails too, so the list only ever shrinks.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

DOMAIN_ALLOWED_THIRD_PARTY = {"dateutil"}
QUERY_BUILDERS = {"select", "update", "insert", "delete", "text"}
SQL_PACKAGES = ("sqlalchemy", "sqlmodel")

# (module path relative to the repository, "package.name") -> why it is tolerated for now.
ROUTER_QUERY_EXCEPTIONS: dict[tuple[str, str], str] = {
    (
        "dsr/notifications/router.py",
        "sqlmodel.select",
    ): "list_messages() predates the rule; belongs in a notifications repository",
    (
        "dsr/notifications/router.py",
        "sqlalchemy.update",
    ): "retry() resets the outbox row in the router; belongs in notifications.outbox",
}


@dataclass(frozen=True)
class Use:
    module: str  # the dotted module imported from, e.g. "sqlmodel"
    name: str  # the imported or accessed name, e.g. "select" ("" for a plain import)
    line: int


def _modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _dotted(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(path: Path, root: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = _dotted(path, root).split(".")
    if path.name != "__init__.py":
        package.pop()
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def uses(path: Path, root: Path = ROOT) -> list[Use]:
    """Every import in the module, plus attribute access on an imported SQL package or module
    (`import sqlalchemy as sa; sa.select(...)`)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[Use] = []
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                found.append(Use(a.name, "", node.lineno))
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else _top(a.name)
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(path, root, node)
            for a in node.names:
                found.append(Use(module, a.name, node.lineno))
                aliases[a.asname or a.name] = f"{module}.{a.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            target = aliases.get(node.value.id)
            if target and _top(target) in SQL_PACKAGES:
                found.append(Use(target, node.attr, node.lineno))
    return found


def _top(module: str) -> str:
    return module.split(".")[0]


def domain_violations(root: Path = ROOT) -> list[str]:
    files = _modules(root / "dsr" / "domain")
    assert files, "dsr/domain has no modules?"
    bad = []
    for path in files:
        for use in uses(path, root):
            top = _top(use.module)
            if top in sys.stdlib_module_names or top in DOMAIN_ALLOWED_THIRD_PARTY:
                continue
            if use.module == "dsr.domain" or use.module.startswith("dsr.domain."):
                continue
            if use.module == "dsr" and use.name == "domain":
                continue
            where = path.relative_to(root).as_posix()
            bad.append(f"{where}:{use.line} imports {use.module} {use.name}".rstrip())
    return bad


def test_domain_imports_only_the_standard_library_dateutil_and_itself() -> None:
    bad = domain_violations()
    assert not bad, "the domain must stay pure (design §5):\n" + "\n".join(bad)


def is_router(path: Path, package: Path) -> bool:
    rel = path.relative_to(package)
    return "router" in path.name or path.name == "public_api.py" or rel.parts[0] == "web"


def routers(root: Path = ROOT) -> list[Path]:
    package = root / "dsr"
    return [p for p in _modules(package) if is_router(p, package)]


def router_query_builders(root: Path = ROOT) -> dict[tuple[str, str], list[int]]:
    found: dict[tuple[str, str], list[int]] = {}
    for path in routers(root):
        for use in uses(path, root):
            if _top(use.module) in SQL_PACKAGES and use.name in QUERY_BUILDERS:
                key = (path.relative_to(root).as_posix(), f"{_top(use.module)}.{use.name}")
                found.setdefault(key, []).append(use.line)
    return found


def test_routers_do_not_build_queries() -> None:
    found = router_query_builders()
    new = {k: v for k, v in found.items() if k not in ROUTER_QUERY_EXCEPTIONS}
    assert not new, (
        "routers call services; only repositories and services build queries (design §5):\n"
        + "\n".join(f"{f}:{lines} uses {name}" for (f, name), lines in sorted(new.items()))
    )


def test_router_exceptions_are_still_needed() -> None:
    stale = sorted(set(ROUTER_QUERY_EXCEPTIONS) - set(router_query_builders()))
    assert not stale, f"remove these from ROUTER_QUERY_EXCEPTIONS, they are fixed: {stale}"


def test_router_rule_recognises_every_router() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in routers()}
    assert {"dsr/cases/router.py", "dsr/cases/public_api.py", "dsr/cases/actions_router.py"} <= (
        names
    )
    assert not any("repository" in n for n in names)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from sqlmodel import select\n", {"sqlmodel.select"}),
        ("from sqlalchemy import update as upd\n", {"sqlalchemy.update"}),
        ("import sqlalchemy as sa\nsa.insert(t)\n", {"sqlalchemy.insert"}),
        ("import sqlalchemy\nsqlalchemy.text('x')\n", {"sqlalchemy.text"}),
        ("from sqlalchemy import sql\nsql.delete(t)\n", {"sqlalchemy.delete"}),
        ("from sqlalchemy.dialects.postgresql import insert\n", {"sqlalchemy.insert"}),
        ("from sqlalchemy.exc import IntegrityError\n", set()),
        ("from sqlmodel import col\nimport sqlalchemy as sa\nsa.func.count()\n", set()),
    ],
)
def test_the_scanner_sees_query_builders(tmp_path: Path, source: str, expected: set[str]) -> None:
    """The rule is only as good as its scanner: it catches each way of reaching a builder."""
    (tmp_path / "dsr" / "web").mkdir(parents=True)
    (tmp_path / "dsr" / "web" / "pages.py").write_text(source)
    assert {name for _, name in router_query_builders(tmp_path)} == expected


def test_the_scanner_sees_a_framework_import_in_the_domain(tmp_path: Path) -> None:
    domain = tmp_path / "dsr" / "domain"
    domain.mkdir(parents=True)
    (domain / "bad.py").write_text(
        "from __future__ import annotations\nimport json\nfrom dateutil import tz\n"
        "from . import workflow\nfrom ..db import models\nimport pydantic\n"
    )
    message = "\n".join(domain_violations(tmp_path))
    assert "dsr.db models" in message
    assert "pydantic" in message
    assert "json" not in message
    assert "dateutil" not in message
    assert "workflow" not in message
