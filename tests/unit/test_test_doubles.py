"""Test doubles live in ``testing/``: the product reaches them only through the model factory."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from llm.factory import SCRIPTED, is_stand_in, make_base_model, policy_model

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("app", "graphs", "agents", "conversation", "llm", "tools", "prompts", "benchmarks")
REGISTRY = "llm/factory.py"


def _product_files() -> list[Path]:
    return [path for package in PRODUCT for path in sorted((ROOT / package).rglob("*.py"))]


def test_only_the_factory_registry_imports_the_test_package() -> None:
    importers = []
    for path in _product_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = ""
            if isinstance(node, ast.ImportFrom) and node.module:
                module = node.module
            elif isinstance(node, ast.Import):
                module = node.names[0].name
            if module.split(".")[0] == "testing":
                importers.append(path.relative_to(ROOT).as_posix())
    assert importers == [REGISTRY]


def test_no_product_module_spells_the_scripted_name() -> None:
    spelled = [
        path.relative_to(ROOT).as_posix()
        for path in _product_files()
        if '"scripted"' in path.read_text(encoding="utf-8")
    ]
    assert spelled == [REGISTRY]


def test_a_real_run_never_imports_the_test_package() -> None:
    code = (
        "import sys; import app.cli, app.server.app, graphs.support, graphs.bookstore, "
        "graphs.research, benchmarks.load; from app.cli import build_parser; build_parser(); "
        "print('testing' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.stdout.strip() == "False", done.stderr


def test_the_factory_provides_the_stand_in_and_its_policies() -> None:
    assert is_stand_in(SCRIPTED) and not is_stand_in("local") and not is_stand_in("scripted:fail")
    assert type(make_base_model(SCRIPTED)).__module__ == "testing.scripted"
    assert policy_model("local", "bookstore") is None
    played = policy_model(SCRIPTED, "research:planner")
    assert played is not None and type(played).__module__ == "testing.scripted"
