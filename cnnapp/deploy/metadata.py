"""TFLite metadata for every export: what MediaPipe Tasks' ImageClassifier (and any SDK) reads from the file.

    content = with_metadata(content, Info(name=..., labels=names, ...))
    read_metadata(content)  # {"name", "labels", "mean", "std", "colorspace", ...} or None

Written with MediaPipe's maintained writer (`mediapipe.tasks.python.metadata.metadata_writers`, the general
`MetadataWriter`, since the image-classifier one fixes name and description): name, description, version,
author and licence; the input as an RGB image; NormalizationOptions mean 0 / std 1 for a float input (the
model normalizes inside: writing the run's mean and std would normalize twice; uint8 inputs get none, as the
schema says); and the labels as an embedded TENSOR_AXIS_LABELS file on the output.
"""

from __future__ import annotations

import dataclasses
import json

from cnnapp import compat
from cnnapp.errors import CnnappError

# What the embedded labels file is called inside the .tflite (a zip appended to the flatbuffer).
LABELS_FILE = "labels.txt"
CNNAPP_VERSION = "0.1.0"  # pyproject.toml's
# The licence a model inherits from its training data, by dataset name.
DATA_LICENCES = {
    "digits": "Trained on the UCI ML Optical Recognition of Handwritten Digits (Alpaydin & Kaynak 1998, "
    "https://doi.org/10.24432/C50P49), CC BY 4.0: attribute when you ship it.",
    "mnist4k": "Trained on 4,000 digits of the MNIST database (Y. LeCun, C. Cortes, C. J. C. Burges), "
    "CC BY-SA 3.0: credit MNIST where the model is shown; its 'none' examples are made by cnnapp.",
}


def licence(dataset: str) -> str:
    """The licence line of a model trained on `dataset`."""
    if dataset in DATA_LICENCES:
        return DATA_LICENCES[dataset]
    return f"Trained on {dataset or 'unnamed data'}: the data's licence applies to the model."


@dataclasses.dataclass(frozen=True)
class Info:
    """The model facts written into the file.

    Attributes:
        name: the model's name ("lenet5-digits").
        description: what it does and what it takes.
        version: which export of which run ("int8, cnnapp 0.1.0").
        author: who made it.
        licence: the licence of the model (and the data it was trained on).
        labels: one class name per output, in output order.
    """

    name: str
    description: str
    version: str
    author: str
    licence: str
    labels: tuple[str, ...]


def _writer_module():
    from cnnapp.deploy import mediapipe_compat

    mediapipe_compat.install()  # the writer imports a native helper the 1.x wheels lack
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_info, metadata_writer

    return metadata_writer, metadata_info


def with_metadata(content: bytes, info: Info, segmenter: bool = False) -> bytes:
    """`content` (a one-input image classifier) with `info` written into its metadata.

    With `segmenter`, the output is described as MediaPipe's ImageSegmenter reads it (what its
    `metadata_writers.image_segmenter` writes): per-pixel class probabilities (H×W×classes, softmax already
    applied: activation NONE) with the labels embedded, instead of a classification output.

    Raises:
        CnnappError: the label count differs from the model's outputs (nothing is written).
    """
    from cnnapp.deploy.runtime import LiteModel

    lite = LiteModel(content)
    outputs = int(lite.output_detail["shape"][-1])
    if len(info.labels) != outputs:
        raise CnnappError(
            f"{len(info.labels)} class names for a model with {outputs} outputs: give one name per output "
            "(the run's class_names, or labels.txt beside a bare model)"
        )
    if any(not name or "\n" in name for name in info.labels):
        raise CnnappError("class names must be non-empty single lines: fix the run's class_names")
    writer_module, info_module = _writer_module()
    writer = writer_module.MetadataWriter.create(bytearray(content))
    compat.set_general_metadata(
        writer,
        info_module.GeneralMd(
            name=info.name,
            version=info.version,
            description=info.description,
            author=info.author,
            licenses=info.licence,
        ),
    )
    float_input = lite.input_dtype.kind == "f"
    height, width, channels = lite.input_shape
    colour = "RGB" if channels == 3 else "GRAYSCALE"  # a native grey export (--input-channels native)
    writer.add_image_input(
        norm_mean=[0.0] if float_input else None,
        norm_std=[1.0] if float_input else None,
        color_space_type=getattr(writer.color_space_types, colour),
        description=f"{colour} image, {height}×{width}, raw pixels 0–255 (normalization is inside the model)",
    )
    labels = writer_module.Labels().add(list(info.labels), exported_filename=LABELS_FILE)
    if segmenter:
        from mediapipe.tasks.python.metadata.metadata_writers import image_segmenter

        writer.add_custom_metadata(image_segmenter.ImageSegmenterOptionsMd(image_segmenter.Activation.NONE))
        description = "Per-pixel probabilities of the classes in labels.txt."
        writer.add_segmentation_output(labels, description=description)
    else:
        writer.add_classification_output(labels, description="Probabilities of the classes in labels.txt.")
    tflite, _ = writer.populate()
    compat.close_metadata_writer(writer)
    writer = None
    return bytes(tflite)


def read_metadata(content: bytes) -> dict | None:
    """The metadata of `content` as a dict (labels, normalization, name, ...), or None if it has none."""
    _writer_module()
    from mediapipe.tasks.python.metadata import metadata

    try:
        displayer = metadata.MetadataDisplayer.with_model_buffer(bytearray(content))
    except ValueError:  # "The model does not have metadata."
        return None
    data = json.loads(displayer.get_metadata_json())
    graph = data["subgraph_metadata"][0]
    image = graph["input_tensor_metadata"][0]
    norm = next(
        (
            u["options"]
            for u in image.get("process_units", [])
            if u.get("options_type") == "NormalizationOptions"
        ),
        None,
    )
    output = graph["output_tensor_metadata"][0]
    label_file = next(
        (f["name"] for f in output.get("associated_files", []) if f.get("type") == "TENSOR_AXIS_LABELS"), None
    )
    labels = ()
    if label_file is not None:
        text = displayer.get_associated_file_buffer(label_file).decode("utf-8")
        labels = tuple(line for line in text.splitlines() if line)
    return {
        "name": data.get("name"),
        "description": data.get("description"),
        "version": data.get("version"),
        "author": data.get("author"),
        "license": data.get("license"),
        "min_parser_version": data.get("min_parser_version"),
        "colorspace": image.get("content", {}).get("content_properties", {}).get("color_space"),
        "mean": norm["mean"] if norm else None,
        "std": norm["std"] if norm else None,
        "labels": labels,
        "label_file": label_file,
    }
