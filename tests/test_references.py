"""The reference implementations the equivalence tests compare with (gluon-cv, d2l) are there
in the make environment: missing, those tests fail there, and are skipped (with the reason
printed) anywhere else."""
import sys

import pytest

import helpers
from helpers import import_reference, in_make_environment


def test_references_are_importable_here():
    assert import_reference("gluoncv").model_zoo.get_model
    assert import_reference("d2l.mxnet").LeNet


def test_a_missing_reference_fails_in_the_make_environment(monkeypatch):
    monkeypatch.setenv("D2LCNN_REQUIRE_REFERENCES", "1")
    assert in_make_environment()
    with pytest.raises(pytest.fail.Exception, match="this is the make environment"):
        import_reference("d2lcnn_no_such_reference")


def test_a_missing_reference_is_skipped_elsewhere(monkeypatch, capsys):
    monkeypatch.delenv("D2LCNN_REQUIRE_REFERENCES", raising=False)
    monkeypatch.setattr(sys, "prefix", "/somewhere/else")
    assert not in_make_environment()
    with pytest.raises(pytest.skip.Exception, match="make setup"):
        import_reference("d2lcnn_no_such_reference")
    assert "skipped: the reference 'd2lcnn_no_such_reference'" in capsys.readouterr().out


def test_the_make_environment_is_this_repositorys_venv(monkeypatch, tmp_path):
    monkeypatch.delenv("D2LCNN_REQUIRE_REFERENCES", raising=False)
    venv = tmp_path / ".venv"
    venv.mkdir()
    monkeypatch.setattr(helpers, "_REPO", str(tmp_path))
    monkeypatch.setattr(sys, "prefix", str(venv))
    assert not in_make_environment()          # no stamp: make has not finished installing
    (venv / ".installed").write_text("")
    assert in_make_environment()
