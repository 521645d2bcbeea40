"""Fine-tuning: the data of a transfer experiment and the surgery on a trained network.

The registered networks are "features, then output" classifiers (`d2lcnn.models.base.Classifier`:
``forward_features`` runs ``net.features``, ``forward_head`` runs ``net.output``). Fine-tuning
works on those two halves: `freeze` the features (``freeze(net.features)``) to train only a new
head, and `replace_output` to give the network a head for the new classes. `class_subset` makes
the new task's data out of some of Fashion-MNIST's classes, with a small labelled budget.
"""
import mxnet as mx
import numpy as onp
from mxnet.gluon import Block, nn

from .checks import check_int
from .walk import param_device

__all__ = ["class_subset", "freeze", "replace_output"]


def class_subset(data_iter, classes, per_class=None, *, batch_size=None, shuffle=None,
                 seed=None):
    """A new Fashion-MNIST iterator with only the images of `classes`, relabelled 0..k-1 in the
    order given (``classes=(5, 7)``: class 5 becomes 0, class 7 becomes 1).

    data_iter: an iterator from `load_data_fashion_mnist` (its images, labels, resize and, in
        reduced mode, its cap on batches are kept).
    per_class: keep only that many images of each class (a small labelled budget), drawn at
        random with `seed`; None keeps all of them.
    batch_size / shuffle: default to `data_iter`'s. `seed` also fixes the shuffling.
    """
    from .data import FashionMNISTIter
    classes = tuple(int(c) for c in classes)
    if not classes or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be distinct labels; got {classes!r}")
    if per_class is not None:
        check_int(per_class, "per_class (images kept per class)")
    labels = onp.asarray(data_iter.labels)
    rng = onp.random.default_rng(seed)
    chosen = []
    for c in classes:
        where = onp.flatnonzero(labels == c)
        if len(where) == 0:
            raise ValueError(f"class {c} has no images in this set")
        if per_class is not None:
            where = onp.sort(rng.choice(where, size=min(per_class, len(where)), replace=False))
        chosen.append(where)
    index = onp.sort(onp.concatenate(chosen))
    relabel = onp.full(max(int(labels.max()), max(classes)) + 1, -1, dtype=onp.int32)
    relabel[list(classes)] = onp.arange(len(classes), dtype=onp.int32)
    return FashionMNISTIter(
        data_iter.images[index], relabel[labels[index]],
        batch_size or data_iter.batch_size, resize=data_iter.size,
        shuffle=data_iter.shuffle if shuffle is None else shuffle, seed=seed,
        max_batches=data_iter.max_batches, device=data_iter.device)


def freeze(block):
    """Stop training `block`'s parameters (``grad_req = 'null'``); returns how many arrays.
    For a classifier, ``freeze(net.features)`` keeps what `forward_features` computes fixed.

    A frozen BatchNorm still normalises with the statistics of each batch in training mode
    (and updates its running statistics): only its scale and shift stay fixed."""
    if not isinstance(block, Block):
        raise TypeError(f"freeze() takes a Gluon Block (e.g. net.features); "
                        f"got {type(block).__name__}")
    params = list(block.collect_params().values())
    for p in params:
        p.grad_req = "null"
    return len(params)


def replace_output(net, num_classes, *, attribute="output", initializer=None):
    """Give `net` a new, initialised output layer of `num_classes` units (a `Dense`, created in
    the net's name scope, its input size inferred at the first forward pass), on the device of
    the net's parameters; `forward_head` uses it from then on. Returns the new layer.

    `attribute` names the head to replace ("output" in every registered network)."""
    if not isinstance(getattr(net, attribute, None), Block):
        raise TypeError(f"replace_output() needs a network whose head is the layer "
                        f"net.{attribute} (features, then output, as every registered "
                        f"network); {type(net).__name__} has none")
    check_int(num_classes, "num_classes")
    device = param_device(net) or mx.cpu()
    with net.name_scope():
        head = nn.Dense(num_classes)
    setattr(net, attribute, head)
    head.initialize(initializer or mx.init.Xavier(), ctx=device)
    if hasattr(net, "num_classes"):
        net.num_classes = num_classes
    return head
