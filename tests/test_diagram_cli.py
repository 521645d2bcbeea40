"""python -m d2lcnn draw: a file written atomically, or one line of error and exit status 2."""
import os
import subprocess
import sys

import pytest

from d2lcnn.__main__ import main

from conftest import REPO


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(code, out, err, fragment):
    assert code == 2 and out == ""
    assert err.startswith("d2lcnn: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert fragment in err, err


def test_draw_writes_svg_and_png(capsys, tmp_path):
    svg = tmp_path / "lenet.svg"
    code, out, err = run(capsys, "draw", "lenet", "--out", str(svg))
    assert code == 0 and err == ""
    assert out.startswith(f"wrote {svg}: lenet, ") and out.endswith(" pt\n")
    text = svg.read_text()
    assert text.startswith("<?xml") and "5×5 conv, 6" in text and "61,706" in text
    png = tmp_path / "r18.PNG"
    code, out, _ = run(capsys, "draw", "resnet18", "--input", "64", "--out", str(png),
                       "--horizontal", "--no-params", "--theme", "dark")
    assert code == 0 and png.read_bytes()[:4] == b"\x89PNG"
    assert sorted(os.listdir(tmp_path)) == ["lenet.svg", "r18.PNG"]


def test_draw_defaults_to_model_svg_in_the_current_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, _ = run(capsys, "draw", "LeNet", "--no-params")
    assert code == 0 and os.listdir(tmp_path) == ["lenet.svg"]


@pytest.mark.parametrize("argv,fragment", [
    (["draw", "lenett"], "unknown model 'lenett'. Did you mean lenet"),
    (["draw", "lenet", "--out", "x.jpg"], "--out must end in .svg or .png; got 'x.jpg'"),
    (["draw", "lenet", "--out", "/nonexistent-folder/x.svg"], "does not exist"),
    (["draw", "lenet", "--input", "1x4x4", "--out", "x.svg"],
     "input 4x4 is too small for lenet: the smallest size that works is 12x12"),
    (["draw", "lenet", "--input", "3x28x28", "--out", "x.svg"],
     "lenet takes 1-channel images; got 3 channel(s)"),
    (["draw", "lenet", "--input", "28x", "--out", "x.svg"], "--input must look like"),
    (["draw", "lenet", "--theme", "sepia"], "invalid choice: 'sepia'"),
])
def test_draw_user_errors(capsys, tmp_path, monkeypatch, argv, fragment):
    monkeypatch.chdir(tmp_path)
    assert_user_error(*run(capsys, *argv), fragment)
    assert os.listdir(tmp_path) == []                      # nothing written


def test_draw_as_a_module(tmp_path):
    """``python -m d2lcnn`` runs __main__ as a second module: errors must still be one line."""
    env = dict(os.environ, PYTHONPATH=REPO)
    out = tmp_path / "g.svg"
    ok = subprocess.run([sys.executable, "-m", "d2lcnn", "draw", "lenet5", "--no-params",
                         "--out", str(out)], capture_output=True, text=True, env=env,
                        cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert out.read_text().count("<text") > 10
    bad = subprocess.run([sys.executable, "-m", "d2lcnn", "draw", "nope"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("d2lcnn: error: unknown model")
    assert bad.stderr.count("\n") == 1
    helped = subprocess.run([sys.executable, "-m", "d2lcnn", "--help"], capture_output=True,
                            text=True, env=env)
    assert "draw" in helped.stdout
