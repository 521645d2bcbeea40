"""Parameter files: save and load round trip, another architecture named, atomic writes."""
import os

import mxnet as mx
import numpy as onp
import pytest
from mxnet import np
from mxnet.gluon import nn

from d2lcnn.checkpoint import (CheckpointError, ParameterMismatchError, load_parameters,
                               save_parameters)
from d2lcnn.errors import D2LCNNError
from d2lcnn.utils import set_seed
from training_helpers import CLASSES, Batches, run, tiny_net

def _trained(seed=0):
    set_seed(seed)
    net = tiny_net()
    run(net, epochs=1, verbose=False)
    return net


def test_save_and_load_parameters_round_trip(tmp_path):
    net = _trained()
    path = save_parameters(net, tmp_path / "tiny.params")
    other = tiny_net()
    load_parameters(other, path, device=mx.cpu())
    X = np.array(Batches(8).X)
    onp.testing.assert_array_equal(other(X).asnumpy(), net(X).asnumpy())
    # default device: the one the network is on
    again = tiny_net()
    again.initialize(ctx=mx.cpu(1))
    again(X.as_in_ctx(mx.cpu(1)))
    load_parameters(again, path)
    assert again.collect_params()[list(again.collect_params())[0]].list_ctx() == [mx.cpu(1)]


def test_load_into_another_architecture_names_the_parameter(tmp_path):
    path = save_parameters(_trained(), tmp_path / "tiny.params")
    wider = nn.HybridSequential()
    wider.add(nn.Conv2D(8, 3, activation="relu"), nn.MaxPool2D(2),
              nn.Dense(16, activation="relu"), nn.Dense(CLASSES))
    with pytest.raises(ParameterMismatchError) as info:
        load_parameters(wider, path)
    message = str(info.value)
    assert "'0.weight'" in message and "(8, -1, 3, 3)" in message and "(4, 1, 3, 3)" in message
    assert "Build the network exactly as when it was saved" in message
    assert isinstance(info.value, D2LCNNError)
    deeper = tiny_net()
    deeper.add(nn.Dense(CLASSES))
    with pytest.raises(ParameterMismatchError, match="'4.bias' is not in the file") as info:
        load_parameters(deeper, path)
    assert info.value.missing == ["4.bias", "4.weight"]


def test_load_missing_or_corrupt_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="save_parameters"):
        load_parameters(tiny_net(), tmp_path / "none.params")
    bad = tmp_path / "bad.params"
    bad.write_bytes(b"not parameters at all")
    with pytest.raises(CheckpointError, match="not a readable MXNet parameter file"):
        load_parameters(tiny_net(), bad)


def test_save_is_atomic(tmp_path, monkeypatch):
    net = _trained()
    path = tmp_path / "tiny.params"
    save_parameters(net, path)
    good = path.read_bytes()

    def broken(self, filename, *args, **kwargs):
        with open(filename, "wb") as f:
            f.write(good[:10])  # half a file, then the disk fills up
        raise OSError("No space left on device")
    monkeypatch.setattr(nn.HybridSequential, "save_parameters", broken)
    with pytest.raises(OSError, match="No space"):
        save_parameters(_trained(1), path)
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["tiny.params"]


def test_save_uninitialized_network_is_explained(tmp_path):
    net = tiny_net()
    net.initialize()  # shapes unknown until a batch goes through
    with pytest.raises(CheckpointError, match="run one batch"):
        save_parameters(net, tmp_path / "x.params")
    assert not (tmp_path / "x.params").exists()


def test_loading_onto_a_gpu_that_cannot_be_used_is_refused(tmp_path):
    from d2lcnn.device import DeviceUnavailableError
    if mx.context.num_gpus():
        pytest.skip("this machine has a GPU MXNet can use")
    path = save_parameters(_trained(), tmp_path / "tiny.params")
    with pytest.raises(DeviceUnavailableError, match="try_gpu"):
        load_parameters(tiny_net(), path, device=mx.gpu())
