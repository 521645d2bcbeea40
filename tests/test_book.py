"""The book as a product: every chapter is in the table of contents, starts with the Colab cell,
has stored outputs without errors or machine paths, marks exact cells, and cites known keys."""
import json
import os
import re
from pathlib import Path

import pytest
import yaml

from d2lcnn.colab import FIRST_CELL

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "book").glob("*.ipynb"))


def toc_files():
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part["chapters"]:
            files.append(chapter["file"])
            files += [s["file"] for s in chapter.get("sections", [])]
    return files


def test_toc_points_at_existing_files():
    for f in toc_files():
        assert any((REPO / f"{f}{ext}").exists() for ext in (".md", ".ipynb")), f


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_notebook(nb_path):
    nb = json.loads(nb_path.read_text())
    assert f"book/{nb_path.stem}" in toc_files(), "notebook missing from _toc.yml"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    first = code[0]
    assert "".join(first["source"]).strip() == FIRST_CELL.strip(), "first cell: Colab set-up"
    assert "hide-input" in first["metadata"].get("tags", [])
    assert any("nbval-check-output" in c["metadata"].get("tags", []) for c in code), \
        "no cell is checked exactly under nbval"
    for c in code:
        assert c.get("execution_count") is not None, "a cell without a stored run"
        for out in c.get("outputs", []):
            assert out["output_type"] != "error"
            text = "".join(out.get("text", "")) + json.dumps(out.get("data", {}))
            assert "reduced run" not in text, "stored output from a reduced run"
            for folder in {str(REPO), os.path.expanduser("~")}:
                assert folder not in text, "a machine path in a stored output"


def test_citations_resolve():
    keys = set(re.findall(r"@\w+\{([^,]+),", (REPO / "book" / "references.bib").read_text()))
    for page in list(NOTEBOOKS) + list((REPO / "book").glob("*.md")):
        for cited in re.findall(r"\{cite[pt]?\}`([^`]+)`", page.read_text()):
            for key in cited.split(","):
                assert key.strip() in keys, f"{page.name} cites unknown {key}"
