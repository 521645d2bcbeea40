"""benchmarks/bench_data.py's medians and paired ratios, from made-up runs (the script is a
benchmark, not a test: this keeps its arithmetic and arguments honest)."""
import importlib.util
import os

import pytest

from conftest import REPO

spec = importlib.util.spec_from_file_location(
    "bench_data", os.path.join(REPO, "benchmarks", "bench_data.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def result(epoch_s, peak_mb=100.0, first=1.0):
    return {"first_batch_s": first, "epoch_s": epoch_s, "images": 6000, "peak_mb": peak_mb,
            "maxrss_mb": peak_mb}


def test_medians_and_per_repeat_ratios():
    d2l = [result(6.0, 400), result(3.0, 500), result(4.0, 600)]      # 1000, 2000, 1500 img/s
    ours = [result(1.0, 100), result(1.0, 200), result(2.0, 150)]     # 6000, 6000, 3000
    line = bench.row(28, "d2lcnn", ours, d2l)
    fields = line.split()
    assert fields[:5] == ["28", "d2lcnn", "1.00", "1.00", "6,000"]  # medians
    # ratios per repeat: 6.0, 3.0, 2.0 -> median 3.0 [2.0, 6.0] (not 6000 / 1500 = 4.0)
    assert "3.0x [2.0, 6.0]" in line
    assert line.endswith("0.30x")  # median peak 150 over median peak 500
    assert "x" not in bench.row(28, "d2l", d2l)


def test_bad_repeat_is_refused(capsys):
    with pytest.raises(SystemExit):
        bench.main(["--repeat", "0"])
    assert "--repeat must be 1 or more" in capsys.readouterr().err
