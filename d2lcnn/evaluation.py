"""Accuracy: d2l's ``accuracy`` and ``evaluate_accuracy_gpu``, with the correct counts kept on
the device and read once, so evaluation does not wait for the device after every batch."""
from . import config
from .batches import cap, note_reduced, on_devices, split
from .device import device_list
from .npmode import require_np


def correct_count(y_hat, y):
    """The number of correct predictions as an array on the device (no synchronisation)."""
    if y_hat.ndim > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    return (y_hat.astype(y.dtype) == y).sum()


def accuracy(y_hat, y):
    """The number of correct predictions, as a float (d2l's ``accuracy``)."""
    return float(correct_count(y_hat, y))


def devices_of(net):
    """The devices the network's parameters are on."""
    for param in net.collect_params().values():
        return param.list_ctx()
    raise ValueError("the network has no parameters, so it has no device: pass device=")


def evaluate(net, data_iter, devices, reduced, between_batches=None):
    """(accuracy, batches): the correct counts stay on the devices and are read once.
    `between_batches` is called before each batch (the training loop's Ctrl-C check)."""
    correct = [None] * len(devices)
    seen, batches = 0, 0
    for X, y in cap(data_iter, reduced):
        if between_batches is not None:
            between_batches()
        Xs, ys = split(X, y, devices)
        for d, (Xd, yd) in enumerate(zip(Xs, ys)):
            c = correct_count(net(Xd), yd)
            correct[d] = c if correct[d] is None else correct[d] + c
        seen += int(X.shape[0])
        batches += 1
    if not seen:
        raise ValueError("the evaluation iterator yielded no batch")
    return sum(float(c) for c in correct if c is not None) / seen, batches


_REDUCED_NOTED = set()


def evaluate_accuracy_gpu(net, data_iter, device=None):
    """The accuracy of `net` on `data_iter` (d2l's ``evaluate_accuracy_gpu``). `device`
    defaults to the device of the network's first parameter; a list splits each batch."""
    require_np("evaluate_accuracy_gpu")
    devices = device_list(device) if device is not None else devices_of(net)
    reduced = config.reduced_mode()
    if reduced and "evaluate" not in _REDUCED_NOTED:
        _REDUCED_NOTED.add("evaluate")  # once per process: it is often called in a loop
        note_reduced("evaluation")
    return evaluate(net, on_devices(data_iter, devices), devices, reduced)[0]
