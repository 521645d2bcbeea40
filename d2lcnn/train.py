"""The book's training loop: d2l's ``train_ch6`` and ``evaluate_accuracy_gpu`` with the same
signature and meaning (Xavier initialization, SGD, softmax cross-entropy, train loss, train and
test accuracy, examples/sec as d2l times it), so chapters and homework written for d2l run
unchanged.

This module puts a run together; each concern lives in its own module:

============== =============================================================================
`loop`          one epoch: forward, backward, update, sums kept on the device, d2l's timer
`history`       `History`, the record of a run (per-epoch figures, JSON)
`divergence`    NaN and blow-up tests, the host copy of the last good parameters, advice
`interrupt`     Ctrl-C stops between batches and keeps the finished epochs
`evaluation`    ``accuracy``, ``evaluate_accuracy_gpu``
`losses`        softmax cross-entropy and label smoothing
`prepare`       initialization, hybridization, optimizer, mixed precision
`progress`      the progress bar, on only where someone watches
`batches`       batches to devices, the reduced-mode cap
============== =============================================================================

Beyond d2l: several devices (``device=[...]``), mixed precision on a GPU (``amp=True``), label
smoothing, a progress bar and a live plot; reduced mode (``D2LCNN_REDUCED=1``, CI) caps the
batches per epoch and says so in the output.
"""
import time

from . import config
from .batches import batches_per_epoch, cap, note_reduced, on_devices
from .device import device_list, try_gpu
from .divergence import MAX_LOSS_RATIO, DivergenceCheck, ParameterSnapshot
from .errors import TrainingDivergedError
from .evaluation import accuracy, correct_count, evaluate, evaluate_accuracy_gpu  # noqa: F401
from .history import History
from .interrupt import DeferredInterrupt
from .loop import MAX_IN_FLIGHT, EpochLoop  # noqa: F401
from .losses import LabelSmoothingCrossEntropy, make_loss  # noqa: F401
from .npmode import require_np
from .prepare import AMPNotSupportedError, check_amp, describe, enable_amp  # noqa: F401
from .prepare import hybridize as hybridize_block
from .prepare import initialize, make_trainer
from .progress import progress_bar, progress_default  # noqa: F401


def _callbacks(on_epoch_end, live_plot):
    if on_epoch_end is None:
        callbacks = []
    elif callable(on_epoch_end):
        callbacks = [on_epoch_end]
    else:
        callbacks = list(on_epoch_end)
    if live_plot:
        from .plotting import LivePlot
        callbacks.append(LivePlot())
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"on_epoch_end takes callables f(history); got {cb!r}")
    return callbacks


def _check_arguments(num_epochs, lr, check_every, loss, label_smoothing):
    if int(num_epochs) != num_epochs or num_epochs < 1:
        raise ValueError(f"num_epochs must be a whole number, 1 or more; got {num_epochs!r}")
    if not lr > 0:
        raise ValueError(f"lr must be a positive number; got {lr!r}")
    if check_every < 0:
        raise ValueError(f"check_every must be 0 or more batches; got {check_every!r}")
    if loss is not None and label_smoothing:
        raise ValueError("give either loss= or label_smoothing=, not both: label smoothing "
                         "applies to the default softmax cross-entropy")


def _interrupted(history, epoch, snapshot):
    """After Ctrl-C: the network back at the last finished epoch; one line (also with
    verbose=False: it answers the user's own action)."""
    history.interrupted = True
    restored = snapshot is not None and snapshot.restore()
    done = history.epochs
    if restored:
        holds = (f"the network holds the parameters of epoch {done}" if done else
                 "the network holds its initial parameters")
    else:
        holds = "the network keeps the parameters it had when interrupted"
    print(f"training interrupted (Ctrl-C) in epoch {epoch} of {history.num_epochs}: "
          f"returning the {done} finished epoch{'s' if done != 1 else ''}; {holds}")
    return history


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device=None, *, loss=None,
              label_smoothing=0.0, optimizer="sgd", optimizer_params=None, initializer=None,
              reinitialize=True, hybridize=True, amp=False, kvstore="device", seed=None,
              progress=None, live_plot=False, on_epoch_end=None, check_every=50,
              max_loss_ratio=MAX_LOSS_RATIO, restore_on_divergence=True, verbose=True):
    """Train `net` as d2l's ``train_ch6`` does and return a `History`.

    As in d2l: parameters re-initialized with Xavier (``force_reinit``), SGD at `lr`, softmax
    cross-entropy; `device` None means `try_gpu()`; a list of devices trains data-parallel
    (each batch split over them, gradients summed by a `kvstore`). Ends by printing d2l's two
    closing lines, naming the device. The examples/sec printed is d2l's: training examples
    over the time spent in training batches, from receiving a batch to asking for the next
    (data loading and evaluation excluded; `loop`'s docstring says how it is timed without
    slowing training). The history also keeps the figure over whole epochs
    (``epoch_examples_per_sec``). Options:

    loss / label_smoothing: another loss block, or smoothed targets (Inception-v3).
    optimizer / optimizer_params: another Gluon optimizer or its settings (momentum, wd).
    initializer / reinitialize: another initializer, or keep trained parameters (False).
    hybridize: compile the network with static memory when it allows it (default).
    amp: float16 mixed precision on a GPU (refused on the CPU).
    seed: call `set_seed(seed)` first, for a repeatable run.
    progress: a tqdm bar; None decides by `progress_default()`.
    live_plot / on_epoch_end: a plot updated once per epoch / functions called with the
        history after each epoch (``on_epoch_end=lambda h: d2lcnn.save_parameters(net, p)``
        keeps a checkpoint).
    check_every: batches between checks for divergence (0: at the epoch end only).
    max_loss_ratio: a window whose mean loss is this many times the first batch's, with
        chance accuracy, is a divergence (`divergence`); None turns that test off. A NaN or
        infinite loss always stops training.
    restore_on_divergence: keep a host copy of the parameters at each epoch's end and restore
        it if training diverges or is interrupted.
    verbose: print the closing lines.

    A divergence raises `TrainingDivergedError` (with ``.history``, the finished epochs, and
    advice on the learning rate). Ctrl-C stops between two batches: the finished epochs come
    back as the History (``history.interrupted`` True) and the network holds the parameters
    of the last finished epoch (with ``restore_on_divergence=False``: those it had when
    interrupted); one line says so, also with ``verbose=False``.
    """
    require_np("train_ch6")
    _check_arguments(num_epochs, lr, check_every, loss, label_smoothing)
    num_epochs = int(num_epochs)
    devices = device_list(try_gpu() if device is None else device)
    if amp:
        check_amp(devices)
    if seed is not None:
        from .utils import set_seed
        set_seed(seed)
    reduced = config.reduced_mode()
    if reduced:
        note_reduced("training and evaluation")
    callbacks = _callbacks(on_epoch_end, live_plot)
    snapshot = ParameterSnapshot(net) if restore_on_divergence else None
    check = DivergenceCheck(lr, snapshot, max_loss_ratio)  # validates max_loss_ratio

    initialize(net, devices, initializer, reinitialize)
    loss = make_loss(label_smoothing) if loss is None else loss
    hybridized = bool(hybridize) and hybridize_block(net)
    if hybridized:
        hybridize_block(loss)
    trainer = make_trainer(net, optimizer, optimizer_params, lr, kvstore)
    amp_module = enable_amp(trainer) if amp else None
    train_iter = on_devices(train_iter, devices)
    test_iter = on_devices(test_iter, devices) if test_iter is not None else None

    history = History(device=describe(devices),
                      lr=lr, num_epochs=num_epochs, reduced=reduced,
                      options={"optimizer": optimizer, "optimizer_params": optimizer_params,
                               "label_smoothing": label_smoothing, "amp": bool(amp),
                               "kvstore": kvstore if len(devices) > 1 else None,
                               "devices": [str(d) for d in devices], "hybridized": hybridized,
                               "max_loss_ratio": max_loss_ratio})
    per_epoch = batches_per_epoch(train_iter, reduced)
    bar = progress_bar(progress_default() if progress is None else progress,
                       per_epoch * num_epochs if per_epoch is not None else None)
    ctrl_c = DeferredInterrupt()
    loop = EpochLoop(net, loss, trainer, devices, amp=amp_module, hybridized=hybridized,
                     check_every=int(check_every), check=check, snapshot=snapshot, bar=bar,
                     between_batches=ctrl_c.check)
    epoch = 0
    try:
        with ctrl_c:
            for epoch in range(1, num_epochs + 1):
                bar.set_description(f"epoch {epoch}/{num_epochs}")
                _run_epoch(net, loop, history, epoch, train_iter, test_iter, devices, reduced,
                           ctrl_c, snapshot, check)
                for cb in callbacks:
                    cb(history)
    except TrainingDivergedError as err:
        err.history = history
        raise
    except KeyboardInterrupt:
        bar.close()
        return _interrupted(history, epoch, snapshot)
    finally:
        bar.close()
    if verbose:
        print(history.summary())
    return history


def _run_epoch(net, loop, history, epoch, train_iter, test_iter, devices, reduced, ctrl_c,
               snapshot, check):
    """Train one epoch, check the parameters, evaluate, and record it in `history`."""
    start = time.perf_counter()
    result = loop.train_epoch(cap(train_iter, reduced), epoch)
    trained = time.perf_counter()
    if snapshot is not None and not snapshot.take():
        raise check.nan(epoch, 1, result.batches, what="a parameter became NaN or inf while "
                        "the loss stayed finite (ReLU or max pooling can hide NaN)")
    test_acc, test_batches = (evaluate(net, test_iter, devices, reduced, ctrl_c.check)
                              if test_iter is not None else (None, 0))
    end = time.perf_counter()
    history.append(train_loss=result.loss, train_acc=result.accuracy, test_acc=test_acc,
                   seconds=end - start, train_seconds=trained - start,
                   batch_seconds=result.batch_seconds, eval_seconds=end - trained,
                   examples=result.examples, train_batches=result.batches,
                   test_batches=test_batches)
    if snapshot is not None:
        snapshot.commit()  # only now is this epoch the last finished one
    history.batch_size = loop.batch_size
    history.options["hybridized"] = loop.hybridized
    loop.bar.set_postfix_str(
        f"loss {result.loss:.3f}, train acc {result.accuracy:.3f}, test acc "
        + ("n/a" if test_acc is None else f"{test_acc:.3f}"))
