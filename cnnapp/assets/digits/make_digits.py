"""Make `digits.npz` from scikit-learn's copy of the UCI handwritten digits (run once; needs scikit-learn).

    python assets/digits/make_digits.py

scikit-learn is needed only here, to generate the committed file; cnnapp reads the .npz with numpy alone.
The split is stratified and seeded, so the same file comes out every time: 1,437 training and 360 test images
(20%), each class split in the same proportion.
"""

from __future__ import annotations

import io
import pathlib

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 0
TEST_SIZE = 360  # 20% of 1,797


def make(path: pathlib.Path) -> None:
    digits = load_digits()
    # The scans hold counts 0..16 (on pixels in a 4×4 block of the 32×32 bitmap); store them as 8-bit pixels.
    images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)
    labels = digits.target.astype(np.uint8)
    train_x, test_x, train_y, test_y = train_test_split(
        images, labels, test_size=TEST_SIZE, stratify=labels, random_state=SEED
    )
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, train_images=train_x, train_labels=train_y, test_images=test_x, test_labels=test_y
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(path)


if __name__ == "__main__":
    make(pathlib.Path(__file__).with_name("digits.npz"))
