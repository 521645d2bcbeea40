"""Batches on their way to the devices: conversion, splitting over several devices, and the cap
on batches per epoch in reduced mode. Shared by the training loop and evaluation."""
import itertools

import mxnet as mx
from mxnet import gluon, np

from . import config


def to_device(a, device):
    """An MXNet NumPy array on `device`, whatever array type the data iterator yields."""
    if isinstance(a, np.ndarray):
        return a.as_in_ctx(device)
    if isinstance(a, mx.nd.NDArray):
        return a.as_np_ndarray().as_in_ctx(device)
    return np.array(a, ctx=device, dtype=getattr(a, "dtype", None))


def split(X, y, devices):
    """Split a batch over the devices; a batch smaller than the device count uses fewer."""
    if len(devices) == 1:
        return [to_device(X, devices[0])], [to_device(y, devices[0])]
    used = devices[:max(1, min(len(devices), int(X.shape[0])))]
    if not isinstance(X, mx.nd.NDArray):
        X = to_device(X, mx.cpu())
    if not isinstance(y, mx.nd.NDArray):
        y = to_device(y, mx.cpu())
    if len(used) == 1:
        return [to_device(X, used[0])], [to_device(y, used[0])]
    return (gluon.utils.split_and_load(X, used, even_split=False),
            gluon.utils.split_and_load(y, used, even_split=False))


def cap(iterable, reduced):
    """At most `config.reduced_batches()` batches in reduced mode (the data loader caps too)."""
    return itertools.islice(iterable, config.reduced_batches()) if reduced else iterable


def batches_per_epoch(iterable, reduced):
    """The batches an epoch will have, or None for an iterator without ``len``."""
    try:
        n = len(iterable)
    except TypeError:
        return None
    return min(n, config.reduced_batches()) if reduced else n


def on_devices(iterable, devices):
    """Let a loader that can (d2lcnn's) put its batches on the device itself."""
    to = getattr(iterable, "to", None)
    if len(devices) == 1 and callable(to):
        moved = to(devices[0])
        return iterable if moved is None else moved
    return iterable


def note_reduced(where):
    print(f"reduced run: at most {config.reduced_batches()} batches per epoch in {where} "
          f"({config.REDUCED_ENV}=1); these figures are not the book's results")
