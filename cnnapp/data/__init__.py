"""Datasets by name and the tf.data input pipelines, with the papers' augmentations.

source = load_dataset("digits")
cfg = DataConfig(image_size=32, channels=1, resize="stretch")
train = training_pipeline(source.splits["train"], cfg, batch_size=128, seed=0, epoch=0)
test = evaluation_pipeline(source.splits["test"], cfg, batch_size=256)
"""

import importlib

# Where each name lives; imported on first use (PEP 562), so that `import cnnapp.data.config` (recipes) or
# `cnnapp data --help` does not import TensorFlow.
_HOMES = {
    "AUGMENTATIONS": "cnnapp.data.config",
    "ChannelStats": "cnnapp.data.stats",
    "ColourPCA": "cnnapp.data.stats",
    "DataConfig": "cnnapp.data.config",
    "DatasetInfo": "cnnapp.data.types",
    "IMAGENET_MEAN_RGB": "cnnapp.data.stats",
    "IMAGENET_STD_RGB": "cnnapp.data.stats",
    "RESIZE_MODES": "cnnapp.data.config",
    "Source": "cnnapp.data.types",
    "channel_stats": "cnnapp.data.stats",
    "class_names": "cnnapp.data.sources",
    "colour_pca": "cnnapp.data.stats",
    "evaluation_pipeline": "cnnapp.data.pipeline",
    "load_dataset": "cnnapp.data.sources",
    "names": "cnnapp.data.sources",
    "steps_per_epoch": "cnnapp.data.pipeline",
    "ten_crop_pipeline": "cnnapp.data.pipeline",
    "ten_crops": "cnnapp.data.augment",
    "training_pipeline": "cnnapp.data.pipeline",
}

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


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'cnnapp.data' has no attribute {name!r}")
