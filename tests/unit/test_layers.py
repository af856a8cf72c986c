"""Layer rules of docs/architecture.md, checked by reading the imports of every module (no import runs).

- `dsr/domain` is pure: the standard library, dateutil and `dsr.domain` only.
- Routers are thin: a router module (`*router*.py`, `public_api.py`, anything under `dsr/web/`)
  does not build SQL. It may not import a query builder (select, update, insert, delete, text)
  from SQLAlchemy or SQLModel, nor reach one as an attribute (`sa.select(...)`), nor run a query
  on the session itself (`session.get/exec/execute/scalar(s)`). Only repositories and services
  build queries.
- The web layer and the error handlers sit on top: nothing below them (services, repositories,
  `deps.py`, the domain) imports `dsr.web` or `dsr.error_handlers`; only the composition root
  (`dsr/main.py`) wires them in.
- A router module is imported by the composition root only: what two routers share (such as
  `dsr.http.client_ip`) lives in a module of its own.

An existing breach is listed in ROUTER_QUERY_EXCEPTIONS with the reason it is tolerated; an entry
that no longer matches anything fails too, so the list only ever shrinks.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

DOMAIN_ALLOWED_THIRD_PARTY = {"dateutil"}
QUERY_BUILDERS = {"select", "update", "insert", "delete", "text"}
SQL_PACKAGES = ("sqlalchemy", "sqlmodel")

# (module path relative to the repository, "package.name") -> why it is tolerated for now.
ROUTER_QUERY_EXCEPTIONS: dict[tuple[str, str], str] = {}
# Methods of an AsyncSession that run a query: a router calling one is building its own.
DB_SESSION_TYPES = ("AsyncSession", "SessionDep")
SESSION_QUERIES = {"get", "exec", "execute", "scalar", "scalars", "stream", "stream_scalars"}
# The composition root: it alone wires routers, pages and error handlers together.
COMPOSITION_ROOT = "dsr/main.py"
TOP_LAYERS = ("dsr.web", "dsr.error_handlers")


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
    assert not bad, "the domain must stay pure (docs/architecture.md):\n" + "\n".join(bad)


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
        "routers call services; only repositories and services build queries (docs/architecture.md):\n"
        + "\n".join(f"{f}:{lines} uses {name}" for (f, name), lines in sorted(new.items()))
    )


def session_queries(path: Path) -> list[str]:
    """Calls like `await session.get(Case, id)` on a database session: a parameter annotated
    `AsyncSession` or `SessionDep` (the HTTP session, `request.session`, is a dict)."""
    found = []
    for fn in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
        sessions = {
            a.arg
            for a in args
            if a.annotation is not None
            and any(t in ast.unparse(a.annotation) for t in DB_SESSION_TYPES)
        }
        for node in ast.walk(fn):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in sessions
                and node.func.attr in SESSION_QUERIES
            ):
                found.append(f"{node.lineno}: {node.func.value.id}.{node.func.attr}()")
    return found


def test_routers_do_not_query_the_session() -> None:
    bad = [
        f"{p.relative_to(ROOT).as_posix()}:{hit}" for p in routers() for hit in session_queries(p)
    ]
    assert not bad, "routers call services or repositories (docs/architecture.md):\n" + "\n".join(
        bad
    )


def _is_in(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def upward_imports(root: Path = ROOT) -> list[str]:
    """Imports of the web layer or the error handlers from below them."""
    bad = []
    for path in _modules(root / "dsr"):
        rel = path.relative_to(root).as_posix()
        if rel == COMPOSITION_ROOT or rel.startswith("dsr/web/"):
            continue
        for use in uses(path, root):
            target = f"{use.module}.{use.name}" if use.name else use.module
            if _is_in(use.module, TOP_LAYERS) or _is_in(target, TOP_LAYERS):
                bad.append(f"{rel}:{use.line} imports {target}")
    return bad


def test_nothing_below_the_web_layer_imports_it_or_the_error_handlers() -> None:
    bad = upward_imports()
    assert not bad, "services, deps and the domain stay HTTP-page-neutral:\n" + "\n".join(bad)


def router_imports(root: Path = ROOT) -> list[str]:
    """Imports of an API router module (`*router*.py`, `public_api.py`) anywhere but main."""
    package = root / "dsr"
    api_routers = {
        _dotted(p, root)
        for p in _modules(package)
        if is_router(p, package) and p.relative_to(package).parts[0] != "web"
    }
    bad = []
    for path in _modules(package):
        rel = path.relative_to(root).as_posix()
        if rel == COMPOSITION_ROOT:
            continue
        for use in uses(path, root):
            target = f"{use.module}.{use.name}" if use.name else use.module
            if use.module in api_routers or target in api_routers:
                bad.append(f"{rel}:{use.line} imports {target}")
    return bad


def test_only_the_composition_root_imports_routers() -> None:
    bad = router_imports()
    assert not bad, "share through a module of its own, not a router:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    ("where", "source", "rule"),
    [
        ("deps.py", "from dsr.web.csrf import require_csrf_header\n", upward_imports),
        ("cases/bulk.py", "from dsr.error_handlers import workflow_status\n", upward_imports),
        ("cases/bulk.py", "from dsr import error_handlers\n", upward_imports),
        ("domain/x.py", "import dsr.web.public\n", upward_imports),
        ("auth/router.py", "from dsr.cases.public_api import client_ip\n", router_imports),
        ("web/public.py", "from dsr.cases import public_api\n", router_imports),
    ],
)
def test_the_scanner_sees_imports_across_layers(
    tmp_path: Path, where: str, source: str, rule: Callable[[Path], list[str]]
) -> None:
    package = tmp_path / "dsr"
    for name in ("main.py", "cases/public_api.py", "web/csrf.py", where):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).touch()
    (package / where).write_text(source)
    assert rule(tmp_path)
    (package / where).write_text("from dsr import http\n")
    assert not rule(tmp_path)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("async def f(session: SessionDep):\n    await session.get(Case, 1)\n", True),
        ("async def f(db: AsyncSession):\n    await db.exec(q)\n", True),
        ("async def f(s: 'AsyncSession'):\n    return [await s.scalar(q)]\n", True),
        ("async def f(session: SessionDep):\n    await session.flush()\n", False),
        ("def f(request):\n    session = request.session\n    session.get('x')\n", False),
    ],
)
def test_the_scanner_sees_session_queries(tmp_path: Path, source: str, found: bool) -> None:
    (tmp_path / "m.py").write_text(source)
    assert bool(session_queries(tmp_path / "m.py")) is found


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
