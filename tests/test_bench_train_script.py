"""benchmarks/bench_train.py's table and ratios, from made-up runs (the script itself is a
benchmark, not a test: this keeps its arithmetic and its arguments honest)."""
import importlib.util
import os
from types import SimpleNamespace

import pytest

from conftest import REPO

spec = importlib.util.spec_from_file_location(
    "bench_train", os.path.join(REPO, "benchmarks", "bench_train.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def run(row, total, acc, cpu=10.0, epochs=2, examples=60000, d2l_rate=None):
    return {"row": row, "epochs": epochs, "total": total, "epoch_times": [total / epochs] * epochs,
            "examples": examples, "test_acc": acc, "cpu": cpu, "note": "", "lines": ["x"],
            "rss_mb": 300.0, "children_rss_mb": 0.0, "total_rss_mb": 300.0, "runtime": "r",
            "d2l_rate": d2l_rate if d2l_rate is not None else examples * epochs / total}


ARGS = SimpleNamespace(batch_size=256, lr=0.9, epochs=2, seed=0)


def test_medians_and_paired_ratios(capsys):
    # repeat by repeat the machine was slow, fast, then medium: each pair shares the load
    runs = {"d2l": [run("d2l", 30.0, 0.80, cpu=40, d2l_rate=5000),
                    run("d2l", 20.0, 0.82, cpu=40, d2l_rate=7000),
                    run("d2l", 24.0, 0.81, cpu=40, d2l_rate=6000)],
            "d2lcnn": [run("d2lcnn", 15.0, 0.80, cpu=20, d2l_rate=10000),
                       run("d2lcnn", 8.0, 0.80, cpu=20, d2l_rate=21000),
                       run("d2lcnn", 12.0, 0.79, cpu=20, d2l_rate=12000)],
            "compute": [run("compute", 12.0, float("nan"))] * 3}
    rows = [bench.summarize(runs[name]) for name in runs]
    assert rows[0]["examples_per_sec"] == pytest.approx(2 * 60000 / 24.0)  # the median run
    assert rows[1]["d2l_examples_per_sec"] == 12000
    bench.print_table(rows, ARGS, runs)
    out = capsys.readouterr().out
    # whole runs: 30/15, 20/8, 24/12 = 2.0, 2.5, 2.0; d2l's timer: 2.0, 3.0, 2.0
    assert ("d2lcnn vs d2l, each with its loader and runtime: 2.00 [2.00, 2.50]x whole runs, "
            "2.00 [2.00, 3.00]x d2l's timer, 2.00 [2.00, 2.00]x less CPU") in out
    # 0.80 - 0.80, 0.80 - 0.82, 0.79 - 0.81
    assert "test accuracy, d2lcnn - d2l: -2.0 [-2.0, +0.0] points" in out
    # compute has no evaluation: its d2l timer is its whole rate, 10,000/s in every run
    assert ("d2lcnn's whole loop vs compute alone (batches in memory): 1.00 [0.80, 1.50]x "
            "whole runs, 1.20 [1.00, 2.10]x d2l's timer") in out


def test_medians_alone_still_print_ratios(capsys):
    rows = [bench.summarize([run("d2l", 20.0, 0.8)]), bench.summarize([run("d2lcnn", 10.0, 0.8)])]
    bench.print_table(rows, ARGS)
    assert "each with its loader and runtime: 2.00x whole runs" in capsys.readouterr().out


def test_unknown_rows_and_missing_data_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        bench.main(["--data", str(tmp_path)])
    assert "lacks train-images-idx3-ubyte.gz" in capsys.readouterr().err
    for name in bench.FILES:
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(SystemExit):
        bench.main(["--data", str(tmp_path), "--rows", "d2l,fast"])
    assert "unknown rows ['fast']" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.main(["--data", str(tmp_path), "--rows", "d2l,floor"])
    assert "now called 'compute'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.main(["--data", str(tmp_path), "--repeat", "0"])
    assert "--repeat and --epochs must be 1 or more" in capsys.readouterr().err


def test_default_is_three_interleaved_repeats(tmp_path, monkeypatch, capsys):
    for name in bench.FILES:
        (tmp_path / name).write_bytes(b"")
    order = []

    def fake_row(row, args, seed):
        order.append((row, seed))
        return run(row, 10.0 + seed, 0.8)
    monkeypatch.setattr(bench, "run_row", fake_row)
    bench.main(["--data", str(tmp_path), "--rows", "d2l,d2lcnn"])
    assert order == [("d2l", 0), ("d2lcnn", 0), ("d2l", 1), ("d2lcnn", 1), ("d2l", 2),
                     ("d2lcnn", 2)]
    assert "median of 3 run(s) per row" in capsys.readouterr().out
