"""tools/check_site.py: its pieces, and the whole check on a small site broken on purpose (in
headless Chromium, where there is one: `make check-site` runs this file first)."""
import importlib.util
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def load_tool():
    spec = importlib.util.spec_from_file_location("check_site", REPO / "tools" / "check_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cs = load_tool()


def test_page_kinds_and_names():
    assert cs.page_kind("book/lenet.html") == "chapter"
    assert cs.page_kind("book/intro.html") == "text"
    assert cs.page_kind("book/references.html") == "bibliography"
    assert cs.page_kind("search.html") == "search"
    assert cs.screen_name("book/lenet.html", "-390px") == "book__lenet-390px"


def test_expected_colab_url_follows_the_config():
    _, owner, name = cs.sync_site.read_repository()
    assert cs.expected_colab("book/vgg.html", "v1.2.3") == \
        f"https://colab.research.google.com/github/{owner}/{name}/blob/v1.2.3/book/vgg.ipynb"


def test_site_pages_leave_out_assets(tmp_path):
    for rel in ("index.html", "book/a.html", "_static/x.html", "_sources/book/a.html"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("<p>x</p>")
    assert cs.site_pages(tmp_path) == ["book/a.html", "index.html"]


def test_find_browser(tmp_path, monkeypatch):
    assert cs.find_browser(str(tmp_path / "none")) is None
    exe = tmp_path / "chrome"
    exe.write_text("#!/bin/sh\n")
    assert cs.find_browser(str(exe)) == str(exe)
    monkeypatch.setenv("D2LCNN_CHROMIUM", str(exe))
    assert cs.find_browser() == str(exe)


def test_links_to_missing_files_and_anchors(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "a.html").write_text("a")
    (tmp_path / "book" / "b.html").write_text("b")
    base = "http://127.0.0.1:1/"
    seen = {
        base + "book/a.html": {"links": [base + "book/b.html#there", base + "book/b.html#gone",
                                         base + "book/c.html", "https://example.org/x",
                                         base + "book/a.html#top"], "ids": ["top"]},
        base + "book/b.html": {"links": [], "ids": ["there"]},
    }
    report = cs.Report()
    cs.check_links(seen, base, tmp_path, report)
    assert sorted(report.problems) == [
        "book/a.html: links: book/b.html#gone (no #gone on that page)",
        "book/a.html: links: book/c.html (no such file)"]
    assert report.passed == 1  # b.html


def test_the_exit_code_says_it_cannot_run_without_a_browser(tmp_path, capsys, monkeypatch):
    (tmp_path / "index.html").write_text("<p>x</p>")
    monkeypatch.setattr(cs, "BROWSERS", ("no-such-browser",))
    monkeypatch.delenv("D2LCNN_CHROMIUM", raising=False)
    assert cs.main([str(tmp_path)]) == cs.SKIP
    out = capsys.readouterr().out
    assert out.startswith("check-site: skipped: no Chromium") and out.count("\n") == 1


BROKEN = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>broken</title></head>
<body><main><div class="bd-article">
<p id="here">Raw math that nothing typeset: $$\\frac{a}{b}$$ and \\(x^2\\).</p>
<img src="missing.png" alt="missing">
<img src="https://example.org/outside.png" alt="outside">
<a href="nowhere.html">a missing page</a> <a href="#gone">a missing anchor</a>
<a href="#here">a good anchor</a>
<table style="width: 1200px"><tr><td>a table wider than a phone, with no scroll</td></tr></table>
<div style="overflow: auto; width: 200px"><pre style="white-space: pre">{long}</pre></div>
<p class="book-version">d2lcnn 0.0.0</p>
</div></main>
<script>console.error("boom"); null.property;</script>
</body></html>
""".replace("{long}", "x = 1  # " + "a long line " * 20)


def test_a_broken_site_fails_every_check(tmp_path):
    browser = cs.find_browser()
    if browser is None:
        pytest.skip("no Chromium here (make check-site runs this where it installed one)")
    pytest.importorskip("playwright.sync_api",
                        reason="Playwright is installed by make check-site (requirements-site.txt)")
    site = tmp_path / "site"
    (site / "book").mkdir(parents=True)
    (site / "book" / "lenet.html").write_text(BROKEN)  # a chapter: it needs a Colab button
    (site / "index.html").write_text('<meta http-equiv="refresh" content="0; url=book/lenet.html">')
    report, pages = cs.run(site, tmp_path / "screens", browser, "v0.0.0")
    problems = "\n".join(report.problems)
    for expected in ("math: raw TeX in the text", "images: image did not load: missing.png",
                     "console: boom", "console: uncaught", "requests to other hosts: "
                     "https://example.org/outside.png", "links: book/nowhere.html (no such file)",
                     "links: book/lenet.html#gone (no #gone", "no <meta name=\"viewport\"", "Colab button: 0 Colab buttons", "390 px: the page "
                     "scrolls sideways", "print: ", "is cut on paper", "footer: does not name",
                     "search: no chapter contains"):
        assert expected in problems, f"{expected!r} not found in:\n{problems}"
    assert "index.html: redirect" not in problems  # it leads to an existing page
    assert pages == ["book/lenet.html", "index.html"]
    assert (tmp_path / "screens" / "book__lenet.png").stat().st_size > 0
    assert (tmp_path / "screens" / "book__lenet-print.pdf").read_bytes().startswith(b"%PDF")
