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
    assert recipes.load_results(tmp_path) == {"resnet": {"params": 11, "test_acc": 0.9}}
    assert [p.name for p in tmp_path.iterdir()] == ["resnet.json"]  # no temp file left


def test_results_reject_nan_without_leaving_a_file(tmp_path, no_reduced_mode):
    with pytest.raises(ValueError):
        recipes.save_results("bad", {"loss": float("nan")}, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_reduced_mode_never_writes(tmp_path, reduced_mode):
    assert recipes.save_results("resnet", {"test_acc": 0.1}, tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_corrupt_results_file_is_named(tmp_path):
    (tmp_path / "vgg.json").write_text("{not json")
    with pytest.raises(ValueError, match="vgg.json is not valid JSON"):
        recipes.load_results(tmp_path)
