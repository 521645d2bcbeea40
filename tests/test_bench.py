"""bench(): structure of the result, relative timings with a wide margin (no absolute
thresholds), the net left as it was, and bad arguments rejected."""
import warnings

import mxnet as mx
import pytest
from mxnet import np
from mxnet.gluon import Block, HybridBlock, nn

from d2lcnn.bench import BenchResult, Timing, bench
from d2lcnn.device import describe_device
from d2lcnn.errors import InputShapeError
from d2lcnn.registry import get_model


def tiny():
    net = nn.HybridSequential()
    net.add(nn.Dense(2))
    return net


def big():
    """About 600 MMACs per batch of 4: hundreds of times the work of `tiny`."""
    net = nn.HybridSequential()
    net.add(nn.Conv2D(48, 3, padding=1, in_channels=3), nn.BatchNorm(), nn.Activation("relu"))
    for _ in range(3):
        net.add(nn.Conv2D(48, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"))
    net.add(nn.GlobalAvgPool2D(), nn.Dense(10))
    return net


def test_result_structure():
    r = bench(tiny(), (1, 4, 4), batch_size=3, repeats=4, warmup=1, device=mx.cpu())
    assert isinstance(r, BenchResult) and isinstance(r.forward, Timing)
    assert len(r.forward.times) == len(r.forward_backward.times) == r.repeats == 4
    assert r.batch_size == 3 and r.input_shape == (1, 4, 4) and r.warmup == 1
    assert r.device == describe_device(mx.cpu()) and r.hybridized
    for t in (r.forward, r.forward_backward):
        assert all(x > 0 for x in t.times)
        assert t.min <= t.median <= t.max and t.iqr >= 0
    assert r.forward_median == r.forward.median
    assert r.forward_backward_median == r.forward_backward.median
    assert r.samples_per_sec == pytest.approx(3 / r.forward.median)
    assert r.train_samples_per_sec == pytest.approx(3 / r.forward_backward.median)
    text = str(r)
    assert "sec / batch" in text and "Forward:" in text and "Forward-backward:" in text
    assert "batch 3 of 1x4x4" in text and "4 steps after 1 warm-up" in text
    assert "images/sec" in text and r.device in text


def test_forward_only():
    r = bench(tiny(), (1, 4, 4), batch_size=2, repeats=1, warmup=0, backward=False)
    assert r.forward_backward is None and r.forward_backward_median is None
    assert r.train_samples_per_sec is None and "Forward-backward" not in str(r)
    assert r.forward.iqr == 0


def test_bigger_net_takes_longer():
    """A wide margin: `big` does hundreds of times the work of `tiny`; a factor 5 is asked."""
    small = bench(tiny(), (3, 32, 32), batch_size=4, repeats=5, warmup=1)
    large = bench(big(), (3, 32, 32), batch_size=4, repeats=5, warmup=1)
    assert large.forward_median > 5 * small.forward_median
    assert large.forward_backward_median > 5 * small.forward_backward_median
    assert large.forward_backward_median > large.forward.min  # backward adds work


def test_net_left_as_it_was():
    net = big()
    net.initialize()
    net(np.random.uniform(size=(2, 3, 8, 8)))
    before = {k: v.data().asnumpy().copy() for k, v in net.collect_params().items()}
    r = bench(net, (3, 8, 8), batch_size=2, repeats=2, warmup=1)
    assert r.hybridized
    assert not net._active and all(not b._active for b in net._children.values())
    for k, v in net.collect_params().items():  # running statistics restored after training mode
        assert (v.data().asnumpy() == before[k]).all(), k
    assert not net._forward_hooks and not net._forward_pre_hooks


def test_hybridized_net_stays_hybridized():
    net = tiny()
    net.initialize()
    net.hybridize()
    bench(net, (16,), batch_size=2, repeats=1, warmup=0)
    assert net._active and net._flags[0] == ("static_alloc", False)


def test_registry_model_without_warnings():
    net = get_model("lenet", num_classes=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. MXNet's "hybridized while still having hooks"
        r = bench(net, (1, 28, 28), batch_size=2, repeats=1, warmup=0, name="lenet")
    assert str(r).startswith("lenet: batch 2 of 1x28x28")


def test_registry_input_check_surfaces():
    net = get_model("lenet", num_classes=10)
    with pytest.raises(InputShapeError, match="smallest size that works is 12x12"):
        bench(net, (1, 8, 8), batch_size=2, repeats=1)
    assert not net._active


class ShapeDependent(HybridBlock):
    """Reads x.shape, which a symbol does not have: cannot be hybridized."""

    def hybrid_forward(self, F, x):
        return x.reshape(x.shape[0], -1)


def test_falls_back_when_hybridization_fails():
    net = nn.HybridSequential()
    net.add(ShapeDependent(), nn.Dense(3, in_units=12))
    r = bench(net, (3, 2, 2), batch_size=2, repeats=2, warmup=0)
    assert not r.hybridized and "imperative" in str(r)


class Plain(Block):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.fc = nn.Dense(2, in_units=4)

    def forward(self, x):
        return self.fc(x)


def test_plain_block_runs_imperatively():
    r = bench(Plain(), (4,), batch_size=2, repeats=1, warmup=0)
    assert not r.hybridized


@pytest.mark.parametrize("kwargs,error", [
    (dict(batch_size=0), ValueError),
    (dict(batch_size=-2), ValueError),
    (dict(batch_size=1.5), ValueError),
    (dict(batch_size=True), ValueError),
    (dict(repeats=0), ValueError),
    (dict(warmup=-1), ValueError),
    (dict(input_shape="1x4x4"), ValueError),
    (dict(input_shape=(1, 0, 4)), ValueError),
    (dict(input_shape=(3, 1, 4, 4)), ValueError),   # batch axis 3 but batch_size 2
    (dict(device="cpu"), TypeError),
])
def test_bad_arguments(kwargs, error):
    args = dict(input_shape=(1, 4, 4), batch_size=2, repeats=1, warmup=0)
    args.update(kwargs)
    with pytest.raises(error):
        bench(tiny(), args.pop("input_shape"), **args)


def test_not_a_block():
    with pytest.raises(TypeError, match="Gluon Block"):
        bench(lambda x: x, (1, 4, 4))


def test_parameters_on_another_device():
    net = tiny()
    net.initialize(ctx=mx.cpu(0))
    with pytest.raises(ValueError, match="reset_ctx"):
        bench(net, (16,), batch_size=2, repeats=1, device=mx.cpu(1))


def test_module_attribute_is_callable():
    """``d2lcnn.bench(...)`` works even when the package attribute is the module."""
    import d2lcnn.bench as module
    assert module(tiny(), (1, 4, 4), batch_size=2, repeats=1, warmup=0).batch_size == 2
    assert module.BenchResult is BenchResult


class TwoHeads(HybridBlock):
    """Two outputs, as networks with an auxiliary classifier have in training."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.a, self.b = nn.Dense(3, in_units=4), nn.Dense(2, in_units=4)

    def hybrid_forward(self, F, x):
        return self.a(x), self.b(x)


def test_several_outputs():
    net = TwoHeads()
    r = bench(net, (4,), batch_size=2, repeats=1, warmup=0)
    assert r.forward_backward is not None
    assert float(np.abs(net.a.weight.grad()).sum()) > 0
    assert float(np.abs(net.b.weight.grad()).sum()) > 0
