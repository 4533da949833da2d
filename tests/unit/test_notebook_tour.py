"""The notebook tour executes end to end (with this interpreter's ipykernel), so it cannot rot."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conversation.paths import repo_root

TOUR = repo_root() / "notebooks" / "tour.ipynb"

pytestmark = pytest.mark.timeout(600)


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    """All text the executed cells printed or displayed."""
    parts: list[str] = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


def test_the_tour_runs_without_errors(isolated_data_dir: Path) -> None:
    notebook = nbformat.read(TOUR, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",  # jupyter_client starts it with this interpreter (sys.executable)
        resources={"metadata": {"path": str(TOUR.parent)}},
    )
    client.execute()
    text = outputs_text(notebook)
    assert "data dir: " + str(isolated_data_dir) in text
    assert "[billing]" in text
    assert "dialog stack:" in text and '"turn": 2' in text
    assert "graph TD" in text or "flowchart" in text
    assert "The Salt Orchard costs $" in text
    assert "I'll call you Sam" in text
    assert "another thread: You haven't told me your name yet." in text
    assert "[research_company_a] started: Northwind Mobile" in text
    assert "v1 by researcher:Northwind Mobile (draft)" in text
    assert "v2 by researcher:Northwind Mobile (findings)" in text
    assert "# Research report" in text and "[northwind-ai-strategy]" in text


def test_the_tour_has_no_logic_of_its_own() -> None:
    notebook = nbformat.read(TOUR, as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert "def " not in code and "class " not in code
    assert "draw_mermaid()" in code and "draw_png" not in code and "mermaid.ink" not in code
