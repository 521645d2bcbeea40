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


def html_rows(html):
    """(first cell, the row's cells joined by spaces) for each row of the HTML tables in
    `html` (a DataFrame or Styler shown in a notebook), tags and entities stripped."""
    def text(cell):
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell).replace("&nbsp;", " ")).strip()
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        cells = [text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if cells:
            yield cells[0], " ".join(cells)


def quoted_table_rows(html, results):
    """(chapter, row) for each HTML table row whose first cell is a chapter's name or title
    (the whole title: "GoogLeNet (Inception)" too)."""
    for first, row in html_rows(html):
        for chapter, r in results.items():
            if first in (chapter, r.get("title")):
                yield chapter, row


def test_quoted_table_rows_reads_html_tables():
    results = {"inception": {"title": "GoogLeNet (Inception)"}, "vgg": {"title": "VGG"}}
    html = ("<table><thead><tr><th></th><th>test acc</th></tr></thead><tbody>"
            "<tr><th id='x'>GoogLeNet (Inception)</th><td class='a'>0.902</td></tr>"
            "<tr><th>VGGish</th><td>1</td></tr><tr><th>vgg</th><td>0.929&nbsp;</td></tr>"
            "</tbody></table>")
    assert list(quoted_table_rows(html, results)) == [
        ("inception", "GoogLeNet (Inception) 0.902"), ("vgg", "vgg 0.929")]


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
            rows = list(quoted_rows("".join(out.get("text", "")), results))
            rows += quoted_table_rows("".join(out.get("data", {}).get("text/html", "")), results)
            for chapter, line in rows:
                if later_chapter(chapter, nb_path.stem):
                    stale.append(f"cell {i}: quotes {chapter}, a later chapter (its table goes "
                                 f"stale when that chapter is re-run; load_results(through=...))")
                    continue
                r = results[chapter]
                acc, speed = f"{r['test_acc']:.3f}", f"{r['examples_per_sec']:,.0f}"
                # the speed as a table shows it: rounded to a whole number or to 1-3 decimals
                speeds = {f"{r['examples_per_sec']:,.{d}f}" for d in range(4)}
                if not (re.search(rf"\b{re.escape(acc)}\b", line)
                        and any(re.search(rf"(?<![\d,.]){re.escape(v)}(?![\d,]|\.\d)", line)
                                for v in speeds)):
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


# --- The reading budget of each chapter's main page (issue 21, CHAPTER_STANDARD.md) -----------

BUDGET_WORDS, BUDGET_CELLS, BUDGET_LINES = 2200, 20, 15
HIDDEN_TAGS = {"hide-input", "remove-input", "remove-cell", "hide-cell"}

#: Chapters known to be over the budget today, with the reason; the test fails for any other
#: chapter over the budget, and for a chapter listed here that now meets it (a stale entry).
OVER_BUDGET = {}


def reading_budget(nb):
    """(prose words before "## Exercises", visible code cells, lines of the longest visible
    cell) of a notebook, counted as the project's before-stop check does: words are runs of
    letters (with ' and -) outside $...$ maths; a code cell is visible unless tagged to hide
    its input or itself; empty cells do not count."""
    words = cells = longest = 0
    for c in nb["cells"]:
        source = "".join(c.get("source", ""))
        if c["cell_type"] == "markdown":
            if re.search(r"^#+\s*Exercises", source, re.M):
                break
            words += len(re.findall(r"[A-Za-z][A-Za-z'-]*", re.sub(r"\$[^$]*\$", " ", source)))
        elif c["cell_type"] == "code" and source.strip() and \
                not set(c.get("metadata", {}).get("tags", [])) & HIDDEN_TAGS:
            cells += 1
            longest = max(longest, len(source.strip().splitlines()))
    return words, cells, longest


def over_budget(counts):
    """The parts of `counts` (words, cells, longest) over the budget, as text ('' if none)."""
    limits = (BUDGET_WORDS, BUDGET_CELLS, BUDGET_LINES)
    names = ("words", "visible code cells", "lines in the longest cell")
    return ", ".join(f"{n:,} {name} (budget {limit:,})"
                     for n, limit, name in zip(counts, limits, names) if n > limit)


def _nb(*cells):
    return {"cells": [{"cell_type": kind, "source": source, "metadata": {"tags": list(tags)}}
                      for kind, source, *tags in cells]}


def test_reading_budget_counts_prose_before_the_exercises():
    nb = _nb(("markdown", "# Title\n\nTwo words, don't $x + y$ count-me."),
             ("markdown", "## Exercises\n\nmany words here that do not count"),
             ("markdown", "after the exercises"))
    # Title, Two, words, don't, count-me: the maths and everything from Exercises on are out
    assert reading_budget(nb)[0] == 5


def test_reading_budget_counts_visible_cells_only():
    long_cell = "\n".join(f"x{i} = {i}" for i in range(17))
    nb = _nb(("code", "a = 1\nb = 2\n"), ("code", long_cell, "hide-input"),
             ("code", long_cell, "remove-cell"), ("code", "   \n"),
             ("code", "print(a)", "nbval-check-output"), ("code", "x", "hide-cell"),
             ("code", "y", "remove-input"))
    assert reading_budget(nb) == (0, 2, 2)


def test_over_budget_names_each_excess():
    assert over_budget((2200, 20, 15)) == ""
    text = over_budget((2201, 20, 16))
    assert "2,201 words" in text and "16 lines" in text and "cells" not in text
    nb = _nb(*[("code", "pass")] * 21)
    assert "21 visible code cells" in over_budget(reading_budget(nb))


def main_pages():
    """The notebooks of `d2lcnn.chapters.PAGES` that are not a chapter's sub-page."""
    from d2lcnn.chapters import PAGES
    sub = {s for p in PAGES for s in p.sections}
    return [p.name for p in PAGES
            if p.name not in sub and (REPO / "book" / f"{p.name}.ipynb").exists()]


@pytest.mark.parametrize("name", main_pages())
def test_main_page_within_reading_budget(name):
    counts = reading_budget(json.loads((REPO / "book" / f"{name}.ipynb").read_text()))
    excess = over_budget(counts)
    if name in OVER_BUDGET:
        assert excess, (f"{name} now meets the reading budget {counts}: remove it from "
                        f"OVER_BUDGET in tests/test_book.py")
    else:
        assert not excess, (f"book/{name}.ipynb is over the reading budget: {excess}; move "
                            f"depth to a 'Going further' sub-page (CHAPTER_STANDARD.md)")


def test_over_budget_lists_only_book_pages():
    assert set(OVER_BUDGET) <= set(main_pages()), "OVER_BUDGET names a page the book lacks"
