"""Recipes: one table, chosen by device or D2LCNN_RECIPE, every GPU recipe run; results files:
atomic, next to the book, never written by CI."""
import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import mxnet as mx
import numpy as onp
import pytest

from d2lcnn import chapters, config, recipes

REPO = Path(__file__).resolve().parent.parent

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


# ---- the chapters' recipes: one table ------------------------------------------------------

def _notebook_recipes(chapter):
    """GPU and CPU as a chapter's notebook defines them itself (before it reads the table)."""
    cells = json.loads((REPO / "book" / f"{chapter}.ipynb").read_text())["cells"]
    source = next("".join(c["source"]) for c in cells if c["cell_type"] == "code"
                  and "GPU = d2lcnn.Recipe(" in "".join(c["source"]))
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and node.targets[0].id in ("GPU", "CPU"):
            call = node.value
            args = [ast.literal_eval(a) for a in call.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
            found[node.targets[0].id.lower()] = recipes.Recipe(*args, **kwargs)
    return found


@pytest.mark.parametrize("chapter", chapters.CHAPTERS)
def test_table_holds_the_recipes_the_chapters_ran(chapter):
    """The table is what each notebook wrote in its recipe cell (while notebooks still have
    one), and its CPU recipe is the one the stored full run names in book/results."""
    table = recipes.chapter_recipes(chapter)
    cells = (REPO / "book" / f"{chapter}.ipynb").read_text()
    if "GPU = d2lcnn.Recipe(" in cells:
        ours = _notebook_recipes(chapter)
        for which in ("gpu", "cpu"):
            mine, theirs = table[which].as_dict(), ours[which].as_dict()
            if chapter == "lenet" and which == "cpu":
                # the notebook passed its own last_epochs_decay(last=2): the table says so
                assert theirs["decay_last"] == 0 and mine["decay_last"] == 2
                mine["decay_last"], mine["note"], theirs["note"] = 0, "", ""
            assert mine == theirs, (chapter, which)
    else:
        assert "recipe_for" in cells or "chapter_recipes" in cells, chapter
    stored = json.loads((REPO / "book" / "results" / f"{chapter}.json").read_text())
    assert stored["model"] == table["cpu"].model
    assert stored["model_options"] == table["cpu"].model_options
    assert stored["input_size"] == table["cpu"].input_size
    if chapter != "lenet":  # LeNet's stored text names the notebook's own decay function
        assert stored["recipe"] == str(table["cpu"])
    else:
        assert stored["lr_schedule"] == table["cpu"].schedule


def test_recipe_forced_by_the_environment(monkeypatch, capsys):
    gpu, cpu = recipes.chapter_recipes("resnet").values()
    monkeypatch.setenv(recipes.RECIPE_ENV, "GPU")
    assert recipes.choose_recipe(gpu, cpu, mx.cpu()) is gpu
    assert "D2LCNN_RECIPE=gpu: the GPU recipe, whatever the device" in capsys.readouterr().out
    monkeypatch.setenv(recipes.RECIPE_ENV, "cpu")
    assert recipes.recipe_for("resnet", mx.gpu(0)) is cpu
    for auto in ("auto", " ", ""):
        monkeypatch.setenv(recipes.RECIPE_ENV, auto)
        assert recipes.choose_recipe(gpu, cpu, mx.cpu()) is cpu
        assert recipes.choose_recipe(gpu, cpu, mx.gpu(0)) is gpu
    monkeypatch.setenv(recipes.RECIPE_ENV, "tpu")
    with pytest.raises(ValueError, match="D2LCNN_RECIPE='tpu' is not understood: set it to "
                                         "gpu .* cpu .* or auto"):
        recipes.choose_recipe(gpu, cpu, mx.cpu())


def test_recipes_text_marks_the_one_in_use():
    gpu, cpu = recipes.chapter_recipes("vgg").values()
    lines = recipes.recipes_text("vgg", cpu).splitlines()
    assert lines[0].startswith("   GPU recipe: vgg11(width=4) at 224x224")
    marked = [line for line in lines if line.startswith("-> ")]
    assert marked == ["-> " + str(cpu).splitlines()[0]]
    with pytest.raises(ValueError, match="chapters that train are lenet, alexnet"):
        recipes.chapter_recipes("comparison")


# ---- where results go ------------------------------------------------------------------------

def _without_run_keys(results):
    """What a chapter saved, without the version keys every file also records."""
    return {name: {k: v for k, v in saved.items() if k not in recipes.RUN_KEYS}
            for name, saved in results.items()}


def test_results_go_next_to_the_book_found_from_the_current_folder(tmp_path, monkeypatch,
                                                                   no_reduced_mode):
    monkeypatch.delenv(config.RESULTS_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    book = tmp_path / "clone"
    (book / "book" / "sub").mkdir(parents=True)
    (book / "_toc.yml").write_text("format: jb-book\n")
    monkeypatch.chdir(book / "book" / "sub")            # a notebook's folder inside the book
    path = recipes.save_results("lenet", {"test_acc": 0.5})
    assert path == book / "book" / "results" / "lenet.json"
    assert _without_run_keys(recipes.load_results()) == {"lenet": {"test_acc": 0.5}}
    assert config.results_dir() == (book / "book" / "results", "book")
    monkeypatch.chdir(tmp_path)                          # a chapter run alone (Colab)
    assert recipes.load_results() == {}                  # nothing saved there yet
    path = recipes.save_results("vgg", {"test_acc": 0.7})
    assert path == tmp_path / "data-home" / "d2lcnn" / "results" / "vgg.json"
    monkeypatch.setenv(config.RESULTS_ENV, str(tmp_path / "mine"))
    assert recipes.save_results("vgg", {"a": 1}) == tmp_path / "mine" / "vgg.json"
    assert _without_run_keys(recipes.load_results()) == {"vgg": {"a": 1}}


def test_results_never_go_into_the_package(monkeypatch):
    monkeypatch.delenv(config.RESULTS_ENV, raising=False)
    for folder in (config.PACKAGE_DIR, config.SUBSET_DIR):
        monkeypatch.chdir(folder)
        found, _ = config.results_dir()
        assert not found.resolve().is_relative_to(config.PACKAGE_DIR)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_results_folder_says_what_to_do(tmp_path, monkeypatch, no_reduced_mode):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    monkeypatch.setenv(config.RESULTS_ENV, str(locked / "results"))
    with pytest.raises(OSError, match="cannot write the results of 'lenet' into .*"
                                      "set D2LCNN_RESULTS to a folder you can write to"):
        recipes.save_results("lenet", {"a": 1})


def test_results_folder_that_is_a_file_says_what_to_do(tmp_path, monkeypatch, no_reduced_mode):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv(config.RESULTS_ENV, str(tmp_path / "file"))
    with pytest.raises(OSError, match="set D2LCNN_RESULTS to a folder you can write to"):
        recipes.save_results("lenet", {"a": 1})


# ---- every GPU recipe runs, and fits a T4 ----------------------------------------------------

@pytest.mark.slow
def test_every_gpu_recipe_trains_two_batches_and_fits_a_t4():
    """The branch a Colab reader runs first: each chapter's GPU recipe at its real input size
    and batch, two batches on the CPU in a fresh process (its peak memory measured), and the
    training memory `training_memory` derives from summary at most half a T4."""
    env = dict(os.environ, D2LCNN_REDUCED="1", D2LCNN_REDUCED_BATCHES="2", MPLBACKEND="Agg")
    print(f"\n{'chapter':10s}{'model':14s}{'side':>5s}{'batch':>6s}{'params':>8s}{'grads':>8s}"
          f"{'optim':>8s}{'activ.':>8s}{'total':>8s}{'CPU peak':>9s}  (MiB){'s':>6s}")
    for chapter in chapters.CHAPTERS:
        recipe = recipes.chapter_recipes(chapter)["gpu"]
        memory = recipes.training_memory(recipe)
        proc = subprocess.run([sys.executable, str(REPO / "tests" / "recipe_probe.py"), chapter,
                               "gpu"], capture_output=True, text=True, env=env, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        run = json.loads(proc.stdout.strip().splitlines()[-1])
        mib = {k: v / 2**20 for k, v in memory.items()}
        print(f"{chapter:10s}{recipe.model:14s}{recipe.input_size:>5d}{recipe.batch_size:>6d}"
              f"{mib['parameters']:>8.0f}{mib['gradients']:>8.0f}{mib['optimizer']:>8.0f}"
              f"{mib['activations']:>8.0f}{mib['total']:>8.0f}{run['rss_peak'] / 2**20:>9.0f}"
              f"{run['seconds']:>11.1f}")
        assert run["train_batches"] == [2] and run["examples"] == [2 * recipe.batch_size]
        assert all(onp.isfinite(run["train_loss"])), (chapter, run["train_loss"])
        assert memory["total"] <= recipes.T4_BYTES / 2, (chapter, memory)
        assert run["rss_peak"] <= 0.75 * recipes.T4_BYTES, (chapter, run)
