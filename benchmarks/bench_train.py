"""Benchmark: d2lcnn.train_ch6 against d2l.train_ch6 (d2l 1.0.3, MXNet) on the full
Fashion-MNIST, with d2l's sigmoid LeNet, batch 256, lr 0.9, on the CPU.

Rows (each in its own subprocess, so that peak RSS and MXNet's state are separate):

  d2l      d2l.train_ch6 fed by d2l's own loader (gluon FashionMNIST, ToTensor, 4 workers),
           with MXNet's own CPU threads and engine: what a d2l user runs
  d2l-rt   the same with d2lcnn's runtime choice (d2lcnn/runtime.py: every physical core,
           one operator at a time): how much of the difference that choice alone makes
  d2lcnn   d2lcnn.train_ch6 fed by d2lcnn's loader (d2lcnn.data), d2lcnn's runtime
  loop     d2l.train_ch6 fed by d2lcnn's loader, d2lcnn's runtime: with `d2lcnn`, the loops
  loader   d2lcnn.train_ch6 fed by d2l's loader, d2lcnn's runtime (with --rows all)
  floor    no loop, no data: forward, backward and update of one batch held in memory, as
           many times as an epoch has batches (d2lcnn's runtime). MXNet's own compute time
           for this network: no training loop on this machine can beat its examples/s.

Columns: wall seconds per epoch (the whole train_ch6 call over the epochs: data, training,
evaluation, d2l's plotting), the best epoch, examples/sec over whole epochs, CPU seconds per
epoch of the process and its loader workers (less sensitive to other work on the machine than
wall time), final test accuracy, peak RSS of the process, and of the process plus its loader
worker processes (sampled) when it has some.

Data: --data DIR or the D2LCNN_DATA environment variable (the four IDX files). d2l's loader
checks MXNet's mirror checksums; the same files are given to it with their own checksums, so
both loops read the same images. Usage:

    python benchmarks/bench_train.py --data DIR [--epochs 10] [--repeat 1] [--rows all]
"""
import argparse
import contextlib
import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import time

MARK = "@@bench@@"
ROWS = {  # name: (loop, loader, runtime: MXNet's defaults or d2lcnn's choice)
    "d2l": ("d2l", "d2l", "mxnet"),
    "d2l-rt": ("d2l", "d2l", "d2lcnn"),
    "d2lcnn": ("d2lcnn", "d2lcnn", "d2lcnn"),
    "loop": ("d2l", "d2lcnn", "d2lcnn"),
    "loader": ("d2lcnn", "d2l", "d2lcnn"),
    "floor": ("floor", "d2lcnn", "d2lcnn"),
}
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


# ---- worker side ---------------------------------------------------------------------------

def lenet():
    """d2l's LeNet (Sec. 7.6, MXNet): an nn.Sequential of sigmoid layers, as chapters build it."""
    from mxnet.gluon import nn
    net = nn.Sequential()
    net.add(nn.Conv2D(channels=6, kernel_size=5, padding=2, activation="sigmoid"),
            nn.AvgPool2D(pool_size=2, strides=2),
            nn.Conv2D(channels=16, kernel_size=5, activation="sigmoid"),
            nn.AvgPool2D(pool_size=2, strides=2),
            nn.Dense(120, activation="sigmoid"),
            nn.Dense(84, activation="sigmoid"),
            nn.Dense(10))
    return net


def _sha1(path):
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def d2l_loader(data, batch_size):
    """d2l's own load_data_fashion_mnist, reading the files in `data`.

    d2l calls gluon's FashionMNIST() with its default folder, and that class compares the files
    with the SHA-1 of MXNet's mirror (re-downloading on a mismatch). Gzip files of the same
    images can differ byte for byte, so for the duration of the call the class is replaced by
    one that reads `data` and checks each file against its own SHA-1."""
    from d2l import mxnet as d2l
    from mxnet import gluon
    vision = gluon.data.vision
    base = vision.FashionMNIST
    sums = {name: _sha1(os.path.join(data, name)) for name in FILES}

    class LocalFashionMNIST(base):
        def __init__(self, root=data, train=True, transform=None):
            super().__init__(root=root, train=train, transform=transform)

        def _get_data(self):
            for attr in ("_train_data", "_train_label", "_test_data", "_test_label"):
                name = getattr(self, attr)[0]
                setattr(self, attr, (name, sums[name]))
            super()._get_data()

    vision.FashionMNIST = LocalFashionMNIST
    try:
        return d2l.load_data_fashion_mnist(batch_size)
    finally:
        vision.FashionMNIST = base


def d2lcnn_loader(data, batch_size, seed):
    try:
        from d2lcnn.data import load_data_fashion_mnist
    except ImportError:
        return d2l_loader(data, batch_size), "d2lcnn.data missing: d2l's loader used"
    with contextlib.redirect_stdout(io.StringIO()):
        return load_data_fashion_mnist(batch_size, root=data, seed=seed), ""


def run_d2l_loop(net, train_iter, test_iter, epochs, lr, device):
    """d2l.train_ch6, unchanged; its Animator's epoch-end call is timed (and still draws)."""
    from d2l import mxnet as d2l
    marks = []
    original = d2l.Animator.add

    def add(self, x, y):
        original(self, x, y)
        if y[-1] is not None:  # the test accuracy: the end of an epoch
            marks.append((time.perf_counter(), y[-1]))
    d2l.Animator.add = add
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):  # the Animator prints figures outside a notebook
        d2l.train_ch6(net, train_iter, test_iter, epochs, lr, device)
    total = time.perf_counter() - start
    times = [t - s for (t, _), s in zip(marks, [start] + [t for t, _ in marks[:-1]])]
    lines = [line for line in out.getvalue().splitlines() if "loss" in line or "sec" in line]
    return total, times, marks[-1][1], lines[-2:]


def run_floor(net, train_iter, test_iter, epochs, lr, device):
    """The compute floor: one batch, hybridized network and loss, SGD; no data, no metrics."""
    import mxnet as mx
    from mxnet import autograd, gluon
    net.initialize(mx.init.Xavier(), ctx=device)
    net.hybridize(static_alloc=True, static_shape=True)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    loss.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": lr})
    X, y = next(iter(train_iter))
    batches, times = len(train_iter), []
    start = time.perf_counter()
    for _ in range(epochs):
        began = time.perf_counter()
        for _ in range(batches):
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(X.shape[0])
        mx.nd.waitall()
        times.append(time.perf_counter() - began)
    total = time.perf_counter() - start
    rate = batches * X.shape[0] * epochs / total
    return total, times, float("nan"), [f"{rate:.1f} examples/sec (one batch, no data)"]


def run_d2lcnn_loop(net, train_iter, test_iter, epochs, lr, device):
    import d2lcnn.train
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        history = d2lcnn.train.train_ch6(net, train_iter, test_iter, epochs, lr, device,
                                         progress=False)
    total = time.perf_counter() - start
    return total, history.seconds, history.test_acc[-1], out.getvalue().strip().splitlines()


class Sampler:
    """Peak RSS of this process plus its loader worker processes, sampled in a thread (the
    workers of d2l's DataLoader live in a pool until the end, so getrusage cannot see them)."""

    def __init__(self, every=0.25):
        import threading
        import psutil
        self.proc, self.every = psutil.Process(), every
        self.peak_total = self.peak_workers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _workers(self):
        try:
            return self.proc.children(recursive=True)
        except Exception:  # noqa: BLE001 - a worker that just exited
            return []

    def _sample(self):
        workers = 0
        for child in self._workers():
            try:
                workers += child.memory_info().rss
            except Exception:  # noqa: BLE001
                pass
        self.peak_workers = max(self.peak_workers, workers)
        self.peak_total = max(self.peak_total, self.proc.memory_info().rss + workers)

    def _run(self):
        while not self._stop.wait(self.every):
            self._sample()

    def worker_cpu(self):
        """CPU seconds of the live workers (user + system)."""
        total = 0.0
        for child in self._workers():
            try:
                t = child.cpu_times()
                total += t.user + t.system
            except Exception:  # noqa: BLE001
                pass
        return total

    def stop(self):
        self._sample()
        self._stop.set()
        self._thread.join()


def worker(row, data, epochs, batch_size, lr, seed):
    import resource
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    # Settle pyplot's backend before d2l imports IPython: d2l's use_svg_display creates an
    # IPython shell object even outside a notebook, after which matplotlib 3.7 asks IPython 9
    # for a name it no longer has. In a notebook this does not arise.
    plt.close(plt.figure())
    import d2lcnn  # noqa: F401  (the compatibility layer and runtime choice before MXNet)
    import mxnet as mx
    from mxnet import npx
    npx.set_np()  # d2l's MXNet functions need it too
    import numpy
    loop, loader, _ = ROWS[row]
    note = ""
    runtime = d2lcnn._runtime.describe()
    # the same seed for both sides: initial weights (mx.random) and the order of the batches
    # (d2l's DataLoader shuffles with numpy's global generator; d2lcnn's loader takes `seed`)
    numpy.random.seed(seed)
    if loader == "d2l":
        train_iter, test_iter = d2l_loader(data, batch_size)
    else:
        (train_iter, test_iter), note = d2lcnn_loader(data, batch_size, seed)
    mx.random.seed(seed)
    net = lenet()
    run = {"d2l": run_d2l_loop, "d2lcnn": run_d2lcnn_loop, "floor": run_floor}[loop]
    sampler = Sampler()
    cpu0, worker_cpu0 = os.times(), sampler.worker_cpu()
    total, epoch_times, test_acc, lines = run(net, train_iter, test_iter, epochs, lr, mx.cpu())
    cpu1, worker_cpu1 = os.times(), sampler.worker_cpu()
    sampler.stop()
    # user + system of this process, of reaped children and of the live loader workers
    cpu = sum(cpu1[:4]) - sum(cpu0[:4]) + worker_cpu1 - worker_cpu0
    examples = len(train_iter._dataset) if hasattr(train_iter, "_dataset") else \
        len(train_iter.images)
    result = {
        "row": row, "epochs": epochs, "total": total, "epoch_times": list(epoch_times),
        "examples": examples, "test_acc": test_acc, "cpu": cpu, "note": note, "lines": lines,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "children_rss_mb": sampler.peak_workers / 2**20,
        "total_rss_mb": sampler.peak_total / 2**20,
        "runtime": runtime,
    }
    print(MARK + json.dumps(result), flush=True)


# ---- parent side ---------------------------------------------------------------------------

def run_row(row, args, seed):
    env = dict(os.environ, D2LCNN_REDUCED="0", D2LCNN_PROGRESS="0", MPLBACKEND="Agg")
    env["D2LCNN_THREADS"] = "mxnet" if ROWS[row][2] == "mxnet" else "auto"
    if args.omp_threads:  # MXNet reads it once, when it is loaded: every row gets the same
        env["MXNET_OMP_MAX_THREADS"] = str(args.omp_threads)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", row, "--data", args.data,
           "--epochs", str(args.epochs), "--batch-size", str(args.batch_size),
           "--lr", str(args.lr), "--seed", str(seed)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
    raise SystemExit(f"row {row!r} failed (exit code {proc.returncode})")


def summarize(results):
    """The median over repeats of each figure of one row."""
    first = results[0]
    med = lambda key: statistics.median(r[key] for r in results)  # noqa: E731
    epochs = first["epochs"]
    return {
        "row": first["row"], "runs": len(results),
        "s_per_epoch": med("total") / epochs,
        "best_epoch": statistics.median(min(r["epoch_times"]) for r in results),
        "examples_per_sec": statistics.median(r["examples"] * epochs / r["total"]
                                              for r in results),
        "cpu_per_epoch": med("cpu") / epochs,
        "test_acc": med("test_acc"), "rss_mb": med("rss_mb"),
        "children_rss_mb": med("children_rss_mb"), "total_rss_mb": med("total_rss_mb"),
        "note": first["note"],
        "runtime": first["runtime"], "lines": first["lines"],
        "accs": [r["test_acc"] for r in results],
        "rates": [r["examples"] * epochs / r["total"] for r in results],
    }


def print_table(rows, args):
    print(f"LeNet (sigmoid), Fashion-MNIST 60,000/10,000, batch {args.batch_size}, "
          f"lr {args.lr}, {args.epochs} epochs, CPU ({os.cpu_count()} cores); median of "
          f"{rows[0]['runs']} run(s) per row (seeds {args.seed}..{args.seed + rows[0]['runs'] - 1})")
    head = (f"{'row':8} {'loop':7} {'data':7} {'runtime':8} {'s/epoch':>8} {'best':>6} {'examples/s':>11} "
            f"{'CPU s/ep':>8} {'test acc':>8} {'RSS MB':>7} {'+workers':>8}")
    print(head)
    print("-" * len(head))
    for r in rows:
        loop, loader, runtime = ROWS[r["row"]]
        workers = f"{r['total_rss_mb']:.0f}" if r["children_rss_mb"] else "-"
        print(f"{r['row']:8} {loop:7} {loader:7} {runtime:8} {r['s_per_epoch']:8.2f} {r['best_epoch']:6.2f} "
              f"{r['examples_per_sec']:11,.0f} {r['cpu_per_epoch']:8.2f} {r['test_acc']:8.3f} "
              f"{r['rss_mb']:7.0f} {workers:>8}")
    by = {r["row"]: r for r in rows}
    print()
    if "d2l" in by and "d2lcnn" in by:
        a, b = by["d2lcnn"], by["d2l"]
        print(f"d2lcnn vs d2l, each with its loader: {a['examples_per_sec'] / b['examples_per_sec']:.2f}x "
              f"examples/s, {b['cpu_per_epoch'] / a['cpu_per_epoch']:.2f}x less CPU, "
              f"test acc {100 * (a['test_acc'] - b['test_acc']):+.1f} points")
    comparisons = (  # (faster row, slower row, what the ratio shows, with CPU time?)
        ("d2lcnn", "d2l-rt", "d2lcnn vs d2l, both with d2lcnn's runtime", False),
        ("d2l-rt", "d2l", "d2lcnn's runtime alone (d2l's loop and loader)", False),
        ("d2lcnn", "loop", "loops alone (same d2lcnn iterator)", True),
        ("loader", "d2l", "loops alone (same d2l iterator)", False),
    )
    for fast, slow, what, cpu in comparisons:
        if fast in by and slow in by:
            a, b = by[fast], by[slow]
            less = (f", {b['cpu_per_epoch'] / a['cpu_per_epoch']:.2f}x less CPU" if cpu else "")
            print(f"{what}: {a['examples_per_sec'] / b['examples_per_sec']:.2f}x examples/s{less}")
    if "floor" in by:
        floor = by["floor"]["examples_per_sec"]
        if "d2lcnn" in by:
            print(f"d2lcnn runs at {by['d2lcnn']['examples_per_sec'] / floor:.0%} of the compute "
                  f"floor ({floor:,.0f} examples/s: one batch in memory, no loop)")
        if "d2l" in by:
            need = 3 * by["d2l"]["examples_per_sec"]
            print(f"3x d2l would be {need:,.0f} examples/s: {need / floor:.0%} of the floor")
    if rows[0]["runs"] > 1:
        for r in rows:
            print(f"  {r['row']}: test acc per run {', '.join(f'{a:.3f}' for a in r['accs'])}; "
                  f"examples/s per run {', '.join(f'{x:,.0f}' for x in r['rates'])}")
    for r in rows:
        if r["note"]:
            print(f"note ({r['row']}): {r['note']}")
    print("runtime of each row:")
    for r in rows:
        print(f"  {r['row']}: {r['runtime']}")
    print("closing lines printed by each loop:")
    for r in rows:
        print(f"  {r['row']}: " + " | ".join(r["lines"]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.environ.get("D2LCNN_DATA"),
                        help="folder of the four Fashion-MNIST files (default: $D2LCNN_DATA)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.9)
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per row, interleaved; the table shows medians")
    parser.add_argument("--rows", default="d2l,d2l-rt,d2lcnn,loop",
                        help=f"comma-separated rows among {', '.join(ROWS)}, or 'all'")
    parser.add_argument("--omp-threads", type=int,
                        help="OpenMP threads of MXNet's operators in every row "
                             "(MXNET_OMP_MAX_THREADS, which overrides the runtime column)")
    parser.add_argument("--json", help="also write the per-run results to this file")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the first run (weights and batch order); run i uses seed+i")
    parser.add_argument("--worker", choices=sorted(ROWS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.data:
        parser.error("give --data DIR or set D2LCNN_DATA to the folder of the Fashion-MNIST files")
    missing = [name for name in FILES if not os.path.exists(os.path.join(args.data, name))]
    if missing:
        parser.error(f"the data folder lacks {', '.join(missing)}")
    if args.worker:
        return worker(args.worker, args.data, args.epochs, args.batch_size, args.lr, args.seed)
    names = list(ROWS) if args.rows == "all" else [r.strip() for r in args.rows.split(",")]
    unknown = [n for n in names if n not in ROWS]
    if unknown:
        parser.error(f"unknown rows {unknown}; choose among {list(ROWS)}")
    runs = {name: [] for name in names}
    for i in range(args.repeat):
        for name in names:  # interleaved, so that a busy moment hits every row alike
            started = time.perf_counter()
            runs[name].append(run_row(name, args, seed=args.seed + i))
            print(f"[run {i + 1}/{args.repeat}] {name}: {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)
    print_table([summarize(runs[name]) for name in names], args)


if __name__ == "__main__":
    main()
