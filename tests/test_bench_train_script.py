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


def run(row, total, acc, cpu=10.0, epochs=2, examples=60000):
    return {"row": row, "epochs": epochs, "total": total, "epoch_times": [total / epochs] * epochs,
            "examples": examples, "test_acc": acc, "cpu": cpu, "note": "", "lines": ["x"],
            "rss_mb": 300.0, "children_rss_mb": 0.0, "total_rss_mb": 300.0, "runtime": "r"}


def test_medians_and_ratios(capsys):
    runs = {"d2l": [run("d2l", 30.0, 0.80, cpu=40), run("d2l", 20.0, 0.82, cpu=40),
                    run("d2l", 24.0, 0.81, cpu=40)],
            "d2lcnn": [run("d2lcnn", 12.0, 0.80, cpu=20)] * 3,
            "floor": [run("floor", 10.0, float("nan"))] * 3}
    rows = [bench.summarize(runs[name]) for name in runs]
    assert rows[0]["examples_per_sec"] == pytest.approx(2 * 60000 / 24.0)  # the median run
    bench.print_table(rows, SimpleNamespace(batch_size=256, lr=0.9, epochs=2, seed=0))
    out = capsys.readouterr().out
    assert "d2lcnn vs d2l, each with its loader: 2.00x examples/s, 2.00x less CPU" in out
    assert "test acc -1.0 points" in out
    assert "d2lcnn runs at 83% of the compute floor" in out
    assert "3x d2l would be 15,000 examples/s: 125% of the floor" in out


def test_unknown_rows_and_missing_data_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        bench.main(["--data", str(tmp_path)])
    assert "lacks train-images-idx3-ubyte.gz" in capsys.readouterr().err
    for name in bench.FILES:
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(SystemExit):
        bench.main(["--data", str(tmp_path), "--rows", "d2l,fast"])
    assert "unknown rows ['fast']" in capsys.readouterr().err
