"""Execute a chapter notebook in place, as the book stores it: a full run, checked.

    D2LCNN_DATA=<folder with the full Fashion-MNIST> python tools/run_chapter.py book/lenet.ipynb

Runs the notebooks in book order, every cell in a fresh kernel (no time limit), then refuses to
save a notebook whose outputs hold an error, a warning, a reduced-mode run, or a path of this
machine. Heavy runs on a shared machine take a lock first, so that two full runs never compete
for the cores (their timings are part of the stored output). The notebook file is replaced
atomically. Later chapters show earlier chapters' results: after a chapter's run, the tool names
the notebooks whose stored tables it made stale (tests/test_book.py checks them).
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


def book_order():
    """The notebooks of the book in _toc.yml's order (a chapter's "Going further" sub-pages
    right after it), as paths relative to the repo."""
    import yaml
    with open(os.path.join(REPO, "_toc.yml")) as f:
        toc = yaml.safe_load(f)
    files = [toc["root"]] + [f for part in toc.get("parts", []) for c in part["chapters"]
                             for f in [c["file"]] + [s["file"] for s in c.get("sections", [])]]
    return [f + ".ipynb" for f in files if os.path.exists(os.path.join(REPO, f + ".ipynb"))]


def relative(path):
    return os.path.relpath(os.path.abspath(path), REPO)


def in_book_order(paths):
    """`paths` sorted as the book orders them (later chapters show earlier ones' results);
    notebooks outside the book keep their place at the end."""
    order = book_order()
    return sorted(paths, key=lambda p: order.index(relative(p)) if relative(p) in order
                  else len(order))


def readers_after(path):
    """The notebooks after `path` in book order that show stored results (`load_results`): a
    full run of `path` changes its results file, so their stored tables go stale."""
    order = book_order()
    rel = relative(path)
    if rel not in order:
        return []
    later = order[order.index(rel) + 1:]
    return [nb for nb in later
            if "load_results" in open(os.path.join(REPO, nb), encoding="utf-8").read()]


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
    notebooks = in_book_order(args.notebooks)
    for path in notebooks:
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
        if "save_results" in "".join(c.source for c in nb.cells if c.cell_type == "code"):
            queued = {relative(p) for p in notebooks[notebooks.index(path) + 1:]}
            stale = [later for later in readers_after(path) if later not in queued]
            if stale:
                print("  its results file changed; these show it and need a full run too, in "
                      "this order:\n    " + " ".join(stale))
    return status


if __name__ == "__main__":
    sys.exit(main())
