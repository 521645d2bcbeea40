"""accuracy and evaluate_accuracy_gpu, against numpy."""
import mxnet as mx
import numpy as onp
import pytest
from mxnet import np

from d2lcnn.device import DeviceUnavailableError
from d2lcnn.evaluation import accuracy, evaluate_accuracy_gpu
from training_helpers import Batches, tiny_net


def test_accuracy_counts_correct_predictions_like_d2l():
    y_hat = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert accuracy(y_hat, np.array([1, 0, 0], dtype="int32")) == 2.0
    assert accuracy(np.array([1, 0, 0]), np.array([1, 0, 0])) == 3.0  # labels already
    assert isinstance(accuracy(y_hat, np.array([1, 1, 1])), float)


def test_evaluate_accuracy_gpu_matches_numpy(no_reduced_mode):
    net = tiny_net()
    net.initialize(ctx=mx.cpu())
    data = Batches(100, batch_size=30, seed=3)
    predicted = onp.concatenate([net(X).asnumpy().argmax(axis=1) for X, _ in data])
    expected = float((predicted == data.y).mean())
    assert evaluate_accuracy_gpu(net, data) == pytest.approx(expected)
    assert evaluate_accuracy_gpu(net, data, mx.cpu()) == pytest.approx(expected)
    net.collect_params().reset_ctx([mx.cpu(0), mx.cpu(1)])
    assert evaluate_accuracy_gpu(net, data, [mx.cpu(0), mx.cpu(1)]) == pytest.approx(expected)


def test_evaluate_accuracy_gpu_rejects_empty_iterator():
    net = tiny_net()
    net.initialize()
    with pytest.raises(ValueError, match="no batch"):
        evaluate_accuracy_gpu(net, [])


def test_evaluating_on_a_gpu_that_cannot_be_used_is_refused_up_front():
    if mx.context.num_gpus():
        pytest.skip("this machine has a GPU MXNet can use")
    net = tiny_net()
    net.initialize()
    with pytest.raises(DeviceUnavailableError, match=r"cannot use gpu\(0\).*try_gpu"):
        evaluate_accuracy_gpu(net, Batches(8), mx.gpu())
