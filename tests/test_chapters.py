"""One list of chapters: _toc.yml, the notebooks, their results files and the package agree."""
import json
import re
from pathlib import Path

import pytest
import yaml

from d2lcnn import chapters, compare, recipes

REPO = Path(__file__).resolve().parent.parent


def test_toc_is_the_list_of_pages():
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    assert toc == chapters.toc(), "_toc.yml and d2lcnn.chapters.PAGES list different pages"


def _heading(page):
    path = REPO / f"{page.file}.ipynb"
    if path.exists():
        cells = json.loads(path.read_text())["cells"]
        text = "".join("".join(c["source"]) + "\n" for c in cells if c["cell_type"] == "markdown")
    else:
        text = (REPO / f"{page.file}.md").read_text()
    return re.search(r"^# (.+)$", text, re.M).group(1).strip()


@pytest.mark.parametrize("page", chapters.PAGES, ids=lambda p: p.name)
def test_each_page_exists_under_its_heading(page):
    assert _heading(page) == page.heading


@pytest.mark.parametrize("name", chapters.CHAPTERS)
def test_training_chapters_save_and_title_their_results_under_their_name(name):
    source = "".join("".join(c["source"]) for c in
                     json.loads((REPO / f"book/{name}.ipynb").read_text())["cells"]
                     if c["cell_type"] == "code")
    assert re.findall(r'save_results\("(\w+)"', source) == [name]
    stored = json.loads((REPO / "book" / "results" / f"{name}.json").read_text())
    assert stored["title"] == chapters.TITLES[name]


def test_the_package_reads_the_one_list():
    assert recipes.CHAPTERS is chapters.CHAPTERS
    assert compare.CHAPTER_TITLES is chapters.TITLES
    assert set(recipes.RECIPES) == set(chapters.CHAPTERS)
    assert chapters.CHAPTERS == ("lenet", "alexnet", "vgg", "inception", "resnet", "mobilenet")
    assert [chapters.rank(c) for c in ("lenet", "mobilenet", "extra")] == [0, 5, 6]


def test_toc_keeps_parts_and_sub_pages(monkeypatch):
    pages = (chapters.Page("a", "A", "One"), chapters.Page("b", "B", "One", sections=("b2",)),
             chapters.Page("c", "C", "Two"))
    monkeypatch.setattr(chapters, "PAGES", pages)
    assert chapters.toc()["parts"] == [
        {"caption": "One", "chapters": [{"file": "book/a"},
                                        {"file": "book/b", "sections": [{"file": "book/b2"}]}]},
        {"caption": "Two", "chapters": [{"file": "book/c"}]}]


def test_unknown_names_list_the_known_ones():
    with pytest.raises(ValueError, match="its pages are diagram_to_code, lenet"):
        chapters.page("lenet5")
    with pytest.raises(ValueError, match="training chapters .lenet, alexnet"):
        chapters.chapter("comparison")
    assert chapters.chapter("vgg").title == "VGG"
