"""Download the official Fashion-MNIST files, verified, from a list of mirrors.

A file is only ever moved to its final name after its checksum matched a published one: it is
streamed to a temporary file in the same folder, hashed on the way, flushed to disk and then
renamed with ``os.replace`` (atomic), so an interrupted or bad download never leaves a file that
the loader would pick up. Each file tries the mirrors in order; when all fail, the error lists
every mirror's failure and says where to put the files by hand.
"""
import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from . import config
from .errors import DownloadError
from .idx import ALL_FILES

#: Base URLs tried in order. The first is Zalando Research's own (the README of
#: github.com/zalandoresearch/fashion-mnist links it); the second is the MXNet Gluon dataset
#: repository, which ``gluon.data.vision.FashionMNIST`` and so d2l's MXNet loader download from.
MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/gluon/dataset/fashion-mnist/",
)

#: Published checksums; a download is accepted if it matches any of its file's entries.
#: md5: the table in Zalando's README. sha1: what MXNet's FashionMNIST checks (the Gluon mirror).
CHECKSUMS = {
    "train-images-idx3-ubyte.gz": {"md5": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                                   "sha1": "0cf37b0d40ed5169c6b3aba31069a9770ac9043d"},
    "train-labels-idx1-ubyte.gz": {"md5": "25c81989df183df01b3e8a0aad5dffbe",
                                   "sha1": "236021d52f1e40852b06a4c3008d8de8aef1e40b"},
    "t10k-images-idx3-ubyte.gz": {"md5": "bef4ecab320f06d8554ea6380940ec79",
                                  "sha1": "626ed6a7c06dd17c0eec72fa3be1740f146a2863"},
    "t10k-labels-idx1-ubyte.gz": {"md5": "bb300cfdad3c16e7a12a480ee83cd310",
                                  "sha1": "17f9ab60e7257a1620f4ad76bbbaf857c3920701"},
}

DEFAULT_TIMEOUT = 30.0   # seconds, per connection attempt and per read: nothing waits forever
_CHUNK = 1 << 16


class _Failed(Exception):
    """One mirror failed for one file; the message says how."""


def default_root():
    """Where downloads go by default: the user cache (``config.cache_dir()/fashion-mnist``)."""
    return config.cache_dir() / "fashion-mnist"


def _expected(checksums, name):
    entry = checksums[name]
    return {"md5": entry} if isinstance(entry, str) else dict(entry)


def _hashers(expected):
    return {algo: hashlib.new(algo, usedforsecurity=False) for algo in expected}


def _matches(hashers, expected):
    return any(hashers[algo].hexdigest() == digest.lower() for algo, digest in expected.items())


def file_verifies(path, expected):
    """True if the file at ``path`` matches one of the ``{algorithm: hexdigest}`` checksums."""
    hashers = _hashers(expected)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            for h in hashers.values():
                h.update(chunk)
    return _matches(hashers, expected)


def _progress_bar(enabled, total, name):
    """A tqdm bar on an interactive terminal, else None (a notebook's stored output stays clean)."""
    if not (enabled and sys.stderr.isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, desc=name, leave=False)


def _fetch(url, folder, name, expected, timeout, progress):
    """Download ``url`` into ``folder/name`` if it verifies; raise _Failed otherwise."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    except OSError as err:  # the folder's fault, not the mirror's: no point trying the next
        raise DownloadError(f"cannot write in {folder} ({_reason(err)}); pass another root or "
                            f"set {config.DATA_ENV}") from None
    bar = None
    try:
        hashers = _hashers(expected)
        received = 0
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    length = response.headers.get("Content-Length")
                    total = int(length) if length and length.isdigit() else None
                    bar = _progress_bar(progress, total, name)
                    while True:
                        chunk = response.read(_CHUNK)
                        if not chunk:
                            break
                        out.write(chunk)
                        for h in hashers.values():
                            h.update(chunk)
                        received += len(chunk)
                        if bar is not None:
                            bar.update(len(chunk))
            except urllib.error.HTTPError as err:
                raise _Failed(f"HTTP {err.code} {err.reason}") from None
            except urllib.error.URLError as err:
                raise _Failed(f"cannot connect ({_reason(err.reason)})") from None
            except http.client.IncompleteRead as err:
                raise _Failed(f"transfer interrupted after {received + len(err.partial):,} "
                              f"bytes") from None
            except ValueError as err:  # a malformed mirror URL
                raise _Failed(f"invalid URL ({err})") from None
            except (http.client.HTTPException, OSError) as err:
                raise _Failed(f"transfer failed after {received:,} bytes ({_reason(err)})") \
                    from None
            if total is not None and received != total:
                raise _Failed(f"transfer interrupted: {received:,} of {total:,} bytes")
            if not _matches(hashers, expected):
                got = ", ".join(f"{a} {h.hexdigest()}" for a, h in hashers.items())
                want = " or ".join(f"{a} {d}" for a, d in expected.items())
                raise _Failed(f"checksum mismatch ({received:,} bytes: {got}; published {want})")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, folder / name)
        tmp = None
        _fsync_dir(folder)
    finally:
        if bar is not None:
            bar.close()
        if tmp is not None:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass


def _reason(err):
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err) or type(err).__name__


def _fsync_dir(folder):
    """Make the rename durable too (POSIX); a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def download_fashion_mnist(root=None, mirrors=None, *, progress=True, timeout=DEFAULT_TIMEOUT,
                           checksums=None):
    """Fetch the four official Fashion-MNIST files into ``root`` and return its path.

    root: folder to fill (default: the user cache, ``~/.cache/d2lcnn/fashion-mnist``).
    mirrors: base URLs tried in order for each file (default ``MIRRORS``).
    progress: a progress bar when stderr is a terminal (tqdm), else one line per file.
    timeout: seconds allowed to connect and between two reads, on each mirror.
    checksums: ``{file name: {algorithm: hexdigest}}`` (or a plain md5 string) replacing the
        published ``CHECKSUMS``; its keys are the files fetched.

    Files already in ``root`` that verify are kept, so an interrupted run can simply be re-run.
    Raises DownloadError if a file fails on every mirror.
    """
    root = Path(root).expanduser() if root is not None else default_root()
    mirrors = list(MIRRORS if mirrors is None else mirrors)
    checksums = CHECKSUMS if checksums is None else checksums
    if not mirrors:
        raise ValueError("mirrors is empty: give at least one base URL")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DownloadError(f"cannot create the download folder {root} ({_reason(err)}); "
                            f"pass another root or set {config.DATA_ENV}") from None
    for name in checksums:
        expected = _expected(checksums, name)
        if (root / name).is_file() and file_verifies(root / name, expected):
            continue
        failures = []
        for base in mirrors:
            url = urllib.parse.urljoin(base if base.endswith("/") else base + "/", name)
            if progress and not sys.stderr.isatty():
                print(f"Fashion-MNIST: downloading {name} from {urllib.parse.urlsplit(url).netloc}",
                      file=sys.stderr)
            try:
                _fetch(url, root, name, expected, timeout, progress)
                break
            except _Failed as err:
                failures.append(f"  {url}: {err}")
        else:
            files = ", ".join(n for n in (ALL_FILES if checksums is CHECKSUMS else checksums))
            raise DownloadError(
                f"could not download {name} from any mirror:\n" + "\n".join(failures) +
                f"\nDownload the files by hand ({files}) into {root}, or put them in any folder "
                f"and set {config.DATA_ENV} to it (or pass root=...).")
    return root
