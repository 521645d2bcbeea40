"""Execute a chapter notebook in place, as the book stores it: a full run, checked.

    D2LCNN_DATA=<folder with the full Fashion-MNIST> python tools/run_chapter.py book/lenet.ipynb

Runs every cell in a fresh kernel (no time limit), then refuses to save a notebook whose outputs
hold an error, a warning, a reduced-mode run, or a path of this machine. Heavy runs on a shared
machine take a lock first, so that two full runs never compete for the cores (their timings are
part of the stored output). The notebook file is replaced atomically.
"""
import argparse
import fcntl
import os
import re
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# folders of this machine that must never show in a stored output
MACHINE_DIRS = sorted({d for d in (REPO, os.path.dirname(REPO), os.path.expanduser("~"),
                                   tempfile.gettempdir(), os.environ.get("D2LCNN_DATA"))
                       if d and len(d) > 1}, key=len, reverse=True)
PATH_RE = re.compile("|".join(re.escape(d) for d in MACHINE_DIRS))
WARN_RE = re.compile(r"(Warning:|WARNING|warnings\.warn|DeprecationWarning)")


def problems(nb):
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            text = out.get("text", "") if kind == "stream" else ""
            if kind == "error":
                found.append(f"cell {i}: error {out.get('ename')}: {out.get('evalue')}")
            if kind == "stream" and out.get("name") == "stderr":
                found.append(f"cell {i}: stderr output: {text[:200]!r}")
            for data in (out.get("data") or {}).values():
                if isinstance(data, str):
                    text += data
            if PATH_RE.search(text):
                found.append(f"cell {i}: a machine path in the output: {PATH_RE.search(text)[0]}")
            if WARN_RE.search(text):
                found.append(f"cell {i}: a warning in the output")
            if "reduced run" in text:
                found.append(f"cell {i}: this was a reduced run (unset D2LCNN_REDUCED)")
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--no-lock", action="store_true", help="do not wait for other full runs")
    ap.add_argument("--allow-dirty", action="store_true", help="save even with problems")
    args = ap.parse_args(argv)
    if os.environ.get("D2LCNN_REDUCED", "0") not in ("", "0"):
        sys.exit("run_chapter: D2LCNN_REDUCED is set; stored outputs must come from full runs")
    lock = open(os.path.join(tempfile.gettempdir(), "d2lcnn-full-run.lock"), "w")
    if not args.no_lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
    status = 0
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        start = time.time()
        NotebookClient(nb, timeout=None, kernel_name="python3",
                       resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}}
                       ).execute()
        found = problems(nb)
        print(f"{path}: executed in {time.time() - start:.0f} s")
        for p in found:
            print("  problem:", p)
        if found and not args.allow_dirty:
            status = 1
            print("  not saved")
            continue
        tmp = path + ".tmp"
        nbformat.write(nb, tmp)
        os.replace(tmp, path)
        print("  saved")
    return status


if __name__ == "__main__":
    sys.exit(main())
