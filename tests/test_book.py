"""The book as a product: every chapter is in the table of contents, starts with the Colab cell,
has stored outputs without errors or machine paths, marks exact cells, and cites known keys."""
import json
import os
import re
from pathlib import Path

import pytest
import yaml

from d2lcnn.colab import FIRST_CELL
from d2lcnn.recipes import CHAPTERS, load_results

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


def quoted_rows(text, results):
    """(chapter, line) for each line of `text` that starts with a chapter's name or title."""
    for line in text.splitlines():
        first = line.split(" ", 1)[0]
        for chapter, r in results.items():
            if first in (chapter, r.get("title")):
                yield chapter, line


def test_quoted_rows_finds_chapter_lines():
    results = {"lenet": {"title": "LeNet"}, "vgg": {"title": "VGG"}}
    text = "chapter model\nlenet  lenet 0.883\nLeNet x\nlenet: recipe\nvggx 1\nvgg (this run) 2"
    assert [c for c, _ in quoted_rows(text, results)] == ["lenet", "lenet", "vgg"]


def later_chapter(quoted, chapter):
    """Whether `quoted` comes after `chapter` in the book (the closing chapter quotes them all)."""
    return quoted in CHAPTERS and chapter in CHAPTERS and \
        CHAPTERS.index(quoted) > CHAPTERS.index(chapter)


def test_later_chapter():
    assert later_chapter("mobilenet", "resnet") and not later_chapter("lenet", "resnet")
    assert not later_chapter("resnet", "resnet") and not later_chapter("mobilenet", "comparison")


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_tables_quote_the_stored_results(nb_path):
    """A chapter that shows other chapters' results must show those in book/results. A full run
    of chapter X changes its results file, so every later chapter (book order) and the closing
    chapter must be re-run after it (tools/run_chapter.py says which)."""
    results = load_results()  # the full runs' figures, book/results/*.json
    nb = json.loads(nb_path.read_text())
    stale = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or "load_results" not in "".join(cell["source"]):
            continue
        for out in cell.get("outputs", []):
            for chapter, line in quoted_rows("".join(out.get("text", "")), results):
                if later_chapter(chapter, nb_path.stem):
                    stale.append(f"cell {i}: quotes {chapter}, a later chapter (its table goes "
                                 f"stale when that chapter is re-run; load_results(through=...))")
                    continue
                r = results[chapter]
                acc, speed = f"{r['test_acc']:.3f}", f"{r['examples_per_sec']:,.0f}"
                if not (re.search(rf"\b{re.escape(acc)}\b", line)
                        and re.search(rf"(?<![\d,]){re.escape(speed)}(?![\d,])", line)):
                    stale.append(f"cell {i}: {line.strip()!r} (results file: test acc {acc}, "
                                 f"{speed} ex/s)")
    assert not stale, "stored output quotes older results; re-run this chapter:\n" + \
        "\n".join(stale)


def load_run_chapter():
    import importlib.util
    spec = importlib.util.spec_from_file_location("run_chapter", REPO / "tools" / "run_chapter.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_chapter_runs_in_book_order_and_names_stale_readers():
    tool = load_run_chapter()
    order = tool.book_order()
    assert order == [f"{f}.ipynb" for f in toc_files() if (REPO / f"{f}.ipynb").exists()]
    picked = [str(REPO / "book" / "comparison.ipynb"), "elsewhere.ipynb",
              str(REPO / "book" / "vgg.ipynb"), str(REPO / "book" / "lenet.ipynb")]
    assert [tool.relative(p) for p in tool.in_book_order(picked)] == \
        ["book/lenet.ipynb", "book/vgg.ipynb", "book/comparison.ipynb", "elsewhere.ipynb"]
    after_vgg = tool.readers_after(REPO / "book" / "vgg.ipynb")
    assert after_vgg and after_vgg[-1] == "book/comparison.ipynb"
    assert all(order.index(nb) > order.index("book/vgg.ipynb") for nb in after_vgg)
    assert "book/lenet.ipynb" not in after_vgg
    assert tool.readers_after(REPO / "book" / "comparison.ipynb") == []
    assert tool.readers_after("elsewhere.ipynb") == []
