"""The Fashion-MNIST loader, the IDX reader and the repository subset.

Everything here reads the repository's own subset or small sets generated in a temporary
folder: a fresh clone has nothing else. No test can reach the network: the download mirrors
are pointed at a closed local port and the user cache at a temporary folder.
"""
import gzip
import hashlib
import importlib.util
import os
import socket
import struct
from collections import Counter
from pathlib import Path

import mxnet as mx
import numpy as onp
import pytest
from mxnet import npx

from d2lcnn import config, data, download, idx
from d2lcnn.data import (FashionMNISTIter, get_fashion_mnist_labels, load_data_fashion_mnist)
from d2lcnn.errors import DataError, NumpyModeError

REPO = Path(__file__).resolve().parent.parent
SUBSET = config.SUBSET_DIR
pytestmark = pytest.mark.usefixtures("no_reduced_mode")


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path_factory):
    """No D2LCNN_DATA, an empty user cache, mirrors that refuse at once, nothing decoded."""
    monkeypatch.delenv(config.DATA_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg")))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(download, "MIRRORS", (f"http://127.0.0.1:{port}/",))
    data.clear_cache()
    yield
    data.clear_cache()


def make_set(folder, n_train=20, n_test=10, gzipped=True, seed=0):
    """A small valid Fashion-MNIST-like set: labels cycle over the 10 classes."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = onp.random.default_rng(seed)
    for (images, labels), n in zip(idx.FILES.values(), (n_train, n_test)):
        idx.write_idx(folder / images, rng.integers(0, 256, (n, 28, 28), dtype=onp.uint8))
        idx.write_idx(folder / labels, onp.arange(n, dtype=onp.uint8) % 10)
    if not gzipped:
        for name in idx.ALL_FILES:
            (folder / name[:-3]).write_bytes(gzip.decompress((folder / name).read_bytes()))
            (folder / name).unlink()
    return folder


def labels_of(iterator):
    return onp.concatenate([y.asnumpy() for _, y in iterator])


# ---- the loader on the repository subset ---------------------------------------------------

def test_subset_batches_match_d2l_conventions(capsys):
    train, test = load_data_fashion_mnist(256, root=SUBSET)
    assert len(train) == 24 and len(test) == 4          # ceil: the last partial batch is kept
    batches = list(test)
    assert [X.shape[0] for X, _ in batches] == [256, 256, 256, 232]
    X, y = batches[0]
    assert isinstance(X, mx.np.ndarray) and isinstance(y, mx.np.ndarray)
    assert X.shape == (256, 1, 28, 28) and X.dtype == onp.float32
    assert y.shape == (256,) and y.dtype == onp.int32
    assert X.ctx == mx.cpu() and train.device == mx.cpu()
    values = X.asnumpy()
    assert values.min() >= 0 and values.max() <= 1 and values.max() > 0.9
    # exactly d2l's ToTensor: uint8 / 255 in float32
    raw = data.read_folder(SUBSET)["test"][0][:256]
    onp.testing.assert_array_equal(values[:, 0], raw.astype(onp.float32) / 255)
    out = capsys.readouterr().out
    assert out == "Fashion-MNIST: 6,000 train / 1,000 test images (packaged subset)\n"


def test_subset_is_class_balanced():
    train, test = load_data_fashion_mnist(1000, root=SUBSET)
    assert Counter(labels_of(train).tolist()) == {c: 600 for c in range(10)}
    assert Counter(labels_of(test).tolist()) == {c: 100 for c in range(10)}


@pytest.mark.parametrize("resize, shape", [(96, (96, 96)), (224, (224, 224)),
                                           ((64, 48), (48, 64)), (28, (28, 28))])
def test_resize_shapes(resize, shape):
    train, test = load_data_fashion_mnist(50, resize=resize, root=SUBSET)
    X, y = next(iter(train))
    assert X.shape == (50, 1) + shape and X.dtype == onp.float32 and y.shape == (50,)
    values = X.asnumpy()
    assert values.min() >= 0 and values.max() <= 1 + 1e-6


def test_train_reshuffles_each_epoch_and_test_never():
    train, test = load_data_fashion_mnist(500, root=SUBSET)
    first, second = labels_of(train), labels_of(train)
    assert not onp.array_equal(first, second)
    assert onp.array_equal(onp.sort(first), onp.sort(second))       # same images, new order
    onp.testing.assert_array_equal(labels_of(test), labels_of(test))
    onp.testing.assert_array_equal(labels_of(test), data.read_folder(SUBSET)["test"][1])


def test_seed_makes_every_epoch_reproducible():
    runs = []
    for _ in range(2):
        train, _ = load_data_fashion_mnist(500, root=SUBSET, seed=7)
        runs.append([labels_of(train) for _ in range(2)])
    onp.testing.assert_array_equal(runs[0][0], runs[1][0])
    onp.testing.assert_array_equal(runs[0][1], runs[1][1])
    other, _ = load_data_fashion_mnist(500, root=SUBSET, seed=8)
    assert not onp.array_equal(labels_of(other), runs[0][0])


def test_shuffle_false_keeps_file_order():
    train, _ = load_data_fashion_mnist(1000, root=SUBSET, shuffle=False)
    onp.testing.assert_array_equal(labels_of(train), data.read_folder(SUBSET)["train"][1])


def test_device_and_to():
    train, test = load_data_fashion_mnist(100, root=SUBSET, device=mx.cpu(1))
    assert next(iter(test))[0].ctx == mx.cpu(1)
    assert train.to(mx.cpu(2)) is train and train.device == mx.cpu(2)
    X, y = next(iter(train))
    assert X.ctx == mx.cpu(2) and y.ctx == mx.cpu(2)


def test_kept_batches_and_views_never_change():
    """Batch memory is reused only after MXNet released it: what a caller keeps stays intact."""
    _, test = load_data_fashion_mnist(100, resize=40, root=SUBSET)
    kept, views = [], []
    for k, (X, _) in enumerate(test):
        if k % 3 == 0:
            kept.append((X, X.asnumpy()))
        elif k % 3 == 1:
            views.append((X[5], X[5].asnumpy()))        # a view; the batch itself is dropped
    for _ in range(2):
        for X, _ in test:
            X.wait_to_read()
    for array, snapshot in kept + views:
        onp.testing.assert_array_equal(array.asnumpy(), snapshot)
    # and memory that nobody holds is reused: a plain loop needs a handful of buffers
    buffers = test._pool._buffers[(100, 40, 40, 1)]
    del kept, views, array, X
    npx.waitall()
    for X, _ in test:
        X.wait_to_read()
    assert len(buffers) <= 1 + test._pool.SPARE


def test_batches_made_off_the_pool_device():
    _, test = load_data_fashion_mnist(10, resize=32, root=SUBSET, device=mx.cpu(1))
    X, _ = next(iter(test))
    assert X.ctx == mx.cpu(1) and X.shape == (10, 1, 32, 32)


def test_text_labels():
    assert get_fashion_mnist_labels([0, 9, 5]) == ["t-shirt", "ankle boot", "sandal"]
    assert get_fashion_mnist_labels(mx.np.array([3, 1], dtype="int32")) == ["dress", "trouser"]


def test_bad_arguments_fail_before_loading(capsys):
    for bad in (0, -1, 2.5, "256"):
        with pytest.raises(ValueError, match="batch_size"):
            load_data_fashion_mnist(bad, root=SUBSET)
    for bad in (-1, (96,), (96, 0), "big", 2.5):
        with pytest.raises(ValueError, match="resize"):
            load_data_fashion_mnist(10, resize=bad, root=SUBSET)
    assert capsys.readouterr().out == ""


def test_needs_numpy_mode():
    npx.reset_np()
    try:
        with pytest.raises(NumpyModeError, match="set_np"):
            load_data_fashion_mnist(10, root=SUBSET)
    finally:
        npx.set_np()


def test_iterator_on_its_own():
    images = onp.arange(5 * 28 * 28, dtype=onp.uint8).reshape(5, 28, 28)
    it = FashionMNISTIter(images, onp.arange(5), 2, max_batches=2)
    assert len(it) == 2 and it.num_examples == 4
    assert [y.tolist() for _, y in it] == [[0, 1], [2, 3]]
    assert "5 images" in repr(it) and "max_batches=2" in repr(it)
    with pytest.raises(ValueError, match="labels"):
        FashionMNISTIter(images, onp.arange(4), 2)


# ---- where the data comes from ---------------------------------------------------------------

def test_root_beats_env_and_env_beats_the_cache(tmp_path, monkeypatch, capsys):
    root, env = make_set(tmp_path / "root", 20), make_set(tmp_path / "env", 30)
    monkeypatch.setenv(config.DATA_ENV, str(env))
    assert load_data_fashion_mnist(10, root=root)[0].num_examples == 20
    assert load_data_fashion_mnist(10)[0].num_examples == 30
    out = capsys.readouterr().out
    assert "20 train / 10 test images (partial set)" in out
    assert "30 train / 10 test images (partial set)" in out
    assert str(tmp_path) not in out


def test_ungzipped_files_are_accepted(tmp_path):
    folder = make_set(tmp_path / "raw", gzipped=False)
    train, test = load_data_fashion_mnist(8, root=folder)
    assert train.num_examples == 20 and next(iter(test))[0].shape == (8, 1, 28, 28)


@pytest.mark.parametrize("how", ["root", "env"])
def test_a_folder_without_a_set_is_a_clear_error(tmp_path, monkeypatch, how):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(b"")
    kwargs = {"root": folder} if how == "root" else {}
    if how == "env":
        monkeypatch.setenv(config.DATA_ENV, str(folder))
    with pytest.raises(DataError) as err:
        load_data_fashion_mnist(10, **kwargs)
    message = str(err.value)
    assert str(folder) in message
    assert "missing train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz" in message
    assert ("root=" if how == "root" else config.DATA_ENV) in message
    assert "To fix: put the four Fashion-MNIST files there" in message


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load_data_fashion_mnist(10, root=tmp_path / "nowhere")


def test_the_cache_is_used_when_it_holds_a_set(monkeypatch, capsys):
    make_set(download.default_root(), 40)

    def no_download(*args, **kwargs):
        raise AssertionError("the cache holds a set: nothing to download")

    monkeypatch.setattr(data, "download_fashion_mnist", no_download)
    assert load_data_fashion_mnist(10)[0].num_examples == 40
    assert "(partial set)" in capsys.readouterr().out


def test_offline_without_data_falls_back_to_the_subset_with_a_notice(capsys):
    train, _ = load_data_fashion_mnist(100)
    assert train.num_examples == 6000
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Fashion-MNIST: download failed (offline?)")
    assert "results will differ from the full set" in out[0]
    assert out[1] == "Fashion-MNIST: 6,000 train / 1,000 test images (packaged subset)"
    assert not any(str(REPO) in line or os.path.expanduser("~") in line for line in out)
    assert not any(p.name.startswith(".") for p in download.default_root().iterdir())


def test_a_damaged_cache_is_downloaded_again_then_the_subset_offline(capsys):
    folder = make_set(download.default_root(), 40)
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:500])
    train, _ = load_data_fashion_mnist(100)
    assert train.num_examples == 6000
    assert "download failed" in capsys.readouterr().out


def test_decoded_sets_are_kept_until_a_file_changes(tmp_path, monkeypatch):
    folder = make_set(tmp_path / "set")
    calls = []
    real = data.read_fashion_mnist
    monkeypatch.setattr(data, "read_fashion_mnist", lambda f: calls.append(f) or real(f))
    load_data_fashion_mnist(10, root=folder)
    load_data_fashion_mnist(10, root=folder)
    assert len(calls) == 1
    make_set(folder, 25, seed=1)                    # replaced: new size and mtime
    assert load_data_fashion_mnist(10, root=folder)[0].num_examples == 25
    assert len(calls) == 2


# ---- reduced mode -----------------------------------------------------------------------------

def test_reduced_mode_caps_batches_and_says_so(reduced_mode, tmp_path, capsys):
    train, test = load_data_fashion_mnist(64, root=make_set(tmp_path / "ignored"))
    assert len(train) == 3 and len(test) == 3
    assert sum(1 for _ in train) == 3 and sum(1 for _ in test) == 3
    assert train.num_examples == 192
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Fashion-MNIST: 6,000 train / 1,000 test images (packaged subset)"
    assert [line for line in lines if line.startswith("reduced run: ")] == [lines[1]]
    assert "at most 3 batches per epoch" in lines[1]
    for _ in train:       # iterating prints nothing more
        pass
    assert capsys.readouterr().out == ""


def test_reduced_mode_with_few_batches_keeps_them_all(reduced_mode):
    _, test = load_data_fashion_mnist(500)
    assert len(test) == 2


# ---- the IDX reader: every bad file is a DataError naming it ---------------------------------

def _idx(path, magic_bytes, dims, payload, gz=True):
    raw = magic_bytes + struct.pack(f">{len(dims)}I", *dims) + payload
    path.write_bytes(gzip.compress(raw, mtime=0) if gz else raw)
    return path


@pytest.mark.parametrize("build, message", [
    (lambda p: p.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + b"\x00" * 10)[:-12]),
     "gzip stream is truncated"),
    (lambda p: p.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 30), "gzip data is corrupted"),
    (lambda p: _idx(p, b"\x00\x00\x08\x03", (2, 28, 28), b"\x00" * 100), "truncated: the header"),
    (lambda p: _idx(p, b"\x00\x00\x08\x03", (1, 28, 28), b"\x00" * 785), "longer than its header"),
    (lambda p: _idx(p, b"\x00\x00\x08\x01", (3,), b"\x00" * 3), r"where images \(2051\)"),
    (lambda p: _idx(p, b"\x00\x00\x0d\x03", (1, 28, 28), b"\x00" * 3136), "magic number 3331"),
    (lambda p: _idx(p, b"PK\x03\x04", (1,), b""), "not an IDX file"),
    (lambda p: p.write_bytes(b"\x00\x00"), "too short"),
    (lambda p: _idx(p, b"\x00\x00\x08\x03", (1, 28), b"", gz=False), "header"),
    (lambda p: p.mkdir(), "cannot be read"),
    (lambda p: _idx(p, b"\x00\x00\x08\x03", (4 << 20, 4 << 20, 28), b""), "implausible"),
])
def test_bad_image_files(tmp_path, build, message):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    build(path)
    with pytest.raises(DataError, match=message) as err:
        idx.read_idx(path, idx.IMAGES_MAGIC)
    assert str(path) in str(err.value)


def test_multi_member_gzip_and_trailing_garbage(tmp_path):
    """Concatenated gzip members are one stream (as gzip reads them); garbage after is damage."""
    raw = b"\x00\x00\x08\x01" + struct.pack(">I", 6) + bytes(range(6))
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(raw[:5]) + gzip.compress(raw[5:]))
    assert idx.read_idx(path, idx.LABELS_MAGIC).tolist() == list(range(6))
    path.write_bytes(gzip.compress(raw) + b"trailing junk")
    with pytest.raises(DataError, match="corrupted"):
        idx.read_idx(path)


def test_non_ubyte_type_is_refused(tmp_path):
    path = _idx(tmp_path / "f", b"\x00\x00\x0b\x01", (2,), b"\x00" * 4)
    with pytest.raises(DataError, match="value type 0x0b"):
        idx.read_idx(path)


@pytest.fixture
def good(tmp_path):
    return make_set(tmp_path / "set")


def _corrupt_middle(path):
    raw = bytearray(path.read_bytes())
    for i in range(len(raw) // 2, len(raw) // 2 + 16):
        raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("damage, message", [
    (lambda f: (f / "train-images-idx3-ubyte.gz").write_bytes(
        (f / "train-images-idx3-ubyte.gz").read_bytes()[:-300]), "truncated"),
    (lambda f: _corrupt_middle(f / "train-images-idx3-ubyte.gz"), "corrupted"),
    (lambda f: idx.write_idx(f / "t10k-labels-idx1-ubyte.gz", onp.zeros(9, onp.uint8)),
     "10 images but .* 9 labels"),
    (lambda f: idx.write_idx(f / "t10k-labels-idx1-ubyte.gz", onp.full(10, 10, onp.uint8)),
     "label 10"),
    (lambda f: idx.write_idx(f / "t10k-images-idx3-ubyte.gz", onp.zeros((10, 32, 32), onp.uint8)),
     "32 x 32 pixels"),
    (lambda f: os.replace(f / "t10k-labels-idx1-ubyte.gz", f / "x") or
     os.replace(f / "t10k-images-idx3-ubyte.gz", f / "t10k-labels-idx1-ubyte.gz") or
     os.replace(f / "x", f / "t10k-images-idx3-ubyte.gz"), "swapped"),
])
def test_damaged_sets_fail_with_the_file_and_the_problem(good, damage, message):
    damage(good)
    with pytest.raises(DataError, match=message) as err:
        load_data_fashion_mnist(10, root=good)
    assert str(good) in str(err.value) and "replace that file" in str(err.value)


def test_write_idx_round_trip_and_reproducible(tmp_path):
    images = onp.random.default_rng(1).integers(0, 256, (3, 28, 28), dtype=onp.uint8)
    idx.write_idx(tmp_path / "a.gz", images)
    idx.write_idx(tmp_path / "b.gz", images)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()
    onp.testing.assert_array_equal(idx.read_idx(tmp_path / "a.gz", idx.IMAGES_MAGIC), images)
    with pytest.raises(ValueError, match="uint8"):
        idx.write_idx(tmp_path / "c.gz", images.astype(onp.float32))


# ---- the subset files and the script that makes them ----------------------------------------

def test_subset_files_match_their_recorded_sha256():
    sums = (SUBSET / "SHA256SUMS").read_text().split("\n")
    recorded = dict(line.split()[::-1] for line in sums if line)
    assert sorted(recorded) == sorted(idx.ALL_FILES)
    for name, digest in recorded.items():
        assert hashlib.sha256((SUBSET / name).read_bytes()).hexdigest() == digest, name
    readme = (SUBSET.parent / "README.md").read_text()  # installed with the data
    assert all(digest in readme for digest in recorded.values())


def _make_subset_module():
    spec = importlib.util.spec_from_file_location("make_subset", REPO / "data" / "make_subset.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_subset_is_balanced_deterministic_and_real(tmp_path, monkeypatch, capsys):
    make_subset = _make_subset_module()
    monkeypatch.setattr(make_subset, "PER_CLASS", {"train": 3, "test": 2})
    full = make_set(tmp_path / "full", 80, 40)
    make_subset.main([str(full), "--out", str(tmp_path / "a")])
    make_subset.main([str(full), "--out", str(tmp_path / "b")])
    for name in idx.ALL_FILES + ("SHA256SUMS",):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    source, subset = idx.read_fashion_mnist(full), idx.read_fashion_mnist(tmp_path / "a")
    for split, per_class in (("train", 3), ("test", 2)):
        images, labels = subset[split]
        assert Counter(labels.tolist()) == {c: per_class for c in range(10)}
        flat = {img.tobytes(): lab for img, lab in zip(*source[split])}
        assert all(flat[img.tobytes()] == lab for img, lab in zip(images, labels))
    assert str(tmp_path) not in capsys.readouterr().out


# ---- the same batches as d2l's own loader ----------------------------------------------------

@pytest.fixture
def d2l_on_subset(monkeypatch):
    """d2l's loader reading the subset's files (no download, no sha1 check, no workers)."""
    d2l = pytest.importorskip("d2l.mxnet")
    from mxnet.gluon.data.vision import datasets
    monkeypatch.setattr(datasets, "download",
                        lambda url, path=None, sha1_hash=None, **kw:
                        str(SUBSET / url.rsplit("/", 1)[-1]))
    monkeypatch.setattr(d2l, "get_dataloader_workers", lambda: 0)
    return d2l


@pytest.mark.parametrize("resize", [None, 96])
def test_same_test_split_as_d2l(d2l_on_subset, resize):
    """Same images, labels, order and batch shapes; pixels equal without resize.

    With resize, d2l resizes each uint8 image with OpenCV and rounds the result to a whole grey
    level before dividing by 255; here the image is made float first and resized without
    rounding (same bilinear, OpenCV's on the CPU). So values may differ by half a grey level
    plus OpenCV's fixed-point error for uint8: the tolerance is one grey level, 1/255 (the
    largest difference measured is about 0.79/255).
    """
    _, theirs = d2l_on_subset.load_data_fashion_mnist(250, resize=resize)
    _, ours = load_data_fashion_mnist(250, resize=resize, root=SUBSET)
    assert len(theirs) == len(ours)
    for (X1, y1), (X2, y2) in zip(theirs, ours):
        assert X1.shape == X2.shape and X1.dtype == X2.dtype and y1.dtype == y2.dtype
        onp.testing.assert_array_equal(y1.asnumpy(), y2.asnumpy())
        if resize is None:
            onp.testing.assert_array_equal(X1.asnumpy(), X2.asnumpy())
        else:
            onp.testing.assert_allclose(X1.asnumpy(), X2.asnumpy(), rtol=0, atol=1 / 255)


def test_text_labels_match_d2l(d2l_on_subset):
    assert get_fashion_mnist_labels(range(10)) == d2l_on_subset.get_fashion_mnist_labels(range(10))


def test_d2l_training_code_runs_unchanged(d2l_on_subset, reduced_mode):
    """A train_ch6-style loop and d2l's evaluate_accuracy_gpu, as homework would call them."""
    from mxnet import autograd, gluon, init
    from mxnet.gluon import nn
    d2l = d2l_on_subset
    train_iter, test_iter = load_data_fashion_mnist(64, resize=32, seed=0)
    net = nn.Sequential()
    net.add(nn.Conv2D(4, kernel_size=5, activation="relu"), nn.MaxPool2D(2), nn.Dense(10))
    net.initialize(init.Xavier())
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    device = d2l.try_gpu()
    metric = d2l.Accumulator(3)
    for X, y in train_iter:
        X, y = X.as_in_ctx(device), y.as_in_ctx(device)
        with autograd.record():
            y_hat = net(X)
            l = loss(y_hat, y)
        l.backward()
        trainer.step(X.shape[0])
        metric.add(l.sum(), d2l.accuracy(y_hat, y), X.shape[0])
    assert metric[2] == train_iter.num_examples == 3 * 64
    assert 0 <= d2l.evaluate_accuracy_gpu(net, test_iter) <= 1
