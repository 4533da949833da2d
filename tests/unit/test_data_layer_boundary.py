"""Only the data-access layer (and the checkpointer factory) touches database drivers.

Product modules neither import ``sqlite3``, ``psycopg`` or ``redis`` nor ask which database
they talk to: they describe tables with SQLAlchemy Core and use ``data_access``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("app", "graphs", "agents", "conversation", "llm", "tools", "prompts", "benchmarks")
"""Everything a real run (or ``switchboard bench``) loads; ``testing/`` holds test doubles."""
LAYER = "data_access"
CHECKPOINTER_FACTORY = frozenset({"app/stores.py", "app/server/pgsaver.py"})
"""LangGraph's checkpointers take driver connections: these two modules open them."""
DRIVERS = frozenset({"sqlite3", "psycopg", "psycopg_pool", "psycopg2", "redis", "redis_lock"})
KIND_BRANCHES = (
    re.compile(r"""startswith\(\(?\s*[fr]?["'](postgres|sqlite|redis|rediss|unix)"""),
    re.compile(r"\bis_(postgres|postgresql|sqlite|redis)\b"),
    re.compile(r"\bdialect(\.name)?\s*(==|!=|\bin\b)"),
    re.compile(r"""["'](postgres|postgresql|sqlite)["']\s*(==|!=)"""),
    re.compile(r"""(==|!=)\s*["'](postgresql|sqlite)["']"""),
    re.compile(r"\.(postgres|sqlite)\s*(\)|:|and\b|or\b|$)", re.M),
)
"""Ways a module would branch on the database kind by itself (``backend == "postgres"``, the
lock-backend setting, is a choice of the operator, not a test of the database)."""


def _product_files() -> list[Path]:
    return [path for package in PRODUCT for path in sorted((ROOT / package).rglob("*.py"))]


def driver_imports(source: str) -> list[str]:
    """The database-driver modules ``source`` imports (anywhere in the module)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found += [name for name in names if name.split(".")[0] in DRIVERS]
    return found


def kind_branches(source: str) -> list[str]:
    """Lines of ``source`` that branch on the database kind."""
    return [
        line.strip()
        for line in source.splitlines()
        if not line.strip().startswith("#") and any(p.search(line) for p in KIND_BRANCHES)
    ]


def test_no_product_module_outside_the_layer_imports_a_database_driver() -> None:
    offenders = []
    for path in _product_files():
        name = path.relative_to(ROOT).as_posix()
        if name in CHECKPOINTER_FACTORY:
            continue
        offenders += [f"{name}: {m}" for m in driver_imports(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_no_product_module_outside_the_layer_branches_on_the_database_kind() -> None:
    offenders = []
    for path in _product_files():
        name = path.relative_to(ROOT).as_posix()
        offenders += [f"{name}: {line}" for line in kind_branches(path.read_text("utf-8"))]
    assert offenders == []


def test_the_checks_catch_what_they_are_for() -> None:
    assert driver_imports("import sqlite3\nfrom psycopg.rows import dict_row\n") == [
        "sqlite3",
        "psycopg.rows",
    ]
    assert driver_imports("def f():\n    import redis\n") == ["redis"]
    assert driver_imports("from data_access.kv import redis_client\n") == []
    caught = [
        'if url.startswith(("postgresql://", "postgres://")):',
        "if is_postgres(self.url):",
        'if self.dialect == "postgres":',
        "if db.kind != 'sqlite':",
        'if "postgresql" == kind:',
        "if self.db.postgres:",
    ]
    assert [kind_branches(line) for line in caught] == [[line] for line in caught]
    assert kind_branches('if backend == "redis":\n    locks = RedisLocks(url)') == []


def test_the_layer_is_a_leaf_below_every_product_package() -> None:
    upward = []
    for path in sorted((ROOT / LAYER).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                root = node.module.split(".")[0]
                if root in PRODUCT or root == "testing":
                    upward.append(f"{path.relative_to(ROOT)}: {node.module}")
    assert upward == []
