"""Fast tier: a user's folder of images and palette masks — read, split, and its errors naming the
file and the fix."""

import numpy as np
import pytest
from PIL import Image

from cnnapp.errors import CnnappError
from cnnapp.segmentation import sources


def _folder(root, count=5, classes=("background", "cat", "dog")):
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "classes.txt").write_text("\n".join(classes) + "\n")
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (12, 10, 3), dtype=np.uint8)).save(root / "images" / f"p{i}.jpg")
        mask = Image.fromarray(np.full((12, 10), i % 3, np.uint8), mode="P")
        mask.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [224, 224, 192] * 253)  # VOC style: 255 = void
        mask.save(root / "masks" / f"p{i}.png")
    return root


def test_mask_folder_reads_palette_indices_and_splits_every_fifth(tmp_path):
    root = _folder(tmp_path / "seg")
    source = sources.load_segmentation(f"folder:{root}")
    assert source.info.class_names == ("background", "cat", "dog")
    assert dict(source.info.split_sizes) == {"train": 4, "test": 1}
    image, mask = next(iter(source.splits["test"]))  # p4: label 4 % 3 = 1 in palette index, not colour
    assert image.shape == (12, 10, 3) and np.all(mask.numpy() == 1)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda root: (root / "masks" / "p2.png").unlink(), "no mask for .*p2.jpg: expected .*masks/p2.png"),
        (
            lambda root: Image.fromarray(np.zeros((5, 5), np.uint8)).save(root / "masks" / "p1.png"),
            "mask .*p1.png is 5×5 but its image is 10×12",
        ),
        (
            lambda root: Image.fromarray(np.full((12, 10), 9, np.uint8)).save(root / "masks" / "p0.png"),
            "mask .*p0.png has label 9 outside the 3 classes",
        ),
    ],
    ids=["missing-mask", "size-mismatch", "label-outside-classes"],
)
def test_mask_folder_errors_name_the_file_and_the_fix(tmp_path, damage, message):
    root = _folder(tmp_path / "seg")
    damage(root)
    with pytest.raises(CnnappError, match=message) as error:
        sources.load_segmentation(f"folder:{root}")
    assert "\n" not in str(error.value)
