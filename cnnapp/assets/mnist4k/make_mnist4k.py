"""Make `mnist4k.npz` from the project's copy of 4,000 real MNIST digits (run once; numpy only).

    python cnnapp/assets/mnist4k/make_mnist4k.py [SOURCE.npz]

SOURCE defaults to ../shared/data/mnist-4k/mnist-4k.npz beside the checkout; its sha256 is checked first, so
the committed file comes only from that exact sample (no other copy of MNIST enters the project). The split is
stratified and seeded: 3,200 training and 800 validation digits (80 of each class), the same file every time.
"""

from __future__ import annotations

import hashlib
import io
import pathlib
import sys

import numpy as np

# The checkout's sibling folder shared/ (this file is CHECKOUT/cnnapp/assets/mnist4k/make_mnist4k.py).
SOURCE = pathlib.Path(__file__).resolve().parents[4] / "shared" / "data" / "mnist-4k" / "mnist-4k.npz"
SHA256 = "be0f6b344b0c0339d5cd7efaf4bca20472c98cf5c19d76d2f3223b14ca72351c"
SEED = 0
VALIDATION_SIZE = 800  # 20% of 4,000: 80 per class, enough to see a tenth of a point move


def stratified_sample(labels: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Sorted indices of `size` examples, the same share of every class, chosen by `seed`."""
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    per_class = size // len(classes)
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in classes]
    return np.sort(np.concatenate(chosen))


def make(source: pathlib.Path, path: pathlib.Path) -> None:
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SystemExit(
            f"{source} has sha256 {digest}, not the documented {SHA256}: not the mnist-4k sample"
        )
    with np.load(source) as data:
        images, labels = data["images"].astype(np.uint8), data["labels"].astype(np.uint8)
    val = stratified_sample(labels, VALIDATION_SIZE, SEED)
    train = np.setdiff1d(np.arange(len(labels)), val)
    train_x, train_y, val_x, val_y = images[train], labels[train], images[val], labels[val]
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        train_images=train_x,
        train_labels=train_y,
        validation_images=val_x,
        validation_labels=val_y,
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(path)


if __name__ == "__main__":
    source = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    make(source, pathlib.Path(__file__).with_name("mnist4k.npz"))
