"""The model zoo: the classic conv nets as Keras functional builders.

    from cnnapp import models
    model = models.build("alexnet", input_shape=(227, 227, 3), num_classes=1000)
    models.names()  # every registered architecture

Families, one module each: baselines (linear, MLP), lenet (LeNet 1989, LeNet-5), alexnet (AlexNet, ZF net),
vgg (A-E), googlenet, resnet (ImageNet and CIFAR); `build_segmenter` puts FCN heads on them (segmenter).
"""

from __future__ import annotations

from pathlib import Path

from cnnapp.errors import CnnappError
from cnnapp.models import local
from cnnapp.models.layers import register_keras3
from cnnapp.models.registry import build, get, inference_model, names, options
from cnnapp.models.segmenter import build_segmenter
from cnnapp.models.spec import Architecture

register_keras3()  # so a saved `.keras` model with our layers loads in a fresh process
local.register_keras3()

__all__ = ["Architecture", "build", "build_segmenter", "get", "inference_model", "load", "names", "options"]


def load(path: str | Path):
    """Load a saved `.keras` model (ours or any other), with cnnapp's custom layers known."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise CnnappError(f"no model file at {path}")
    if path.suffix != ".keras":
        raise CnnappError(f"{path} is not a .keras model file (save models with model.save('NAME.keras'))")
    import zipfile

    if not zipfile.is_zipfile(path):  # Keras would say "File not found" of a file that is there
        raise CnnappError(f"{path} could not be loaded as a Keras model: not a zip archive (damaged?)")
    try:
        return keras.saving.load_model(path)
    except Exception as error:  # a zip that is not a Keras archive, a truncated file, ...
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CnnappError(f"{path} could not be loaded as a Keras model: {first_line}") from None
