"""Imports sit at the top of product modules: few function-local ones, each with its reason."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "app",
    "graphs",
    "agents",
    "conversation",
    "llm",
    "tools",
    "prompts",
    "benchmarks",
    "testing",
    "data_access",
)
MAX_LOCAL_FIRST_PARTY = 10
LAZY_THIRD_PARTY = (
    "llama_cpp",
    "chromadb",
    "tau2",
    "playwright",
    "agentevals",  # dev-only
    "langgraph_sdk",  # dev-only
    "opentelemetry.exporter.otlp.proto.grpc",  # not a dependency
    "langchain_community",  # heavy; web search only
)
"""Heavy or optional third-party packages that may be imported inside a function."""


def local_imports() -> list[tuple[str, int, str, bool]]:
    """(file, line, module, has a reason comment) of every import inside a function."""
    found: dict[tuple[str, int], tuple[str, int, str, bool]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            for function in ast.walk(ast.parse("\n".join(lines))):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for node in ast.walk(function):
                    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                        module = node.module
                    elif isinstance(node, ast.Import):
                        module = node.names[0].name
                    else:
                        continue
                    name = str(path.relative_to(ROOT))
                    found[(name, node.lineno)] = (
                        name,
                        node.lineno,
                        module,
                        _has_reason(lines, node.lineno),
                    )
    return sorted(found.values())


def _has_reason(lines: list[str], lineno: int) -> bool:
    """A comment on the import's line, or on the line above its block of imports."""
    if "#" in lines[lineno - 1]:
        return True
    index = lineno - 2
    while index >= 0 and lines[index].strip().startswith(("import ", "from ")):
        index -= 1
    return index >= 0 and lines[index].strip().startswith("#")


def first_party(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def test_few_function_local_first_party_imports_each_with_a_reason() -> None:
    ours = [row for row in local_imports() if first_party(row[2])]
    assert len(ours) <= MAX_LOCAL_FIRST_PARTY, "\n".join(f"{f}:{n} {m}" for f, n, m, _ in ours)
    assert [row for row in ours if not row[3]] == []


def test_lazy_third_party_imports_are_heavy_or_optional_and_say_why() -> None:
    theirs = [row for row in local_imports() if not first_party(row[2])]
    assert [row for row in theirs if not row[2].startswith(LAZY_THIRD_PARTY)] == []
    assert [row for row in theirs if not row[3]] == []
