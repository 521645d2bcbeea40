"""Fine-tuning (d2lcnn.finetune): the data of a few classes with a small labelled budget, and
the surgery on a trained "features, then output" network: a frozen body, a new head."""
import mxnet as mx
import numpy as onp
import pytest
from mxnet import autograd, np
from mxnet.gluon import nn

import d2lcnn
from d2lcnn import finetune
from d2lcnn.data import FashionMNISTIter
from d2lcnn.registry import get_model


def _iter(n=60, **kwargs):
    rng = onp.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=onp.uint8)
    labels = onp.arange(n) % 10
    return FashionMNISTIter(images, labels, 8, **kwargs)


def test_class_subset_relabels_in_the_given_order():
    source = _iter()
    sub = finetune.class_subset(source, (7, 2))
    assert len(sub.images) == 12 and sorted(set(sub.labels.tolist())) == [0, 1]
    # class 7 became 0, class 2 became 1, the images kept with their labels
    for img, lab in zip(sub.images, sub.labels):
        k = [i for i in range(60) if (source.images[i] == img).all()][0]
        assert {7: 0, 2: 1}[int(source.labels[k])] == lab
    X, y = next(iter(sub))
    assert X.shape == (8, 1, 28, 28) and y.dtype == onp.int32


def test_class_subset_budget_seed_and_options():
    source = _iter(200, resize=32, max_batches=2)
    a = finetune.class_subset(source, (0, 1, 2), per_class=4, seed=1, batch_size=5)
    b = finetune.class_subset(source, (0, 1, 2), per_class=4, seed=1, batch_size=5)
    c = finetune.class_subset(source, (0, 1, 2), per_class=4, seed=2, batch_size=5)
    assert onp.bincount(a.labels).tolist() == [4, 4, 4]
    assert (a.images == b.images).all() and not (a.images == c.images).all()
    assert a.size == (32, 32) and a.max_batches == 2 and len(a) == 2 and a.batch_size == 5
    assert next(iter(a))[0].shape == (5, 1, 32, 32)
    big = finetune.class_subset(source, (3,), per_class=1000)   # more than there are: all
    assert len(big.labels) == 20
    with pytest.raises(ValueError, match=r"classes must be distinct labels; got \(3, 3\)"):
        finetune.class_subset(source, (3, 3))
    with pytest.raises(ValueError, match="class 9 has no images in this set"):
        finetune.class_subset(_iter(5), (9,))


def test_freeze_and_replace_output_train_only_the_head():
    net = get_model("resnet18", num_classes=5, in_channels=1, stem="small", width=4)
    net.initialize(mx.init.Xavier())
    x = np.random.uniform(size=(4, 1, 28, 28))
    net(x)
    body = {k: v.data().copy() for k, v in net.features.collect_params().items()}
    assert finetune.freeze(net.features) == len(body)
    head = finetune.replace_output(net, 3)
    assert net.output is head and net(x).shape == (4, 3)
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    w = head.weight.data().copy()
    loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    with autograd.record():
        out = loss(net(x), np.array([0, 1, 2, 0]))
    out.backward()
    trainer.step(4)
    assert not onp.allclose(head.weight.data().asnumpy(), w.asnumpy())
    for k, v in net.features.collect_params().items():
        if "running" not in k:   # BatchNorm's statistics move in training mode; weights not
            assert onp.array_equal(v.data().asnumpy(), body[k].asnumpy()), k


def test_train_ch6_fine_tunes_a_frozen_net(no_reduced_mode):
    net = get_model("lenet", num_classes=4)
    source = _iter(80)
    sub = finetune.class_subset(source, (0, 1, 2, 3), seed=0)
    d2lcnn.train_ch6(net, sub, sub, 1, 0.1, seed=0, verbose=False)
    finetune.freeze(net.features)
    finetune.replace_output(net, 2)
    new = finetune.class_subset(source, (4, 5), seed=0)
    before = {k: v.data().asnumpy().copy() for k, v in net.features.collect_params().items()}
    h = d2lcnn.train_ch6(net, new, new, 1, 0.1, seed=0, reinitialize=False, verbose=False)
    assert h.epochs == 1
    for k, v in net.features.collect_params().items():
        assert onp.array_equal(v.data().asnumpy(), before[k]), k


def test_replace_output_updates_the_classifier():
    net = get_model("lenet")
    net.initialize()
    net(np.zeros((1, 1, 28, 28)))
    head = finetune.replace_output(net, 3)
    assert net.num_classes == 3 and net.forward_head is not None
    assert net.forward_head(net.forward_features(np.zeros((2, 1, 28, 28)))).shape == (2, 3)
    assert head.weight.list_ctx() == net.features.conv1[0].weight.list_ctx()


@pytest.mark.parametrize("call, error, message", [
    (lambda: finetune.freeze("features"), TypeError, "freeze\\(\\) takes a Gluon Block"),
    (lambda: finetune.replace_output(nn.HybridSequential(), 3), TypeError,
     "needs a network whose head is the layer net.output"),
    (lambda: finetune.replace_output(get_model("lenet"), 0), ValueError,
     "num_classes must be a whole number >= 1"),
    (lambda: finetune.class_subset(_iter(), (1, 2), per_class=0), ValueError,
     r"per_class \(images kept per class\) must be a whole number >= 1"),
    (lambda: finetune.class_subset(_iter(), ()), ValueError, "classes must be distinct labels"),
])
def test_nonsense_is_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()
