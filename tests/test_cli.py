"""python -m d2lcnn: list, summary, bench; user errors end with code 2 and one line."""
import os
import subprocess
import sys

import pytest

from d2lcnn.__main__ import main, parse_input, UserError
from d2lcnn.device import mxnet_gpu_count
from d2lcnn.registry import list_models, model_info

from conftest import REPO


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(code, out, err, *fragments):
    assert code == 2
    assert err.startswith("d2lcnn: error: ") and err.count("\n") == 1   # one line
    assert "Traceback" not in err and out == ""
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def test_list(capsys):
    code, out, err = run(capsys, "list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["name", "family", "input"]
    assert [line.split()[0] for line in lines[1:]] == list_models()
    lenet = next(line for line in lines if line.startswith("lenet "))
    assert lenet.split()[1:5] == ["lenet", "1x28x28", "10", "61,706"]


def test_list_family(capsys):
    code, out, _ = run(capsys, "list", "--family", "lenet")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[1:]] == list_models("lenet")
    assert_user_error(*run(capsys, "list", "--family", "nope"), "no models in family 'nope'")


def test_summary_at_the_papers_configuration(capsys):
    code, out, err = run(capsys, "summary", "lenet")
    assert code == 0 and err == ""
    assert out.startswith("lenet (lenet), 10 classes, input 1x28x28")
    assert "features.conv1.0" in out and "Conv2D" in out
    assert "Trainable params:       61,706" in out
    assert "Published:              61,706 trainable (matches)" in out
    assert "source: " in out


def test_summary_options(capsys):
    code, out, _ = run(capsys, "summary", "lenet", "--no-rows", "--classes", "5")
    assert code == 0 and "features.conv1.0" not in out
    assert f"Trainable params:       {61_706 - 850 + 84 * 5 + 5:,}" in out
    assert "Published" not in out                       # not the paper's configuration
    code, out, _ = run(capsys, "summary", "lenet", "--input", "36", "--no-rows")
    assert code == 0 and "(1, 1, 36, 36)" in out and "Published" not in out
    code, out, _ = run(capsys, "summary", "lenet", "--input", "1x28x28", "--rows")
    assert code == 0 and "matches" in out and "features.fc2.0" in out


def test_unknown_model_lists_the_known_ones(capsys):
    code, out, err = run(capsys, "summary", "lenett")
    assert_user_error(code, out, err, "unknown model 'lenett'", "Did you mean lenet",
                      *list_models())
    assert_user_error(*run(capsys, "bench", "nope"), "Known models: ")


@pytest.mark.parametrize("text", ["abc", "3x", "3x0x5", "1x2x3x4", "-3", "3by224by224", ""])
def test_malformed_input(capsys, text):
    assert_user_error(*run(capsys, "summary", "lenet", "--input", text),
                      "--input must look like 3x224x224", repr(text))


def test_input_too_small_says_the_smallest_size(capsys):
    smallest = model_info("lenet").smallest_input()
    assert_user_error(*run(capsys, "summary", "lenet", "--input", f"1x{smallest - 1}x40"),
                      f"smallest size that works is {smallest}x{smallest}")
    assert_user_error(*run(capsys, "bench", "lenet", "--input", "5", "--repeats", "1"),
                      f"smallest size that works is {smallest}x{smallest}")


def test_wrong_channels_say_what_the_model_expects(capsys):
    assert_user_error(*run(capsys, "summary", "lenet", "--input", "3x28x28"),
                      "lenet takes 1-channel images", "got 3 channel(s)")


@pytest.mark.parametrize("argv,fragment", [
    ([], "required"),
    (["frob"], "invalid choice"),
    (["summary"], "required: model"),
    (["summary", "lenet", "--classes", "x"], "invalid int value"),
    (["summary", "lenet", "--classes", "0"], "--classes must be a positive integer"),
    (["bench", "lenet", "--batch", "0"], "--batch must be a positive integer"),
    (["bench", "lenet", "--repeats", "-1"], "--repeats must be a positive integer"),
    (["bench", "lenet", "--warmup", "-1"], "--warmup must be >= 0"),
    (["bench", "lenet", "--device", "tpu"], "invalid choice"),
])
def test_bad_arguments(capsys, argv, fragment):
    assert_user_error(*run(capsys, *argv), fragment)


def test_bench(capsys):
    code, out, err = run(capsys, "bench", "lenet", "--batch", "2", "--repeats", "2",
                         "--warmup", "1", "--device", "cpu")
    assert code == 0
    assert out.startswith("lenet: batch 2 of 1x28x28 on CPU")
    assert "Forward:" in out and "Forward-backward:" in out and "sec / batch" in out
    code, out, _ = run(capsys, "bench", "lenet", "--batch", "2", "--repeats", "1",
                       "--no-backward")
    assert code == 0 and "Forward-backward" not in out


@pytest.mark.skipif(mxnet_gpu_count() > 0, reason="this machine has a GPU MXNet can use")
def test_bench_on_a_missing_gpu(capsys):
    assert_user_error(*run(capsys, "bench", "lenet", "--device", "gpu"), "--device gpu: ")


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    assert "summary" in capsys.readouterr().out


def test_parse_input():
    assert parse_input("3x224x224", 1) == (3, 224, 224)
    assert parse_input("224X200", 3) == (3, 224, 200)
    assert parse_input("96", 1) == (1, 96, 96)
    with pytest.raises(UserError):
        parse_input("3x224x224x1", 3)


def test_subprocess():
    """The real entry point: exit codes, stdout and a one-line stderr without a traceback."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    ok = subprocess.run([sys.executable, "-m", "d2lcnn", "summary", "lenet5", "--no-rows"],
                        capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "Trainable params:       60,850" in ok.stdout and "matches" in ok.stdout
    smallest = model_info("alexnet").smallest_input()
    bad = subprocess.run([sys.executable, "-m", "d2lcnn", "summary", "alexnet", "--input",
                          f"3x{smallest - 1}x{smallest - 1}"], capture_output=True, text=True,
                         cwd=REPO, env=env, timeout=120)
    assert bad.returncode == 2 and bad.stdout == ""
    (line,) = bad.stderr.strip().splitlines()
    assert line.startswith("d2lcnn: error: ") and "too small for alexnet" in line
    assert f"the smallest size that works is {smallest}x{smallest}" in line
