"""The losses: label smoothing against its formula, and in training."""
import numpy as onp
import pytest
from mxnet import gluon, np

from d2lcnn.losses import LabelSmoothingCrossEntropy, make_loss
from d2lcnn.utils import set_seed
from training_helpers import run


def test_label_smoothing_loss_matches_its_formula():
    pred = np.array([[2.0, 0.5, -1.0], [0.0, 0.0, 3.0]])
    label = np.array([0, 1], dtype="int32")
    s = 0.1
    logits = pred.asnumpy()
    log_p = logits - onp.log(onp.exp(logits).sum(axis=1, keepdims=True))
    target = onp.full((2, 3), s / 3) + (1 - s) * onp.eye(3)[[0, 1]]
    expected = -(target * log_p).sum(axis=1)
    loss = LabelSmoothingCrossEntropy(s)
    onp.testing.assert_allclose(loss(pred, label).asnumpy(), expected, rtol=1e-5)
    loss.hybridize()
    onp.testing.assert_allclose(loss(pred, label).asnumpy(), expected, rtol=1e-5)
    plain = gluon.loss.SoftmaxCrossEntropyLoss()(pred, label).asnumpy()
    onp.testing.assert_allclose(LabelSmoothingCrossEntropy(0.0)(pred, label).asnumpy(), plain,
                                rtol=1e-6)
    assert isinstance(make_loss(0), gluon.loss.SoftmaxCrossEntropyLoss)
    assert isinstance(make_loss(0.2), LabelSmoothingCrossEntropy)
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\)"):
            LabelSmoothingCrossEntropy(bad)
        with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\)"):
            make_loss(bad)


def test_train_with_label_smoothing(no_reduced_mode):
    set_seed(2)
    plain = run(epochs=4, verbose=False)
    set_seed(2)
    smooth = run(epochs=4, label_smoothing=0.2, verbose=False)
    assert smooth.options["label_smoothing"] == 0.2
    assert smooth.final["test_acc"] > 0.8
    # smoothed targets keep the loss away from zero on a set that is learned well
    assert smooth.train_loss[-1] > plain.train_loss[-1]
