"""Downloads against a real HTTP server on 127.0.0.1, started here: never the real mirrors.

The server serves small generated IDX files; the test passes their md5 as the checksum table.
Each mirror is a path prefix on the server with its own behaviour (ok, 404, truncated body,
wrong bytes, a stall), so every failure path and the fallback to the next mirror run for real.
Timeouts are short and every wait is bounded: nothing can hang.
"""
import hashlib
import http.server
import socket
import threading
import time

import numpy as np
import pytest

from d2lcnn import config, download, idx
from d2lcnn.download import CHECKSUMS, MIRRORS, download_fashion_mnist
from d2lcnn.errors import DataError, DownloadError

TIMEOUT = 2.0     # seconds: generous for a local server, short enough for a quick failure


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The four files of a tiny Fashion-MNIST-like set (30 train, 10 test images), as bytes."""
    folder = tmp_path_factory.mktemp("generated")
    rng = np.random.default_rng(0)
    for (images, labels), n in zip(idx.FILES.values(), (30, 10)):
        idx.write_idx(folder / images, rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        idx.write_idx(folder / labels, np.arange(n, dtype=np.uint8) % 10)
    return {name: (folder / name).read_bytes() for name in idx.ALL_FILES}


@pytest.fixture(scope="module")
def md5s(files):
    return {name: {"md5": hashlib.md5(data).hexdigest()} for name, data in files.items()}


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass

    def do_GET(self):
        server = self.server
        _, mirror, name = self.path.split("/", 2)
        server.requests.append((mirror, name))
        mode = server.plan.get((mirror, name), server.plan.get(mirror, "ok"))
        if mode == "interrupt-once":
            mode = "truncate" if server.requests.count((mirror, name)) == 1 else "ok"
        body = server.files.get(name)
        if mode == "404" or body is None:
            self.send_error(404, "Not Found")
            return
        if mode == "wrong":
            body = body[:-1] + bytes([body[-1] ^ 0xFF])
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if not mode.startswith("no-length"):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "stall":
            self.wfile.write(body[:100])
            self.wfile.flush()
            server.release.wait(10)          # ended at teardown; the client times out first
            return
        if mode in ("truncate", "no-length-truncate"):
            body = body[:len(body) // 2]
        self.wfile.write(body)


class Server:
    """A local HTTP server; ``url(mirror)`` is a mirror base URL, ``plan`` its behaviours."""

    def __init__(self, files):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.files = dict(files)
        self.httpd.plan = {}
        self.httpd.requests = []
        self.httpd.release = threading.Event()
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()

    def url(self, mirror):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{mirror}/"

    @property
    def plan(self):
        return self.httpd.plan

    @property
    def requests(self):
        return self.httpd.requests

    def close(self):
        self.httpd.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server(files):
    srv = Server(files)
    yield srv
    srv.close()


@pytest.fixture
def closed_port_url():
    """A URL on which nothing listens: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _fetch(root, mirrors, md5s, **kwargs):
    return download_fashion_mnist(root, mirrors, progress=False, timeout=TIMEOUT,
                                  checksums=md5s, **kwargs)


def test_success_writes_verified_files_that_the_loader_reads(tmp_path, server, files, md5s):
    root = _fetch(tmp_path / "fm", [server.url("a")], md5s)
    assert root == tmp_path / "fm"
    for name, data in files.items():
        assert (root / name).read_bytes() == data
    assert _leftovers(root) == []
    data = idx.read_fashion_mnist(root)
    assert data["train"][0].shape == (30, 28, 28) and data["test"][1].shape == (10,)


def test_checksum_mismatch_is_refused_and_leaves_nothing(tmp_path, server, md5s):
    server.plan[("a", "train-labels-idx1-ubyte.gz")] = "wrong"
    with pytest.raises(DownloadError, match="checksum mismatch") as err:
        _fetch(tmp_path, [server.url("a")], md5s)
    assert "train-labels-idx1-ubyte.gz" in str(err.value)
    assert not (tmp_path / "train-labels-idx1-ubyte.gz").exists()
    assert (tmp_path / "train-images-idx3-ubyte.gz").exists()   # verified before the failure
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("mode", ["truncate", "no-length-truncate"])
def test_truncated_body_is_refused(tmp_path, server, md5s, mode):
    server.plan["a"] = mode
    with pytest.raises(DownloadError, match="interrupted|checksum mismatch") as err:
        _fetch(tmp_path, [server.url("a")], md5s)
    if mode == "truncate":   # the server announced the length: the cut is named as such
        assert "transfer interrupted" in str(err.value)
    assert not any(tmp_path.iterdir())


def test_404_names_the_url_and_status(tmp_path, server, md5s):
    server.plan["a"] = "404"
    with pytest.raises(DownloadError) as err:
        _fetch(tmp_path, [server.url("a")], md5s)
    message = str(err.value)
    assert f"{server.url('a')}train-images-idx3-ubyte.gz: HTTP 404" in message
    assert not any(tmp_path.iterdir())


def test_refused_connection(tmp_path, closed_port_url, md5s):
    start = time.monotonic()
    with pytest.raises(DownloadError, match="cannot connect") as err:
        _fetch(tmp_path, [closed_port_url], md5s)
    assert time.monotonic() - start < TIMEOUT
    assert closed_port_url in str(err.value)


def test_stalled_transfer_times_out(tmp_path, server, md5s):
    server.plan["a"] = "stall"
    start = time.monotonic()
    with pytest.raises(DownloadError, match="timed out"):
        download_fashion_mnist(tmp_path, [server.url("a")], progress=False, timeout=0.3,
                               checksums=md5s)
    assert time.monotonic() - start < 3
    assert not any(tmp_path.iterdir())


def test_interrupted_then_rerun_succeeds_and_keeps_verified_files(tmp_path, server, files,
                                                                   md5s):
    server.plan[("a", "t10k-images-idx3-ubyte.gz")] = "interrupt-once"
    with pytest.raises(DownloadError, match="interrupted"):
        _fetch(tmp_path, [server.url("a")], md5s)
    assert not (tmp_path / "t10k-images-idx3-ubyte.gz").exists()
    assert _leftovers(tmp_path) == []
    first = len(server.requests)
    _fetch(tmp_path, [server.url("a")], md5s)
    for name, data in files.items():
        assert (tmp_path / name).read_bytes() == data
    # the re-run fetched only what was missing
    assert [name for _, name in server.requests[first:]] == ["t10k-images-idx3-ubyte.gz",
                                                             "t10k-labels-idx1-ubyte.gz"]


def test_falls_back_to_the_next_mirror(tmp_path, server, files, md5s, closed_port_url):
    server.plan["bad"] = "wrong"
    mirrors = [closed_port_url, server.url("bad"), server.url("good").rstrip("/")]
    _fetch(tmp_path, mirrors, md5s)
    for name, data in files.items():
        assert (tmp_path / name).read_bytes() == data
    assert {m for m, _ in server.requests} == {"bad", "good"}


def test_total_failure_names_every_mirror_the_folder_and_the_env_var(tmp_path, server, md5s,
                                                                     closed_port_url):
    server.plan["b"] = "404"
    with pytest.raises(DownloadError) as err:
        _fetch(tmp_path / "dest", [closed_port_url, server.url("b")], md5s)
    message = str(err.value)
    assert closed_port_url in message and server.url("b") in message
    assert "cannot connect" in message and "HTTP 404" in message
    assert str(tmp_path / "dest") in message and config.DATA_ENV in message
    assert isinstance(err.value, DataError)


def test_existing_verified_files_are_not_downloaded_again(tmp_path, server, files, md5s):
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    _fetch(tmp_path, [server.url("a")], md5s)
    assert server.requests == []


def test_an_existing_bad_file_is_replaced(tmp_path, server, files, md5s):
    name = "train-labels-idx1-ubyte.gz"
    (tmp_path / name).write_bytes(b"not the file")
    _fetch(tmp_path, [server.url("a")], md5s)
    assert (tmp_path / name).read_bytes() == files[name]


def test_checksum_forms_plain_md5_and_sha1(tmp_path, server, files):
    table = {name: hashlib.md5(data).hexdigest() for name, data in files.items()}
    table["t10k-labels-idx1-ubyte.gz"] = {
        "md5": "0" * 32, "sha1": hashlib.sha1(files["t10k-labels-idx1-ubyte.gz"]).hexdigest()}
    _fetch(tmp_path, [server.url("a")], table)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files)


def test_progress_lines_without_a_terminal(tmp_path, server, md5s, capsys):
    download_fashion_mnist(tmp_path, [server.url("a")], timeout=TIMEOUT, checksums=md5s)
    err = capsys.readouterr().err
    assert err.count("Fashion-MNIST: downloading") == 4
    assert str(tmp_path) not in err


def test_progress_bar_on_a_terminal(tmp_path, server, md5s, monkeypatch, capsys):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(download.sys.stderr, "isatty", lambda: True, raising=False)
    download_fashion_mnist(tmp_path, [server.url("a")], timeout=TIMEOUT, checksums=md5s)
    err = capsys.readouterr().err
    assert "train-images-idx3-ubyte.gz" in err and "downloading" not in err


def test_default_folder_is_the_user_cache(tmp_path, server, md5s, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    root = download_fashion_mnist(None, [server.url("a")], progress=False, timeout=TIMEOUT,
                                  checksums=md5s)
    assert root == tmp_path / "d2lcnn" / "fashion-mnist"
    assert len(list(root.iterdir())) == 4


def test_bad_arguments(tmp_path, md5s):
    with pytest.raises(ValueError, match="mirrors"):
        download_fashion_mnist(tmp_path, [], checksums=md5s)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(DownloadError, match="cannot create"):
        download_fashion_mnist(blocker / "sub", ["http://127.0.0.1:9/"], checksums=md5s)
    with pytest.raises(DownloadError, match="invalid URL|unknown url"):
        download_fashion_mnist(tmp_path, ["nonsense://x/"], progress=False, checksums=md5s)


def test_an_unwritable_folder_fails_at_once(tmp_path, server, md5s, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(download.tempfile, "mkstemp", refuse)
    with pytest.raises(DownloadError, match="cannot write in .*Permission denied"):
        _fetch(tmp_path, [server.url("a"), server.url("b")], md5s)
    assert server.requests == []


def test_published_table():
    """The official names and Zalando's md5 sums (README of zalandoresearch/fashion-mnist)."""
    assert sorted(CHECKSUMS) == sorted(idx.ALL_FILES)
    assert CHECKSUMS["train-images-idx3-ubyte.gz"]["md5"] == "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    assert CHECKSUMS["train-labels-idx1-ubyte.gz"]["md5"] == "25c81989df183df01b3e8a0aad5dffbe"
    assert CHECKSUMS["t10k-images-idx3-ubyte.gz"]["md5"] == "bef4ecab320f06d8554ea6380940ec79"
    assert CHECKSUMS["t10k-labels-idx1-ubyte.gz"]["md5"] == "bb300cfdad3c16e7a12a480ee83cd310"
    assert MIRRORS[0] == "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
