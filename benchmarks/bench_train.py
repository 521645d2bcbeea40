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
  compute  no loop, no loader: forward, backward and update of the first epoch's batches,
           made once and held in memory, every epoch (d2lcnn's runtime): MXNet's own work.
           Not a floor: the d2lcnn row has run as fast (within the noise), so a loop cannot
           be shown to cost anything on top of it.
  threaded d2lcnn's loop and loader with d2lcnn's threads but MXNet's threaded engine
           (MXNET_ENGINE_TYPE=ThreadedEnginePerDevice): what the serial engine is worth
  passive  the d2lcnn row with OMP_WAIT_POLICY=passive: OpenMP threads sleep at once instead of
           spinning when they wait (on a machine shared with other work, a spinning thread can
           hold a core its partner needs)

Columns: wall seconds per epoch (the whole train_ch6 call over the epochs: data, training,
evaluation, d2l's plotting), the best epoch, examples/sec over whole epochs, examples/sec as
d2l's train_ch6 prints it (its timer: time in training batches only), CPU seconds per
epoch of the process and its loader workers (less sensitive to other work on the machine than
wall time), final test accuracy, peak RSS of the process, and of the process plus its loader
worker processes (sampled) when it has some.

Data: --data DIR or the D2LCNN_DATA environment variable (the four IDX files). d2l's loader
checks MXNet's mirror checksums; the same files are given to it with their own checksums, so
both loops read the same images. Usage:

    python benchmarks/bench_train.py --data DIR [--epochs 10] [--repeat 3] [--rows all]

Repeats are interleaved (run 1 of every row, then run 2, ...); the table gives medians, and
each ratio is computed run by run within a repeat (rows that ran back to back met about the
same load on a shared machine), then summarised as median [min, max].
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
    "compute": ("compute", "memory", "d2lcnn"),
    "threaded": ("d2lcnn", "d2lcnn", "threaded"),
    "passive": ("d2lcnn", "d2lcnn", "passive"),
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
    return total, times, marks[-1][1], lines[-2:], d2l_printed_rate(lines[-1])


def d2l_printed_rate(line):
    """The examples/sec a closing line prints ("9767.3 examples/sec on ...")."""
    return float(line.split(" examples/sec")[0].split()[-1].replace(",", ""))


def run_compute(net, train_iter, test_iter, epochs, lr, device):
    """MXNet's work alone: the first epoch's batches made once and kept in memory, then
    forward, backward and SGD update of each, hybridized with static memory as train_ch6 does;
    no loader, no metrics, no evaluation. The same batches every epoch (in the first epoch's
    order), so the arithmetic is that of real data (one batch repeated, as this row did
    before, trains on a single batch 2,350 times)."""
    import mxnet as mx
    from mxnet import autograd, gluon
    net.initialize(mx.init.Xavier(), ctx=device)
    net.hybridize(static_alloc=True, static_shape=True)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    loss.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": lr})
    batches = [(X.copy(), y.copy()) for X, y in train_iter]
    mx.nd.waitall()
    times = []
    start = time.perf_counter()
    for _ in range(epochs):
        began = time.perf_counter()
        for X, y in batches:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(X.shape[0])
        mx.nd.waitall()
        times.append(time.perf_counter() - began)
    total = time.perf_counter() - start
    examples = sum(int(X.shape[0]) for X, _ in batches) * epochs
    return (total, times, float("nan"),
            [f"{examples / total:.1f} examples/sec (batches in memory, no loop)"],
            examples / total)


def run_d2lcnn_loop(net, train_iter, test_iter, epochs, lr, device):
    import d2lcnn.train
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        history = d2lcnn.train.train_ch6(net, train_iter, test_iter, epochs, lr, device,
                                         progress=False)
    total = time.perf_counter() - start
    lines = out.getvalue().strip().splitlines()
    return total, history.seconds, history.test_acc[-1], lines, d2l_printed_rate(lines[-1])


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
    run = {"d2l": run_d2l_loop, "d2lcnn": run_d2lcnn_loop, "compute": run_compute}[loop]
    sampler = Sampler()
    cpu0, worker_cpu0 = os.times(), sampler.worker_cpu()
    total, epoch_times, test_acc, lines, d2l_rate = run(net, train_iter, test_iter, epochs, lr,
                                                        mx.cpu())
    cpu1, worker_cpu1 = os.times(), sampler.worker_cpu()
    sampler.stop()
    # user + system of this process, of reaped children and of the live loader workers
    cpu = sum(cpu1[:4]) - sum(cpu0[:4]) + worker_cpu1 - worker_cpu0
    examples = len(train_iter._dataset) if hasattr(train_iter, "_dataset") else \
        len(train_iter.images)
    result = {
        "row": row, "epochs": epochs, "total": total, "epoch_times": list(epoch_times),
        "examples": examples, "test_acc": test_acc, "cpu": cpu, "note": note, "lines": lines,
        "d2l_rate": d2l_rate,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "children_rss_mb": sampler.peak_workers / 2**20,
        "total_rss_mb": sampler.peak_total / 2**20,
        "runtime": runtime,
    }
    print(MARK + json.dumps(result), flush=True)


# ---- parent side ---------------------------------------------------------------------------

def run_row(row, args, seed):
    env = dict(os.environ, D2LCNN_REDUCED="0", D2LCNN_PROGRESS="0", MPLBACKEND="Agg")
    runtime = ROWS[row][2]
    env["D2LCNN_THREADS"] = "mxnet" if runtime == "mxnet" else "auto"
    env.pop("MXNET_ENGINE_TYPE", None)
    env.pop("OMP_WAIT_POLICY", None)
    if runtime == "threaded":  # d2lcnn's threads, MXNet's own (threaded) engine
        env["MXNET_ENGINE_TYPE"] = "ThreadedEnginePerDevice"
    if runtime == "passive":
        env["OMP_WAIT_POLICY"] = "passive"
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


def rate(run):
    """Examples per second over the whole train_ch6 call (data, training, evaluation)."""
    return run["examples"] * run["epochs"] / run["total"]


def spread(values, fmt):
    """'median [min, max]' of `values`."""
    values = sorted(values)
    med = statistics.median(values)
    if len(values) == 1:
        return format(med, fmt)
    return f"{format(med, fmt)} [{format(values[0], fmt)}, {format(values[-1], fmt)}]"


def summarize(results):
    """The median over repeats of each figure of one row."""
    first = results[0]
    med = lambda key: statistics.median(r[key] for r in results)  # noqa: E731
    epochs = first["epochs"]
    return {
        "row": first["row"], "runs": len(results),
        "s_per_epoch": med("total") / epochs,
        "best_epoch": statistics.median(min(r["epoch_times"]) for r in results),
        "examples_per_sec": statistics.median(rate(r) for r in results),
        "d2l_examples_per_sec": med("d2l_rate"),
        "cpu_per_epoch": med("cpu") / epochs,
        "test_acc": med("test_acc"), "rss_mb": med("rss_mb"),
        "children_rss_mb": med("children_rss_mb"), "total_rss_mb": med("total_rss_mb"),
        "note": first["note"],
        "runtime": first["runtime"], "lines": first["lines"],
        "accs": [r["test_acc"] for r in results],
        "rates": [rate(r) for r in results],
        "d2l_rates": [r["d2l_rate"] for r in results],
    }


def paired_ratios(fast, slow, key=rate):
    """key(fast run i) / key(slow run i) for each repeat i: runs of one repeat ran one after
    the other (interleaved), so they met about the same load on a shared machine."""
    return [key(a) / key(b) for a, b in zip(fast, slow)]


COMPARISONS = (  # (faster row, slower row, what the ratio shows)
    ("d2lcnn", "d2l", "d2lcnn vs d2l, each with its loader and runtime"),
    ("d2lcnn", "d2l-rt", "d2lcnn vs d2l, both with d2lcnn's runtime"),
    ("d2l-rt", "d2l", "d2lcnn's runtime alone (d2l's loop and loader)"),
    ("d2lcnn", "loop", "loops alone (same d2lcnn iterator)"),
    ("loader", "d2l-rt", "loops alone (same d2l iterator, d2lcnn's runtime)"),
    ("d2lcnn", "threaded", "serial vs threaded engine (d2lcnn's loop and loader, 2 threads)"),
    ("passive", "d2lcnn", "OpenMP threads that sleep vs spin when waiting (d2lcnn's runtime)"),
    ("d2lcnn", "compute", "d2lcnn's whole loop vs compute alone (batches in memory)"),
)


def print_table(rows, args, runs=None):
    print(f"LeNet (sigmoid), Fashion-MNIST 60,000/10,000, batch {args.batch_size}, "
          f"lr {args.lr}, {args.epochs} epochs, CPU ({os.cpu_count()} cores); median of "
          f"{rows[0]['runs']} run(s) per row (seeds {args.seed}..{args.seed + rows[0]['runs'] - 1})"
          f"{_load()}")
    head = (f"{'row':9} {'loop':7} {'data':7} {'runtime':8} {'s/epoch':>8} {'best':>6} "
            f"{'examples/s':>11} {'d2l timer':>10} {'CPU s/ep':>8} {'test acc':>8} "
            f"{'RSS MB':>7} {'+workers':>8}")
    print(head)
    print("-" * len(head))
    for r in rows:
        loop, loader, runtime = ROWS[r["row"]]
        workers = f"{r['total_rss_mb']:.0f}" if r["children_rss_mb"] else "-"
        print(f"{r['row']:9} {loop:7} {loader:7} {runtime:8} {r['s_per_epoch']:8.2f} "
              f"{r['best_epoch']:6.2f} {r['examples_per_sec']:11,.0f} "
              f"{r['d2l_examples_per_sec']:10,.0f} {r['cpu_per_epoch']:8.2f} "
              f"{r['test_acc']:8.3f} {r['rss_mb']:7.0f} {workers:>8}")
    print("examples/s: over whole train_ch6 calls (data, training, evaluation); d2l timer: as "
          "d2l's train_ch6 prints it (time in training batches only)")
    by = {r["row"]: r for r in rows}
    if runs is None:  # medians only (no per-run data): ratios of the medians
        runs = {r["row"]: [{"examples": r["examples_per_sec"], "epochs": 1, "total": 1.0,
                            "d2l_rate": r["d2l_examples_per_sec"], "cpu": r["cpu_per_epoch"],
                            "test_acc": r["test_acc"]}] for r in rows}
    print()
    print("ratios of examples/s, run by run (interleaved repeats; median [min, max]):")
    for fast, slow, what in COMPARISONS:
        if fast in runs and slow in runs:
            whole = paired_ratios(runs[fast], runs[slow])
            timer = paired_ratios(runs[fast], runs[slow], key=lambda run: run["d2l_rate"])
            less_cpu = paired_ratios(runs[slow], runs[fast], key=lambda run: run["cpu"])
            print(f"  {what}: {spread(whole, '.2f')}x whole runs, {spread(timer, '.2f')}x "
                  f"d2l's timer, {spread(less_cpu, '.2f')}x less CPU")
    if "d2lcnn" in runs and "d2l" in runs:
        gaps = [100 * (a["test_acc"] - b["test_acc"]) for a, b in zip(runs["d2lcnn"], runs["d2l"])]
        print(f"  test accuracy, d2lcnn - d2l: {spread(gaps, '+.1f')} points (same seed each)")
    if rows[0]["runs"] > 1:
        for r in rows:
            print(f"  {r['row']}: test acc per run {', '.join(f'{a:.3f}' for a in r['accs'])}; "
                  f"examples/s per run {', '.join(f'{x:,.0f}' for x in r['rates'])}; "
                  f"d2l timer {', '.join(f'{x:,.0f}' for x in r['d2l_rates'])}")
    for r in rows:
        if r["note"]:
            print(f"note ({r['row']}): {r['note']}")
    print("runtime of each row:")
    for r in rows:
        print(f"  {r['row']}: {r['runtime']}")
    print("closing lines printed by each loop:")
    for r in rows:
        print(f"  {r['row']}: " + " | ".join(r["lines"]))


def _load():
    """The load average: on a shared machine, other work slows every row."""
    try:
        return "; load average %.1f %.1f %.1f" % os.getloadavg()
    except (AttributeError, OSError):
        return ""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.environ.get("D2LCNN_DATA"),
                        help="folder of the four Fashion-MNIST files (default: $D2LCNN_DATA)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.9)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per row, interleaved (run 1 of every row, then run 2...); "
                             "the table shows medians, the ratios pair the runs of a repeat")
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
    if args.repeat < 1 or args.epochs < 1:
        parser.error("--repeat and --epochs must be 1 or more")
    if args.worker:
        return worker(args.worker, args.data, args.epochs, args.batch_size, args.lr, args.seed)
    names = list(ROWS) if args.rows == "all" else [r.strip() for r in args.rows.split(",")]
    if "floor" in names:
        parser.error("the 'floor' row is now called 'compute' (it is not a floor: the whole "
                     "loop ran as fast); use --rows ...,compute")
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
    print_table([summarize(runs[name]) for name in names], args, runs)


if __name__ == "__main__":
    main()
