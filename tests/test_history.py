"""History: what a run recorded, its two speeds, and its JSON (including version 1 files)."""
import json
import os

import pytest

from d2lcnn.history import History
from training_helpers import run


def test_history_records_every_epoch(no_reduced_mode):
    from training_helpers import Batches
    history = run(epochs=3, train=Batches(250, batch_size=32))
    for name in History.SERIES:
        assert len(getattr(history, name)) == 3, name
    assert history.train_batches == [8, 8, 8] and history.test_batches == [4, 4, 4]
    assert history.examples == [250, 250, 250] and history.batch_size == 32
    assert history.lr == 0.3 and history.num_epochs == 3 and history.interrupted is False
    assert history.device.startswith("CPU (")
    for s, t, b, e in zip(history.seconds, history.train_seconds, history.batch_seconds,
                          history.eval_seconds):
        assert s == pytest.approx(t + e) and s > 0
        assert 0 < b <= t  # the batches, without waiting for the iterator
    for n, s, b, rate, whole in zip(history.examples, history.seconds, history.batch_seconds,
                                    history.examples_per_sec, history.epoch_examples_per_sec):
        assert rate == pytest.approx(n / b) and whole == pytest.approx(n / s)
    assert history.final["examples_per_sec"] == pytest.approx(750 / sum(history.batch_seconds))
    assert history.final["epoch_examples_per_sec"] == pytest.approx(750 / sum(history.seconds))
    assert history.options["hybridized"] is True


def test_history_json_round_trip_and_atomic_save(tmp_path, monkeypatch, no_reduced_mode):
    history = run(epochs=2)
    path = tmp_path / "results" / "lenet.json"
    history.save_json(path)
    data = json.loads(path.read_text())
    assert data["version"] == 2 and data["final"]["test_acc"] == history.test_acc[-1]
    again = History.load_json(path)
    assert again.to_dict() == history.to_dict()
    # a failing save leaves the previous file whole, and no temporary file
    monkeypatch.setattr(json, "dump", lambda *a, **k: (_ for _ in ()).throw(OSError("full")))
    with pytest.raises(OSError):
        history.save_json(path)
    assert json.loads(path.read_text()) == data
    assert os.listdir(path.parent) == ["lenet.json"]


def version_1_file():
    """A History as version 1 of the format wrote it (before d2l's timer was kept): its
    examples_per_sec was over whole epochs, and it had no batch_seconds."""
    return {"format": "d2lcnn.History", "version": 1,
            "device": "CPU (2 cores, 2 MXNet threads, AMD EPYC)", "lr": 0.1, "num_epochs": 2,
            "batch_size": 256, "reduced": False, "options": {"optimizer": "sgd"},
            "train_loss": [0.6, 0.4], "train_acc": [0.78, 0.85], "test_acc": [0.82, 0.86],
            "seconds": [5.0, 4.0], "train_seconds": [4.5, 3.6], "eval_seconds": [0.5, 0.4],
            "examples": [60000, 60000], "examples_per_sec": [12000.0, 15000.0],
            "train_batches": [235, 235], "test_batches": [40, 40],
            "final": {"epochs": 2, "examples_per_sec": 13333.3}}


def test_a_version_1_file_loads_without_passing_its_speed_off_as_d2ls(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps(version_1_file()))
    history = History.load_json(path)
    assert history.epochs == 2 and history.interrupted is False
    assert history.epoch_examples_per_sec == [12000.0, 15000.0]
    assert history.examples_per_sec == [None, None] and history.batch_seconds == [None, None]
    final = history.final
    assert final["examples_per_sec"] is None
    assert final["epoch_examples_per_sec"] == pytest.approx(120000 / 9.0)
    assert history.summary().splitlines()[1] == (
        "13333.3 examples/sec (whole epochs) on CPU (2 cores, 2 MXNet threads, AMD EPYC)")
    assert History.from_dict(history.to_dict()).to_dict() == history.to_dict()  # now version 2


def test_append_derives_the_speeds_and_refuses_a_partial_epoch():
    history = History(device="CPU", num_epochs=3)
    history.append(train_loss=1.0, train_acc=0.5, test_acc=None, seconds=2.0,
                   train_seconds=1.5, eval_seconds=0.5, examples=100, train_batches=4,
                   test_batches=0)  # as a caller written for version 1
    assert history.epoch_examples_per_sec == [50.0] and history.examples_per_sec == [None]
    history.append(train_loss=0.5, train_acc=0.7, test_acc=None, seconds=2.0,
                   train_seconds=1.5, batch_seconds=1.0, eval_seconds=0.5, examples=100,
                   train_batches=4, test_batches=0)
    assert history.examples_per_sec == [None, 100.0]
    assert history.final["examples_per_sec"] is None  # one epoch's d2l time is unknown
    with pytest.raises(ValueError, match="an epoch needs"):
        history.append(train_loss=1.0)
    with pytest.raises(ValueError, match="an epoch needs"):
        history.append(**dict(train_loss=1.0, train_acc=0.5, test_acc=None, seconds=2.0,
                              train_seconds=1.5, eval_seconds=0.5, examples=100,
                              train_batches=4, test_batches=0, speed=3))


def test_not_a_history_is_explained():
    with pytest.raises(ValueError, match="not a d2lcnn History.*load_results"):
        History.from_dict({"train_loss": []})
    newer = dict(version_1_file(), version=3)
    with pytest.raises(ValueError, match="newer than this d2lcnn reads"):
        History.from_dict(newer)


def test_summary_and_repr_of_an_interrupted_run():
    history = History(device="CPU", num_epochs=10, interrupted=True)
    assert history.summary() == "no epoch trained on CPU (interrupted after 0 of 10 epochs)"
    history.append(train_loss=0.5, train_acc=0.8, test_acc=0.75, seconds=2.0,
                   train_seconds=1.5, batch_seconds=1.25, eval_seconds=0.5, examples=100,
                   train_batches=4, test_batches=2)
    first, second = history.summary().splitlines()
    assert first == ("loss 0.500, train acc 0.800, test acc 0.750 "
                     "(interrupted after 1 of 10 epochs)")
    assert second == "80.0 examples/sec on CPU"
    assert "interrupted" in repr(history)
    assert History.from_dict(history.to_dict()).interrupted is True


def test_the_books_results_files_are_not_histories_and_say_where_they_load():
    """book/results/*.json come from save_results (one dict of final figures per chapter, their
    examples_per_sec over whole epochs, from History.final before this version): they still
    load with load_results, and History refuses them with the pointer."""
    from conftest import REPO
    from d2lcnn.recipes import load_results
    results = load_results(os.path.join(REPO, "book", "results"))
    assert results, "no results files in book/results"
    for chapter, data in results.items():
        assert data["examples_per_sec"] > 0 and data["seconds"] > 0, chapter
        with pytest.raises(ValueError, match="load_results"):
            History.from_dict(data)
