"""Build the repository's Fashion-MNIST subset from a folder that holds the full set.

    python data/make_subset.py FULL_SET_FOLDER [--out d2lcnn/_data/fashion-mnist-subset]

Class-balanced and deterministic: for each class, 600 training and 100 test images drawn
with a fixed seed from the full set's own training and test splits, then shuffled so that the
classes are interleaved as in the official files. Written in the official IDX gz format with a
zero gzip timestamp, so the same input gives the same bytes. Prints the sha256 and size of each
file, which d2lcnn/_data/README.md records, and writes them to SHA256SUMS beside the files.

Needs only numpy and d2lcnn.idx (no MXNet).
"""
import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a clone without installing the package

from d2lcnn import idx  # noqa: E402

SEED = 20171027          # fixed: the subset must not change between runs
PER_CLASS = {"train": 600, "test": 100}


def pick(labels, per_class, rng):
    """Indices of ``per_class`` images of each class, in a shuffled (interleaved) order."""
    chosen = []
    for cls in range(idx.NUM_CLASSES):
        members = np.flatnonzero(labels == cls)
        if len(members) < per_class:
            raise SystemExit(f"class {cls} has only {len(members)} images, {per_class} needed")
        chosen.append(rng.choice(members, per_class, replace=False))
    return rng.permutation(np.concatenate(chosen))


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("full_set", type=Path, help="folder with the four Fashion-MNIST files")
    parser.add_argument("--out", type=Path,
                        default=HERE.parent / "d2lcnn" / "_data" / "fashion-mnist-subset",
                        help="output folder (default: d2lcnn/_data/fashion-mnist-subset, "
                             "the packaged subset)")
    args = parser.parse_args(argv)

    full = idx.read_fashion_mnist(args.full_set)   # checked: a bad source fails here
    rng = np.random.default_rng(SEED)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for split, (images_name, labels_name) in idx.FILES.items():
        images, labels = full[split]
        chosen = pick(labels, PER_CLASS[split], rng)
        for name, array in ((images_name, images[chosen]),
                            (labels_name, labels[chosen].astype(np.uint8))):
            path = args.out / name
            idx.write_idx(path, array)
            rows.append((name, sha256(path), path.stat().st_size, array.shape))
    source = [(name, sha256(path)) for name, path in zip(idx.ALL_FILES,
                                                         idx.dataset_files(args.full_set))]

    (args.out / "SHA256SUMS").write_text("".join(f"{digest}  {name}\n"
                                                 for name, digest, _, _ in rows))
    print("| file | content | bytes | sha256 |\n|---|---|---|---|")
    for name, digest, size, shape in rows:
        content = " x ".join(f"{d:,}" for d in shape) + " uint8"
        print(f"| {name} | {content} | {size:,} | {digest} |")
    print("\nsource files (sha256):")
    for name, digest in source:
        print(f"  {name}  {digest}")


if __name__ == "__main__":
    main()
