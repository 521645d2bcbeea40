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


# ---- --in-channels, train --------------------------------------------------------------------

def test_summary_and_bench_take_in_channels(capsys):
    code, out, _ = run(capsys, "summary", "resnet18", "--in-channels", "1", "--classes", "10",
                       "--no-rows")
    assert code == 0 and out.startswith("resnet18 (resnet), 10 classes, input 1x224x224")
    # the stem's 7x7 convolution sees one channel instead of three; the head has 10 outputs
    expected = 11_689_512 - 64 * 7 * 7 * 2 - 512 * 990 - 990
    assert f"Trainable params:       {expected:,}" in out and "Published" not in out
    code, out, _ = run(capsys, "bench", "lenet", "--in-channels", "3", "--batch", "2",
                       "--repeats", "1", "--warmup", "0", "--no-backward", "--device", "cpu")
    assert code == 0 and out.startswith("lenet: batch 2 of 3x28x28 on CPU")
    assert_user_error(*run(capsys, "summary", "lenet", "--in-channels", "3", "--input",
                           "1x28x28"), "--in-channels 3 but --input 1x28x28 has 1 channel(s)")


def test_train_saves_its_history_as_json(capsys, tmp_path, reduced_mode):
    from d2lcnn.train import History
    path = tmp_path / "lenet.json"
    code, out, err = run(capsys, "train", "lenet", "--epochs", "2", "--lr", "0.5",
                         "--batch-size", "64", "--out", str(path), "--no-progress", "--seed", "1")
    assert code == 0, err
    assert out.startswith("lenet: 10 classes, 1x28x28 images, batch 64, lr 0.5, 2 epochs")
    history = History.load_json(path)
    assert history.epochs == 2 and history.lr == 0.5 and history.batch_size == 64
    assert history.train_batches == [3, 3]          # the reduced mode's cap (conftest)
    assert history.options["model"] == "lenet" and history.options["num_classes"] == 10
    assert f"history of 2 epoch(s) saved to {path}" in out
    assert [p.name for p in tmp_path.iterdir()] == ["lenet.json"]   # no temporary file left


def test_train_resizes_to_what_the_model_takes(capsys, tmp_path, reduced_mode):
    smallest = model_info("alexnet").smallest_input()
    code, out, err = run(capsys, "train", "alexnet", "--epochs", "1", "--batch-size", "8",
                         "--out", str(tmp_path / "a.json"), "--no-progress")
    assert code == 0, err
    assert f"1x{smallest}x{smallest} images" in out


@pytest.mark.parametrize("argv,fragment", [
    (["train", "lenett"], "unknown model 'lenett'"),
    (["train", "lenet", "--lr", "0"], "--lr must be a positive number"),
    (["train", "lenet", "--lr", "x"], "invalid float value"),
    (["train", "lenet", "--epochs", "0"], "--epochs must be a positive integer"),
    (["train", "lenet", "--batch-size", "-5"], "--batch-size must be a positive integer"),
    (["train", "lenet", "--classes", "0"], "--classes must be a positive integer"),
    (["train", "lenet", "--resize", "4"], "--resize 4 is too small for lenet"),
    (["train", "lenet", "--in-channels", "3"], "Fashion-MNIST's images have 1 channel"),
    (["train", "lenet", "--out", "/nonexistent-folder/h.json"], "cannot write into"),
    (["train", "lenet", "--device", "tpu"], "invalid choice"),
    (["summary", "lenet", "--in-channels", "0"], "--in-channels must be a positive integer"),
    (["list", "--family", "nope"], "the families are alexnet, inception, lenet"),
])
def test_train_bad_values(capsys, argv, fragment):
    assert_user_error(*run(capsys, *argv), fragment)


def test_train_reports_divergence_in_one_line_and_keeps_the_good_epochs(
        capsys, tmp_path, reduced_mode, monkeypatch):
    """train_ch6's divergence error (with the epochs done) becomes one line, exit code 2, and
    the finished epochs are still saved."""
    from d2lcnn import train
    from d2lcnn.errors import TrainingDivergedError
    real = train.train_ch6

    def diverge_in_epoch_two(net, train_iter, test_iter, num_epochs, lr, device=None, **kw):
        history = real(net, train_iter, test_iter, 1, lr, device, **kw)
        err = TrainingDivergedError("the training loss became NaN in epoch 2.\nTry lr / 10.")
        err.history = history
        raise err
    monkeypatch.setattr(train, "train_ch6", diverge_in_epoch_two)
    path = tmp_path / "h.json"
    code, out, err = run(capsys, "train", "lenet", "--epochs", "3", "--out", str(path),
                         "--no-progress")
    assert code == 2 and err == ("d2lcnn: error: the training loss became NaN in epoch 2. "
                                 "Try lr / 10.\n")
    assert train.History.load_json(path).epochs == 1
    assert "history of 1 epoch(s) saved" in out


def test_commands_are_listed_from_one_table():
    from d2lcnn.__main__ import COMMANDS, build_parser
    assert [f.__name__ for f in COMMANDS][:4] == ["add_list", "add_summary", "add_bench",
                                                  "add_train"]
    usage = build_parser().format_usage()
    assert "{list,summary,bench,train" in usage
