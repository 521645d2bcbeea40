"""Recipes are chosen by device and printed; results files are atomic and never written by CI."""
import json

import mxnet as mx
import pytest

from d2lcnn import recipes

GPU = recipes.Recipe("gpu", "resnet18", {}, 96, 256, 0.05, 10)
CPU = recipes.Recipe("cpu", "resnet18", {"stem": "small", "width": 16}, None, 128, 0.1, 5,
                     note="narrower and at 28x28 so that it trains in 15 minutes")


def test_choose_by_device():
    assert recipes.choose_recipe(GPU, CPU, mx.gpu(0)) is GPU
    assert recipes.choose_recipe(GPU, CPU, mx.cpu()) is CPU


def test_recipe_prints_what_runs():
    text = str(CPU)
    assert text.startswith("CPU recipe: resnet18(stem='small', width=16) at 28x28, batch 128")
    assert "15 minutes" in text


def test_results_roundtrip(tmp_path, no_reduced_mode):
    path = recipes.save_results("resnet", {"test_acc": 0.9, "params": 11}, tmp_path)
    assert json.loads(path.read_text())["test_acc"] == 0.9
    saved = recipes.load_results(tmp_path)  # plus the run's version and commit (test_version.py)
    assert {k: v for k, v in saved["resnet"].items() if k not in recipes.RUN_KEYS} == \
        {"params": 11, "test_acc": 0.9} and list(saved) == ["resnet"]
    assert [p.name for p in tmp_path.iterdir()] == ["resnet.json"]  # no temp file left


def test_results_reject_nan_without_leaving_a_file(tmp_path, no_reduced_mode):
    with pytest.raises(ValueError):
        recipes.save_results("bad", {"loss": float("nan")}, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_reduced_mode_never_writes(tmp_path, reduced_mode):
    assert recipes.save_results("resnet", {"test_acc": 0.1}, tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_results_in_book_order_and_through_a_chapter(tmp_path, no_reduced_mode):
    for chapter in ("resnet", "alexnet", "extra", "lenet", "mobilenet"):
        recipes.save_results(chapter, {"name": chapter}, tmp_path)
    assert list(recipes.load_results(tmp_path)) == \
        ["lenet", "alexnet", "resnet", "mobilenet", "extra"]
    assert list(recipes.load_results(tmp_path, through="resnet")) == \
        ["lenet", "alexnet", "resnet"]
    assert list(recipes.load_results(tmp_path, through="lenet")) == ["lenet"]
    with pytest.raises(ValueError, match="through must be one of the book's chapters"):
        recipes.load_results(tmp_path, through="ResNet")


def test_corrupt_results_file_is_named(tmp_path):
    (tmp_path / "vgg.json").write_text("{not json")
    with pytest.raises(ValueError, match="vgg.json is not valid JSON"):
        recipes.load_results(tmp_path)


def test_optimizer_params_of_plain_sgd_is_none():
    assert GPU.optimizer_params(100) is None


def test_optimizer_params_decay_steps_after_the_right_batch():
    r = recipes.Recipe("cpu", "lenet", {}, None, 256, 0.1, 10, momentum=0.9, wd=5e-4,
                       decay_last=2)
    params = r.optimizer_params(235)
    assert params["momentum"] == 0.9 and params["wd"] == 5e-4
    sched = params["lr_scheduler"]
    assert sched(8 * 235) == pytest.approx(0.1)       # still the base rate at the step
    assert sched(8 * 235 + 1) == pytest.approx(0.01)  # then divided by 10
    text = str(r)
    assert "momentum 0.9" in text and "last 2 epochs" in text and "weight decay" in text


def test_one_decayed_epoch_reads_as_english():
    r = recipes.Recipe("cpu", "lenet", {}, None, 256, 0.1, 10, decay_last=1)
    assert str(r).endswith("10 epochs, lr / 10 for the last epoch")
    assert r.schedule == "lr / 10 for the last epoch"
    assert recipes.Recipe("cpu", "lenet", {}, None, 256, 0.1, 10, decay_last=3).schedule == \
        "lr / 10 for the last 3 epochs"
    assert recipes.Recipe("cpu", "lenet", {}, None, 256, 0.1, 10).schedule is None


@pytest.mark.parametrize("kwargs, match", [
    ({"decay_last": 10}, "decay_last"),
    ({"decay_last": -1}, "decay_last"),
    ({"momentum": 1.0}, "momentum"),
    ({"lr": 0}, "lr"),
])
def test_bad_recipes_are_refused(kwargs, match):
    args = dict(name="cpu", model="lenet", model_options={}, resize=None, batch_size=256,
                lr=0.1, num_epochs=10)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        recipes.Recipe(**args)


def test_optimizer_params_needs_batches_when_decaying():
    r = recipes.Recipe("cpu", "lenet", {}, None, 256, 0.1, 10, decay_last=1)
    with pytest.raises(ValueError, match="len\\(train_iter\\)"):
        r.optimizer_params(None)
    assert r.as_dict()["decay_last"] == 1 and r.input_size == 28
