"""The IDX format of (Fashion-)MNIST: read with every check, write reproducibly.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
one big-endian uint32 per dimension, then the values. Fashion-MNIST ships them gzipped. A bad
file must fail here with its name and what is wrong, not later as a reshape error or as garbage
images, so every field is checked against the bytes that are really there.

This module needs only numpy (``data/make_subset.py`` uses it without MXNet).
"""
import gzip
import io
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from .errors import DataError

IMAGES_MAGIC = 2051     # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049     # 0x00000801: unsigned bytes, 1 dimension
_UBYTE = 0x08
_GZIP_MAGIC = b"\x1f\x8b"
_MAX_VALUES = 1 << 32   # 4 GB: far above any (Fashion-)MNIST file

#: split -> (images file, labels file), the official names
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
ALL_FILES = tuple(name for pair in FILES.values() for name in pair)
NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28)


class _Gunzip:
    """The content of a gzip file (one or more members), read in 1 MB steps.

    gzip.GzipFile inflates 8 kB at a time and took twice as long on the 26 MB training file;
    gzip.decompress is fast but holds the whole content twice while it builds it. This writes
    the content straight into the caller's buffer. Errors are gzip's: EOFError when the data
    stops before the end of a member, zlib.error when it is damaged (CRC included).
    """

    _STEP = 1 << 20

    def __init__(self, f):
        self._f = f
        self._inflate = zlib.decompressobj(31)     # 31: gzip header and trailer, checked
        self._started = False
        self._input = b""

    def _next(self, limit):
        """Up to ``limit`` bytes of content; b"" at the end."""
        while True:
            if not self._input:
                self._input = self._f.read(self._STEP)
                if not self._input:
                    if self._started:
                        raise EOFError("compressed data ended before the end of the stream")
                    return b""
            self._started = True
            out = self._inflate.decompress(self._input, limit)
            self._input = self._inflate.unconsumed_tail
            if self._inflate.eof:                  # a member ended: another may follow
                self._input = self._inflate.unused_data
                self._inflate = zlib.decompressobj(31)
                self._started = False
            if out:
                return out

    def read(self, size):
        parts, got = [], 0
        while got < size:
            part = self._next(size - got)
            if not part:
                break
            parts.append(part)
            got += len(part)
        return b"".join(parts)

    def readinto(self, buffer):
        view, got = memoryview(buffer).cast("B"), 0
        while got < len(view):
            part = self._next(len(view) - got)
            if not part:
                break
            view[got:got + len(part)] = part
            got += len(part)
        return got


def _read_exact(stream, n):
    data = stream.read(n)
    return data if data is not None else b""


def _parse(path, stream, magic):
    """Header checks, then the values read straight into their array (no second copy)."""
    head = _read_exact(stream, 4)
    if len(head) < 4:
        raise DataError(f"{path}: {len(head)} bytes, too short for an IDX header")
    zero, dtype, ndim = struct.unpack(">HBB", head)
    if zero != 0 or ndim == 0:
        raise DataError(f"{path}: not an IDX file (magic number {head.hex()})")
    found = (dtype << 8) | ndim
    if magic is not None and found != magic:
        want = {IMAGES_MAGIC: "images (2051)", LABELS_MAGIC: "labels (2049)"}.get(magic, magic)
        raise DataError(f"{path}: magic number {found} where {want} was expected "
                        f"(a wrong or swapped file?)")
    if dtype != _UBYTE:
        raise DataError(f"{path}: value type 0x{dtype:02x}, but Fashion-MNIST stores unsigned "
                        f"bytes (0x08)")
    dims_raw = _read_exact(stream, 4 * ndim)
    if len(dims_raw) < 4 * ndim:
        raise DataError(f"{path}: truncated inside its header ({4 + len(dims_raw)} of "
                        f"{4 + 4 * ndim} bytes)")
    shape = struct.unpack(f">{ndim}I", dims_raw)
    dims = " x ".join(f"{d:,}" for d in shape)
    expected = math.prod(shape)
    if expected > _MAX_VALUES:      # a damaged header must not make us allocate terabytes
        raise DataError(f"{path}: the header's dimensions {dims} are implausible (a damaged "
                        f"header?)")
    values = np.empty(expected, dtype=np.uint8)
    got = stream.readinto(memoryview(values)) if expected else 0
    extra = len(_read_exact(stream, 1 << 16)) if got == expected else 0
    if got != expected or extra:
        what = "truncated" if got < expected else "longer than its header says"
        holds = f"{got:,}" if got < expected else f"{expected + extra:,} or more"
        raise DataError(f"{path}: {what}: the header promises {dims} = {expected:,} values, "
                        f"the file holds {holds}")
    values = values.reshape(shape)
    values.flags.writeable = False     # decoded sets are shared: nobody may change them
    return values


def read_idx(path, magic=None):
    """Read one IDX file (gzipped or not, told by its content) into a read-only uint8 array.

    ``magic`` (IMAGES_MAGIC or LABELS_MAGIC) is the kind expected; a file of another kind is a
    DataError, so swapped image and label files are caught. The file is decompressed as it is
    read, straight into the array: memory peaks at the array's size, not twice it.
    """
    path = Path(path)
    try:
        f = open(path, "rb")
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err.strerror or err})") from None
    with f:
        try:
            gzipped = f.read(2) == _GZIP_MAGIC
            f.seek(0)
            stream = _Gunzip(f) if gzipped else f
            return _parse(path, stream, magic)
        except EOFError:
            raise DataError(f"{path}: the gzip stream is truncated (the file was cut short, e.g. "
                            f"by an interrupted copy or download)") from None
        except zlib.error as err:
            raise DataError(f"{path}: the gzip data is corrupted ({err})") from None
        except OSError as err:
            raise DataError(f"{path}: cannot be read ({err.strerror or err})") from None


def write_idx(path, array):
    """Write a uint8 array as a gzipped IDX file, byte-for-byte reproducible (gzip mtime 0)."""
    array = np.ascontiguousarray(array)
    if array.dtype != np.uint8 or array.ndim not in (1, 3):
        raise ValueError(f"write_idx takes uint8 labels (N,) or images (N, H, W), "
                         f"not {array.dtype} {array.shape}")
    header = struct.pack(">HBB", 0, _UBYTE, array.ndim) + struct.pack(f">{array.ndim}I",
                                                                      *array.shape)
    buffer = io.BytesIO()
    # filename="" and mtime=0 keep the gzip header free of anything that varies between runs
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(header)
        gz.write(array.tobytes())
    Path(path).write_bytes(buffer.getvalue())


def find_file(folder, name):
    """The path of ``name`` in ``folder``, gzipped (``name``) or not (``name`` minus ``.gz``)."""
    folder = Path(folder)
    for candidate in (folder / name, folder / name[:-len(".gz")]):
        if candidate.is_file():
            return candidate
    return None


def dataset_files(folder):
    """The four files of a folder, in ALL_FILES order; a DataError names any that are missing."""
    if not Path(folder).is_dir():
        raise DataError(f"{folder}: no such folder")
    found = [find_file(folder, name) for name in ALL_FILES]
    missing = [name for name, path in zip(ALL_FILES, found) if path is None]
    if missing:
        raise DataError(f"{folder}: missing {', '.join(missing)} (gzipped or not)")
    return found


def read_split(images_path, labels_path):
    """Images (N, 28, 28) uint8 and labels (N,) int32 of one split, checked against each other."""
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if images.shape[1:] != IMAGE_SHAPE:
        raise DataError(f"{images_path}: images of {images.shape[1]} x {images.shape[2]} pixels, "
                        f"Fashion-MNIST's are 28 x 28")
    if len(images) != len(labels):
        raise DataError(f"{images_path} holds {len(images):,} images but {labels_path} holds "
                        f"{len(labels):,} labels: the two files do not belong together")
    if len(labels) == 0:
        raise DataError(f"{labels_path}: the split is empty")
    if labels.max() >= NUM_CLASSES:
        raise DataError(f"{labels_path}: label {int(labels.max())} found, but Fashion-MNIST has "
                        f"only classes 0 to {NUM_CLASSES - 1}")
    labels = labels.astype(np.int32)
    labels.flags.writeable = False
    return images, labels


def read_fashion_mnist(folder):
    """``{"train": (images, labels), "test": (images, labels)}`` from a folder of the four files."""
    paths = dict(zip(ALL_FILES, dataset_files(folder)))
    return {split: read_split(paths[img], paths[lab]) for split, (img, lab) in FILES.items()}
