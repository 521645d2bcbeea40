"""Fashion-MNIST as d2l's ``load_data_fashion_mnist`` gives it, faster and usable offline.

Same call, same batches: ``(X, y)`` with X float32 (N, 1, H, W) in [0, 1] and y int32 (N,),
the training set reshuffled each epoch, the test set in file order, the last partial batch kept.
What differs is how the batches are made. d2l resizes image by image in worker processes; here
the whole set is decoded once into uint8 arrays (kept in-process, so a second call is instant),
and each batch is gathered in numpy, moved to the device as uint8 (4x less to copy than float),
converted and resized there by one batched operator. No resized copy of the set is ever held.

Where the images come from, in order: ``root``; else ``D2LCNN_DATA``; else the user cache,
downloading into it if needed; else (offline) the class-balanced subset shipped inside the
package, with a notice. Reduced mode (``D2LCNN_REDUCED=1``) always uses the subset and caps the batches.
Output lines never show a folder: the book stores them.
"""
import collections
import math
import operator
import sys
from pathlib import Path

import mxnet as mx
import numpy as onp
from mxnet import np, npx

from . import config
from .download import default_root, download_fashion_mnist
from .errors import DataError, DownloadError
from .idx import ALL_FILES, IMAGE_SHAPE, dataset_files, find_file, read_fashion_mnist
from .npmode import require_np

TEXT_LABELS = ("t-shirt", "trouser", "pullover", "dress", "coat",
               "sandal", "shirt", "sneaker", "bag", "ankle boot")

FULL_SIZES = (60000, 10000)
SUBSET_LABEL = "packaged subset"
_FILE_LIST = ", ".join(ALL_FILES)


def get_fashion_mnist_labels(labels):
    """Text labels of Fashion-MNIST class indices (d2l's names)."""
    return [TEXT_LABELS[int(i)] for i in labels]


# ---- decoded sets, kept in-process ----------------------------------------------------------

_DECODED = collections.OrderedDict()   # (folder, file stamps) -> {"train": ..., "test": ...}
_DECODED_MAX = 2                       # the full set is 55 MB decoded: keep at most two


def _stamp(folder):
    """A cache key that changes when any of the four files is replaced or touched."""
    paths = dataset_files(folder)
    stats = [p.stat() for p in paths]
    return (str(Path(folder).resolve()),
            tuple((p.name, s.st_mtime_ns, s.st_size) for p, s in zip(paths, stats)))


def read_folder(folder):
    """The decoded set in ``folder`` (uint8 images, int32 labels), decoding it once per process."""
    key = _stamp(folder)
    if key in _DECODED:
        _DECODED.move_to_end(key)
        return _DECODED[key]
    data = read_fashion_mnist(folder)
    _DECODED[key] = data
    while len(_DECODED) > _DECODED_MAX:
        _DECODED.popitem(last=False)
    return data


def clear_cache():
    """Forget the decoded sets (tests; or to free their memory)."""
    _DECODED.clear()


# ---- the batches ------------------------------------------------------------------------------

def _as_size(resize):
    """d2l's ``resize`` (None/0, an int, or (width, height)) as (width, height) or None."""
    if resize is None or resize is False or (not isinstance(resize, (tuple, list)) and
                                              resize == 0):
        return None
    try:
        size = ((operator.index(resize),) * 2 if not isinstance(resize, (tuple, list))
                else tuple(operator.index(s) for s in resize))
    except TypeError:
        size = ()
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"resize={resize!r}: give a positive int or a (width, height) pair")
    return None if size == IMAGE_SHAPE[::-1] else size


def _view(x, shape):
    """Reshape without a copy: mx.np's reshape is an operator that copies the data."""
    return x.as_nd_ndarray().reshape(shape).as_np_ndarray()


def _as_batch_size(batch_size):
    try:
        value = operator.index(batch_size)
    except TypeError:
        value = 0
    if value < 1:
        raise ValueError(f"batch_size={batch_size!r}: give a positive int")
    return value


class _BufferPool:
    """Output memory for CPU batches, reused once MXNet has let go of it.

    Why: a 256 x 224 x 224 float32 batch is 51 MB. Allocated afresh for each batch, it is
    mmapped and unmapped every time (glibc does so above 32 MB), and the kernel must supply and
    zero 12,500 new pages per batch: that took two thirds of an epoch's time (8,500 instead of
    20,000 images/s on 2 cores). Kept instead, the memory is reused, without changing malloc's
    settings for the whole process.

    Safety: a buffer goes to MXNet without a copy (``from_numpy``, DLPack), and MXNet holds a
    reference to it until the last array using that memory, views and slices included, is
    gone. So a buffer that only this pool refers to is free; one that a caller still holds in
    any form is never written again.
    """

    SPARE = 2        # free buffers kept per shape; more are released
    _ALIGN = 64      # bytes, as MXNet aligns its own CPU memory

    def __init__(self):
        self._buffers = {}

    def take(self, shape):
        """An uninitialised float32 mx.np array of ``shape`` whose memory comes from the pool."""
        buffers = self._buffers.setdefault(shape, [])
        # 2 references = the list's and getrefcount's argument: nobody else holds it
        free = [i for i in range(len(buffers)) if sys.getrefcount(buffers[i]) == 2]
        for i in reversed(free[1 + self.SPARE:]):
            del buffers[i]
        if free:
            buffer = buffers[free[0]]
        else:
            size = math.prod(shape)
            raw = onp.empty(size + self._ALIGN // 4, dtype=onp.float32)
            start = (-raw.ctypes.data % self._ALIGN) // 4
            buffer = raw[start:start + size].reshape(shape)
            buffers.append(buffer)
        return mx.nd.from_numpy(buffer, zero_copy=True).as_np_ndarray()


class FashionMNISTIter:
    """Mini-batches ``(X, y)`` made from uint8 images in memory, on ``device``.

    Behaves like d2l's gluon DataLoader (``for X, y in it``, ``len(it)``). ``to(device)``
    chooses where batches are made (the training loop calls it); the default is the CPU.
    ``seed`` fixes the order of every epoch; ``max_batches`` caps an epoch (reduced runs).
    """

    def __init__(self, images, labels, batch_size, *, resize=None, shuffle=False, seed=None,
                 max_batches=None, device=None):
        batch_size = _as_batch_size(batch_size)
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images = onp.asarray(images, dtype=onp.uint8)
        self.labels = onp.asarray(labels, dtype=onp.int32)
        self.batch_size = batch_size
        self.size = _as_size(resize)
        self.shuffle = shuffle
        self.max_batches = max_batches
        self.device = device if device is not None else mx.cpu()
        self._rng = onp.random.default_rng(seed)
        self._pool = _BufferPool()

    def to(self, device):
        """Make the batches on ``device`` from now on; returns self."""
        self.device = device
        return self

    @property
    def num_examples(self):
        """Images per epoch (fewer than the set when ``max_batches`` caps it)."""
        return min(len(self.images), len(self) * self.batch_size)

    def __len__(self):
        batches = math.ceil(len(self.images) / self.batch_size)
        return min(batches, self.max_batches) if self.max_batches else batches

    def __iter__(self):
        order = self._rng.permutation(len(self.images)) if self.shuffle else None
        b = self.batch_size
        for k in range(len(self)):
            chosen = order[k * b:(k + 1) * b] if order is not None else slice(k * b, (k + 1) * b)
            yield self._batch(self.images[chosen], self.labels[chosen])

    def _batch(self, images, labels):
        n, (h, w) = len(images), IMAGE_SHAPE
        if self.size is None:
            x = np.array(images.reshape(n, 1, h, w), dtype="uint8", ctx=self.device)
            X = x.astype("float32") / 255
        else:
            # resize works on (N, H, W, C); with one channel that is (N, 1, H, W) in memory.
            # Converting the 28x28 input (not the big output) to float keeps the large array
            # written once; bilinear on float avoids rounding to 256 grey levels (d2l rounds).
            x = np.array(images.reshape(n, h, w, 1), dtype="uint8", ctx=self.device)
            width, height = self.size
            shape = (n, height, width, 1)
            # the pool's memory is main memory, that is mx.cpu(); a GPU has MXNet's own pool
            out = (self._pool.take(shape) if self.device == mx.cpu() else
                   np.empty(shape, dtype="float32", ctx=self.device))
            npx.image.resize(x.astype("float32") / 255, size=(width, height), interp=1, out=out)
            X = _view(out, (n, 1, height, width))
        return X, np.array(labels, dtype="int32", ctx=self.device)

    def __repr__(self):
        size = "None" if self.size is None else f"{self.size[0]}x{self.size[1]}"
        cap = f", max_batches={self.max_batches}" if self.max_batches else ""
        return (f"{type(self).__name__}({len(self.images):,} images, "
                f"batch_size={self.batch_size}, resize={size}, shuffle={self.shuffle}, "
                f"device={self.device}{cap})")


# ---- where the data comes from ---------------------------------------------------------------

def _read_named_folder(folder, what, otherwise):
    """The set in a folder the user named (root or D2LCNN_DATA); a DataError that says what to do.

    ``what`` names the setting, ``otherwise`` the alternative to offer.
    """
    try:
        return read_folder(folder)
    except DataError as err:
        fix = ("put the four Fashion-MNIST files there"
               if not dataset_files_present(folder) else
               "replace that file (copy or download it again)")
        raise DataError(f"{what} holds no valid Fashion-MNIST set: {err}. To fix: {fix}, "
                        f"or {otherwise}.") from None


def _subset():
    if dataset_files_present(config.SUBSET_DIR):
        return read_folder(config.SUBSET_DIR)
    raise DataError(f"the Fashion-MNIST subset shipped with d2lcnn is missing "
                    f"({config.SUBSET_DIR}): reinstall d2lcnn (pip install --force-reinstall "
                    f"--no-deps d2lcnn), or set {config.DATA_ENV} to a folder with the four "
                    f"files ({_FILE_LIST})")


def dataset_files_present(folder):
    """True if all four files are in ``folder`` (their content is not checked)."""
    return all(find_file(folder, name) is not None for name in ALL_FILES)


def _from_cache_or_download():
    """The set in the user cache, downloaded there if missing; None if the download fails."""
    cache = default_root()
    if dataset_files_present(cache):
        try:
            return read_folder(cache)
        except DataError:
            pass  # a damaged file: the download below replaces whatever does not verify
    try:
        download_fashion_mnist(cache)
    except DownloadError:
        return None
    try:
        return read_folder(cache)
    except DataError as err:  # verified downloads that do not read: say so, do not loop
        raise DataError(f"the download cache holds no valid Fashion-MNIST set: {err}. Delete "
                        f"{cache} to download again, or set {config.DATA_ENV}.") from None


def _subset_or_none(folder):
    """The description "packaged subset" if ``folder`` is the packaged subset, else None."""
    return SUBSET_LABEL if Path(folder).resolve() == config.SUBSET_DIR.resolve() else None


def _source(root):
    """(decoded set, description) following the documented order; prints the offline notice."""
    if config.reduced_mode():
        return _subset(), SUBSET_LABEL
    if root is not None:
        folder = Path(root).expanduser()
        return (_read_named_folder(folder, f"root={str(root)!r}",
                                   f"call without root to use {config.DATA_ENV} or the "
                                   f"download cache"),
                _subset_or_none(folder))
    folder = config.data_dir_from_env()
    if folder is not None:
        return (_read_named_folder(folder, f"{config.DATA_ENV}={str(folder)!r}",
                                   f"unset {config.DATA_ENV} to use the download cache"),
                _subset_or_none(folder))
    data = _from_cache_or_download()
    if data is not None:
        return data, None
    print(f"Fashion-MNIST: download failed (offline?), so the small subset shipped with d2lcnn is used: "
          f"results will differ from the full set (set {config.DATA_ENV} to a full copy).")
    return _subset(), SUBSET_LABEL


def load_data_fashion_mnist(batch_size, resize=None, root=None, *, device=None, shuffle=True,
                            seed=None):
    """Fashion-MNIST as ``(train_iter, test_iter)``, as d2l's function of the same name.

    batch_size: images per batch (the last, smaller batch of an epoch is kept).
    resize: None, an int (square) or (width, height): bilinear, done per batch on the device.
    root: a folder with the four IDX files (gzipped or not); default ``D2LCNN_DATA``, then the
        user cache (downloaded if needed), then the packaged subset when offline.
    device: where batches are made (default CPU); ``train_iter.to(device)`` changes it later.
    shuffle: reshuffle the training set each epoch (the test set is never shuffled).
    seed: fixes the shuffling, for reproducible runs.
    """
    require_np("load_data_fashion_mnist")
    _as_batch_size(batch_size), _as_size(resize)   # bad arguments fail before any loading
    data, description = _source(root)
    (train_x, train_y), (test_x, test_y) = data["train"], data["test"]
    cap = config.reduced_batches() if config.reduced_mode() else None
    if description is None:
        description = "full set" if (len(train_y), len(test_y)) == FULL_SIZES else "partial set"
    print(f"Fashion-MNIST: {len(train_y):,} train / {len(test_y):,} test images ({description})")
    if cap:
        print(f"reduced run: the packaged subset and at most {cap} batches per epoch "
              f"({config.REDUCED_ENV}=1); numbers will differ from a full run")
    common = dict(resize=resize, max_batches=cap, device=device)
    # one seed stream per iterator, so that the test order never depends on training's draws
    seeds = onp.random.SeedSequence(seed).spawn(2) if seed is not None else (None, None)
    train = FashionMNISTIter(train_x, train_y, batch_size, shuffle=shuffle, seed=seeds[0],
                             **common)
    test = FashionMNISTIter(test_x, test_y, batch_size, shuffle=False, seed=seeds[1], **common)
    return train, test
