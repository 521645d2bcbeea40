"""Timer, Accumulator (d2l's semantics, lazy device sums), set_seed and atomic writes."""
import os
import random
import time

import mxnet as mx
import numpy as onp
import pytest
from mxnet import np

from d2lcnn.utils import Accumulator, Timer, atomic_path, seed_everything, set_seed


def test_timer_records_like_d2l():
    timer = Timer()
    time.sleep(0.01)
    first = timer.stop()
    timer.start()
    time.sleep(0.02)
    second = timer.stop()
    assert timer.times == [first, second]
    assert 0.009 < first < 0.5 and 0.019 < second < 0.5
    assert timer.sum() == pytest.approx(first + second)
    assert timer.avg() == pytest.approx((first + second) / 2)
    assert timer.cumsum() == pytest.approx([first, first + second])


def test_timer_as_context_manager_and_empty_average():
    timer = Timer()
    assert timer.avg() == 0.0
    with timer:
        time.sleep(0.005)
    assert len(timer.times) == 1 and timer.times[0] >= 0.004


def test_accumulator_with_numbers_is_d2ls():
    acc = Accumulator(3)
    acc.add(1, 2.5, 3)
    acc.add(1, 0.5, 1)
    assert acc[0] == 2.0 and acc[1] == 3.0 and acc[2] == 4.0
    assert acc.data == [2.0, 3.0, 4.0]
    assert all(isinstance(v, float) for v in acc.data)
    acc.reset()
    assert acc.data == [0.0, 0.0, 0.0]
    assert len(acc) == 3


def test_accumulator_keeps_mxnet_arrays_on_device_until_read():
    acc = Accumulator(2)
    for _ in range(3):
        acc.add(np.array([1.0, 2.0]), np.array(7, dtype="int64"))
    pending = acc._sums
    assert all(isinstance(v, np.ndarray) for v in pending)  # nothing was read yet
    assert acc[0] == 9.0 and acc[1] == 21.0
    assert all(isinstance(v, float) for v in acc._sums)


def test_accumulator_counts_stay_exact_beyond_float32():
    acc = Accumulator(1)
    acc.add(np.array(2 ** 24, dtype="int64"))
    acc.add(np.array(1, dtype="int64"))
    assert acc[0] == 2 ** 24 + 1  # float32 would round this to 2**24


def test_accumulator_sums_arrays_from_two_contexts():
    acc = Accumulator(1)
    acc.add(np.array([1.0], ctx=mx.cpu(0)))
    acc.add(np.array([2.0], ctx=mx.cpu(1)))
    assert acc[0] == 3.0


def test_accumulator_rejects_wrong_number_of_values():
    with pytest.raises(ValueError, match="3 sums got 2"):
        Accumulator(3).add(1, 2)


def test_set_seed_repeats_every_generator():
    def draw():
        return (random.random(), onp.random.rand(), float(np.random.uniform()),
                np.random.normal(size=(3,)).asnumpy().tolist())
    set_seed(42)
    first = draw()
    seed_everything(42)
    assert draw() == first
    set_seed(43)
    assert draw() != first


def test_atomic_path_replaces_only_on_success(tmp_path):
    target = tmp_path / "sub" / "result.txt"
    with atomic_path(target) as tmp:
        assert os.path.dirname(tmp) == str(target.parent)
        with open(tmp, "w") as f:
            f.write("good")
    assert target.read_text() == "good"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            with open(tmp, "w") as f:
                f.write("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "good"
    assert os.listdir(target.parent) == ["result.txt"]  # no temporary file left behind
