"""Write `assets/<dataset>/labels.txt` from the class names bundled with tensorflow-datasets (offline).

    python assets/make_labels.py

tfds ships the names of mnist, fashion_mnist, imagenette and imagenet2012 in its package; CIFAR's names come
with the downloaded archive (batches.meta.txt, fine_label_names.txt), so `cifar10/labels.txt` and
`cifar100/labels.txt` are committed as files (see assets/README.md) and only checked here.
"""

from __future__ import annotations

import pathlib

import tensorflow_datasets as tfds

ASSETS = pathlib.Path(__file__).parent

# Imagenette's synsets in tfds order (sorted WordNet ids) with the names its tfds module's docstring gives.
IMAGENETTE = {
    "n01440764": "tench",
    "n02102040": "English springer",
    "n02979186": "cassette player",
    "n03000684": "chain saw",
    "n03028079": "church",
    "n03394916": "French horn",
    "n03417042": "garbage truck",
    "n03425413": "gas pump",
    "n03445777": "golf ball",
    "n03888257": "parachute",
}


def tfds_names(name: str) -> list[str]:
    return list(tfds.builder(name).info.features["label"].names)


def main() -> None:
    names = {
        "mnist": tfds_names("mnist"),
        "fashion_mnist": tfds_names("fashion_mnist"),
        "imagenet2012": tfds_names("imagenet2012"),  # WordNet ids: tfds ships no readable names offline
        "imagenette": [IMAGENETTE[synset] for synset in tfds_names("imagenette")],
        "digits": [str(d) for d in range(10)],
        "mnist4k": [*(str(d) for d in range(10)), "none"],  # none: the phone model's "no digit"
    }
    for dataset, labels in names.items():
        (ASSETS / dataset).mkdir(exist_ok=True)
        (ASSETS / dataset / "labels.txt").write_text("\n".join(labels) + "\n")
    for dataset, count in (("cifar10", 10), ("cifar100", 100)):
        labels = (ASSETS / dataset / "labels.txt").read_text().split()
        assert len(labels) == count == tfds.builder(dataset).info.features["label"].num_classes, dataset


if __name__ == "__main__":
    main()
