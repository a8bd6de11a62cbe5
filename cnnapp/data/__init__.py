"""Datasets by name and the tf.data input pipelines, with the papers' augmentations.

source = load_dataset("digits")
cfg = DataConfig(image_size=32, channels=1, resize="stretch")
train = training_pipeline(source.splits["train"], cfg, batch_size=128, seed=0, epoch=0)
test = evaluation_pipeline(source.splits["test"], cfg, batch_size=256)
"""

from cnnapp.data.augment import ten_crops
from cnnapp.data.config import AUGMENTATIONS, RESIZE_MODES, DataConfig
from cnnapp.data.pipeline import evaluation_pipeline, steps_per_epoch, ten_crop_pipeline, training_pipeline
from cnnapp.data.sources import class_names, load_dataset, names
from cnnapp.data.stats import (
    IMAGENET_MEAN_RGB,
    IMAGENET_STD_RGB,
    ChannelStats,
    ColourPCA,
    channel_stats,
    colour_pca,
)
from cnnapp.data.types import DatasetInfo, Source

__all__ = [
    "AUGMENTATIONS",
    "IMAGENET_MEAN_RGB",
    "IMAGENET_STD_RGB",
    "RESIZE_MODES",
    "ChannelStats",
    "ColourPCA",
    "DataConfig",
    "DatasetInfo",
    "Source",
    "channel_stats",
    "class_names",
    "colour_pca",
    "evaluation_pipeline",
    "load_dataset",
    "names",
    "steps_per_epoch",
    "ten_crop_pipeline",
    "ten_crops",
    "training_pipeline",
]
