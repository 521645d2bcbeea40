"""d2lcnn.glue: myst-nb's glue where myst-nb is installed, a plain recorder elsewhere."""
import subprocess
import sys

import pytest

from d2lcnn import nbglue
import d2lcnn


def test_without_myst_nb_it_records_and_shows(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)   # as if not installed
    assert nbglue._myst_glue() is None
    d2lcnn.glue("lenet_params", 61706)
    d2lcnn.glue("hidden", "a sentence", display=False)
    assert capsys.readouterr().out == "61706\n"
    assert nbglue.RECORDED["lenet_params"] == 61706
    assert nbglue.RECORDED["hidden"] == "a sentence"
    d2lcnn.glue("lenet_params", 1, display=False)   # the last value wins, as in myst-nb
    assert nbglue.RECORDED["lenet_params"] == 1


def test_bad_names_are_refused():
    for bad in ("", None, 3):
        with pytest.raises(ValueError, match="non-empty string name"):
            d2lcnn.glue(bad, 1)


def test_with_myst_nb_it_is_myst_nb_s_glue(monkeypatch):
    myst_nb = pytest.importorskip("myst_nb")   # the book's environment has it
    calls = []
    monkeypatch.setattr(myst_nb, "glue", lambda *args: calls.append(args))
    d2lcnn.glue("vgg_params", 42, display=False)
    assert calls == [("vgg_params", 42, False)]
    assert nbglue.RECORDED["vgg_params"] == 42


def test_in_a_notebook_the_output_is_myst_nb_s():
    """In a kernel with myst-nb, a glued value's output carries myst-nb's metadata, as the
    book's stored outputs do; where myst-nb is missing, the value is displayed plainly."""
    pytest.importorskip("myst_nb")
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from d2lcnn import glue\nglue('n', 7)"),
                nbformat.v4.new_code_cell("import sys\nsys.modules['myst_nb'] = None\n"
                                          "from d2lcnn import glue\nglue('m', 8)")]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (glued,) = nb.cells[0].outputs
    assert glued["data"]["text/plain"] == "7" and "scrapbook" in glued["metadata"]
    (plain,) = nb.cells[1].outputs
    assert plain["data"]["text/plain"] == "8" and "scrapbook" not in plain.get("metadata", {})


def test_the_chapters_take_glue_from_d2lcnn():
    from pathlib import Path
    for nb in sorted((Path(__file__).resolve().parent.parent / "book").glob("*.ipynb")):
        text = nb.read_text()
        assert "from myst_nb import" not in text, f"{nb.name} needs myst-nb (absent on Colab)"
