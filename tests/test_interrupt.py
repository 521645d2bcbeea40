"""Ctrl-C during train_ch6: it stops between batches, prints one line, returns the finished
epochs (marked as interrupted) and leaves the network at the last finished epoch."""
import os
import signal
import subprocess
import sys
import textwrap

import numpy as onp
import pytest
from mxnet import gluon

from d2lcnn.interrupt import DeferredInterrupt, StopRequested
from training_helpers import Batches, params_of, run, tiny_net

TESTS = os.path.dirname(os.path.abspath(__file__))


def keep_each_epoch(net, saved):
    return lambda history: saved.append(params_of(net))


def assert_params(net, expected):
    now = params_of(net)
    for name, value in expected.items():
        onp.testing.assert_array_equal(now[name], value)


def test_an_interrupt_in_the_loader_returns_the_finished_epochs(capsys, no_reduced_mode):
    net, saved = tiny_net(), []
    history = run(net, epochs=4, train=Batches(256, batch_size=32, stop_at=(3, 5)),
                  on_epoch_end=keep_each_epoch(net, saved))
    assert history.epochs == 2 and history.interrupted and history.num_epochs == 4
    assert_params(net, saved[-1])  # epoch 3's four batches were undone
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == ["training interrupted (Ctrl-C) in epoch 3 of 4: returning the 2 finished "
                     "epochs; the network holds the parameters of epoch 2"]
    assert "interrupted after 2 of 4 epochs" in history.summary()


def test_sigint_stops_at_the_next_batch_and_restores_the_handler(capsys, no_reduced_mode):
    before = signal.getsignal(signal.SIGINT)
    ce, calls, net, saved = gluon.loss.SoftmaxCrossEntropyLoss(), [], tiny_net(), []

    def loss(y_hat, y):  # Ctrl-C lands during batch 3 of epoch 2 (8 batches an epoch)
        calls.append(1)
        if len(calls) == 8 + 3:
            os.kill(os.getpid(), signal.SIGINT)
        return ce(y_hat, y)
    history = run(net, epochs=3, loss=loss, on_epoch_end=keep_each_epoch(net, saved),
                  verbose=False)
    assert len(calls) == 8 + 3  # batch 3 finished, batch 4 never started
    assert history.epochs == 1 and history.interrupted
    assert_params(net, saved[0])
    assert "in epoch 2 of 3" in capsys.readouterr().out  # the line, also with verbose=False
    assert signal.getsignal(signal.SIGINT) is before


def test_a_second_ctrl_c_stops_at_once(no_reduced_mode):
    ce, calls, net, saved = gluon.loss.SoftmaxCrossEntropyLoss(), [], tiny_net(), []

    def loss(y_hat, y):  # two presses in batch 2 of epoch 2: the second raises right here
        calls.append(1)
        if len(calls) == 8 + 2:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
        return ce(y_hat, y)
    history = run(net, epochs=3, loss=loss, on_epoch_end=keep_each_epoch(net, saved))
    assert history.epochs == 1 and history.interrupted
    assert_params(net, saved[0])  # the half-done batch is undone too


def test_an_interrupt_during_evaluation_does_not_count_the_epoch(no_reduced_mode):
    net, saved = tiny_net(), []
    test = Batches(128, seed=1, stop_at=(2, 2))  # the second evaluation is cut short
    history = run(net, epochs=3, test=test, on_epoch_end=keep_each_epoch(net, saved))
    assert history.epochs == 1 and history.interrupted
    assert_params(net, saved[0])


def test_without_the_host_copy_the_network_keeps_its_parameters(capsys, no_reduced_mode):
    net = tiny_net()
    history = run(net, epochs=3, train=Batches(256, batch_size=32, stop_at=(1, 4)),
                  restore_on_divergence=False)
    assert history.epochs == 0 and history.interrupted
    assert "keeps the parameters it had when interrupted" in capsys.readouterr().out
    assert history.summary() == f"no epoch trained on {history.device} (interrupted after 0 " \
                                f"of 3 epochs)"


def test_deferred_interrupt_outside_training_changes_nothing():
    before = signal.getsignal(signal.SIGINT)
    ctrl_c = DeferredInterrupt()
    with ctrl_c:
        assert signal.getsignal(signal.SIGINT) is not before
        ctrl_c.check()  # nothing pressed: no error
        os.kill(os.getpid(), signal.SIGINT)
        assert ctrl_c.requested
        with pytest.raises(StopRequested):
            ctrl_c.check()
    assert signal.getsignal(signal.SIGINT) is before
    assert issubclass(StopRequested, KeyboardInterrupt)


def test_ctrl_c_in_a_real_process_prints_one_line_and_no_traceback():
    """A script trains; SIGINT arrives after its first epoch, as a terminal's Ctrl-C would.
    It must print the one line, carry on after train_ch6 (exit code 0), and print no MXNet
    traceback."""
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {TESTS!r})
        import d2lcnn
        import mxnet as mx
        from mxnet import npx
        npx.set_np()
        from training_helpers import Batches, tiny_net, params_of

        class Slow(Batches):
            def __iter__(self):
                for batch in super().__iter__():
                    time.sleep(0.05)
                    yield batch
        net = tiny_net()
        marks = []
        def epoch_done(h):
            marks.append(params_of(net))
            print("epoch done", h.epochs, flush=True)
        h = d2lcnn.train_ch6(net, Slow(256), Batches(64, seed=1), 100, 0.3, mx.cpu(),
                             progress=False, on_epoch_end=epoch_done)
        same = all((params_of(net)[k] == v).all() for k, v in marks[-1].items())
        print("after", h.epochs, h.interrupted, same, flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if line.startswith("epoch done"):
                proc.send_signal(signal.SIGINT)
                break
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    lines = out.strip().splitlines()
    assert lines[-2].startswith("training interrupted (Ctrl-C) in epoch ")
    epochs = int(lines[-1].split()[1])
    assert epochs >= 1 and lines[-1] == f"after {epochs} True True"
    assert "Traceback" not in err and "mxnet" not in err
