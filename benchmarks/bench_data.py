"""Fashion-MNIST loading: d2lcnn's loader against d2l's, on the same files, on the CPU.

    python benchmarks/bench_data.py [--data FOLDER] [--batch-size 256] [--sizes 28 96 224]
        [--repeat 3]

For each resize and each loader, a fresh subprocess (so that memory is measured separately and
nothing is decoded beforehand), --repeat times, interleaved (d2l, d2lcnn, d2l, d2lcnn, ...: a
busy moment on a shared machine hits both), times:
  first batch  from calling load_data_fashion_mnist to the first training batch computed
               (decoding the files included, imports excluded);
  epoch        one full pass over the training set, every batch forced to be computed
               (``wait_to_read`` on X and y: MXNet is asynchronous, so without it only the
               launching of the work would be timed);
and the peak memory, sampled from the parent every 50 ms: the RSS of the process plus the
private memory of its children (d2l's forked workers share their parent's pages, which are
counted once); where /proc is missing, the main process's ``ru_maxrss``.

d2l's loader normally downloads into its own folder and checks MXNet's sha1 of the official
files. To make it read the same files as ours, the benchmark replaces the ``download`` function
that ``mxnet.gluon.data.vision.datasets`` calls by one that returns the file in --data; nothing
else of d2l changes (its 4 worker processes included).

The table shows the median of each figure over the repeats; the speed-up is the median of
the per-repeat ratios (the two runs of one repeat ran back to back), with its range.

The data folder is --data, else D2LCNN_DATA, else the repository's subset (say which in a
report: the subset has 6,000 training images, not 60,000).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SUBSET = REPO / "d2lcnn" / "_data" / "fashion-mnist-subset"  # d2lcnn.config.SUBSET_DIR
LOADERS = ("d2l", "d2lcnn")


def _smaps_kb(pid):
    """{field: kB} of /proc/<pid>/smaps_rollup (Rss, Private_Clean, ...); {} if unreadable."""
    fields = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3 and parts[2] == "kB":
                    fields[parts[0].rstrip(":")] = int(parts[1])
    except OSError:
        pass
    return fields


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(p) for p in f.read().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


def _tree_kb(pid):
    """RSS of the process plus the private memory of its children (d2l's forked workers).

    Workers share their parent's pages (copy-on-write) and the libraries: counting their full
    RSS would count those pages again for each worker; their private pages are what they add.
    """
    total = _smaps_kb(pid).get("Rss", 0)
    for child in _children(pid):
        fields = _smaps_kb(child)
        total += fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return total


def _patch_d2l_download(folder):
    """Let gluon's FashionMNIST (d2l's source) read the files of ``folder``, unverified."""
    from mxnet.gluon.data.vision import datasets

    def local(url, path=None, overwrite=False, sha1_hash=None, **kwargs):
        name = url.rsplit("/", 1)[-1]
        found = folder / name
        if not found.is_file():
            raise FileNotFoundError(f"{found}: d2l's loader needs the gzipped files")
        return str(found)

    datasets.download = local


def worker(loader, folder, batch_size, size):
    """Measure one loader at one size; print the figures as a JSON line."""
    import resource

    from mxnet import npx
    npx.set_np()
    if loader == "d2l":
        from d2l import mxnet as d2l
        _patch_d2l_download(folder)
        load = d2l.load_data_fashion_mnist
        kwargs = {}
    else:
        import d2lcnn.data
        load = d2lcnn.data.load_data_fashion_mnist
        kwargs = {"root": folder}
    resize = None if size == 28 else size

    start = time.perf_counter()
    train_iter, _ = load(batch_size, resize, **kwargs)
    X, y = next(iter(train_iter))
    X.wait_to_read()
    y.wait_to_read()
    first = time.perf_counter() - start
    shape = tuple(X.shape)

    images = 0
    start = time.perf_counter()
    for X, y in train_iter:
        X.wait_to_read()
        y.wait_to_read()
        images += X.shape[0]
    epoch = time.perf_counter() - start
    print("RESULT " + json.dumps({"loader": loader, "size": size, "first_batch_s": first,
                                  "epoch_s": epoch, "images": images, "shape": shape,
                                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                  / 1024}), flush=True)


def run(loader, folder, batch_size, size):
    """Run one measurement in a subprocess, sampling its memory from here (every 50 ms).

    Sampling from outside leaves the measured process as it is (a sampling thread inside it
    changed its own allocation pattern). See _tree_kb for what is counted.
    """
    cmd = [sys.executable, __file__, "--worker", loader, "--data", str(folder),
           "--batch-size", str(batch_size), "--sizes", str(size)]
    env = dict(os.environ, D2LCNN_REDUCED="0", PYTHONPATH=str(REPO))
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, env=env)
        peak_kb = 0
        while child.poll() is None:
            peak_kb = max(peak_kb, _tree_kb(child.pid))
            time.sleep(0.05)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            # without /proc (not Linux), the main process's own peak is all there is
            result["peak_mb"] = peak_kb / 1024 if peak_kb else result["maxrss_mb"]
            return result
    raise SystemExit(f"{loader} at {size} failed (exit {child.returncode}):\n{stdout}\n{stderr}")


def _load():
    """The load average, to read the figures by: other work on the machine slows both loaders."""
    try:
        return "; load average %.1f %.1f %.1f" % os.getloadavg()
    except (AttributeError, OSError):
        return ""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None,
                        help="folder with the four files (default: D2LCNN_DATA, else the subset)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--sizes", type=int, nargs="+", default=[28, 96, 224])
    parser.add_argument("--loaders", nargs="+", choices=LOADERS, default=list(LOADERS))
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per loader and size, interleaved; the table shows medians")
    parser.add_argument("--worker", choices=LOADERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")

    folder = args.data or (Path(os.environ["D2LCNN_DATA"]) if os.environ.get("D2LCNN_DATA")
                           else SUBSET)
    folder = folder.expanduser().resolve()
    if args.worker:
        return worker(args.worker, folder, args.batch_size, args.sizes[0])

    label = ("packaged subset" if folder == SUBSET else
             "--data" if args.data else "D2LCNN_DATA")
    print(f"data: {label}; batch {args.batch_size}; CPU, {os.cpu_count()} cores "
          f"(shared with whatever else runs: figures vary){_load()}; median of {args.repeat} "
          f"interleaved run(s)")
    header = (f"{'resize':>6} {'loader':>7} {'first batch s':>13} {'epoch s':>8} "
              f"{'images/s':>9} {'peak MB':>8} {'main RSS':>8} {'speed-up':>18} {'memory':>7}")
    print(header)
    print("-" * len(header))
    for size in args.sizes:
        runs = {name: [] for name in args.loaders}
        for _ in range(args.repeat):
            for name in args.loaders:
                runs[name].append(run(name, folder, args.batch_size, size))
        for name, results in runs.items():
            print(row(size, name, results, runs.get("d2l") if name != "d2l" else None),
                  flush=True)
    print(f"peak MB: RSS + workers' private memory (sampled); main RSS: the main process's peak "
          f"RSS;\nspeed-up: images/s over d2l's, median [range] of the per-repeat ratios; "
          f"memory: peak MB over d2l's (medians){_load()}")


def _median(results, key):
    return statistics.median(r[key] for r in results)


def row(size, name, results, reference=None):
    """One line of the table: medians over the repeats, ratios to d2l's runs."""
    rates = [r["images"] / r["epoch_s"] for r in results]
    ratio = memory = ""
    if reference:
        ratios = sorted(a / (b["images"] / b["epoch_s"]) for a, b in zip(rates, reference))
        ratio = f"{statistics.median(ratios):.1f}x"
        if len(ratios) > 1:
            ratio += f" [{ratios[0]:.1f}, {ratios[-1]:.1f}]"
        memory = f"{_median(results, 'peak_mb') / _median(reference, 'peak_mb'):.2f}x"
    return (f"{size:>6} {name:>7} {_median(results, 'first_batch_s'):>13.2f} "
            f"{_median(results, 'epoch_s'):>8.2f} {statistics.median(rates):>9,.0f} "
            f"{_median(results, 'peak_mb'):>8,.0f} {_median(results, 'maxrss_mb'):>8,.0f} "
            f"{ratio:>18} {memory:>7}")


if __name__ == "__main__":
    main()
