"""Datasets by name and the tf.data input pipelines, with the papers' augmentations.

    source = load_dataset("digits")
    train = training_pipeline(source.splits["train"], DataConfig(image_size=32, channels=1), 128, seed=0)
"""

from cnnapp.data.config import AUGMENTATIONS, DataConfig
from cnnapp.data.sources import DatasetInfo, Source, class_names, load_dataset, names

__all__ = [
    "AUGMENTATIONS",
    "DataConfig",
    "DatasetInfo",
    "Source",
    "class_names",
    "load_dataset",
    "names",
]
