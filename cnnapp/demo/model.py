"""What the demo page needs to know about a `.tflite` file, read from the file itself and its export report.

    model = read_model("export/lenet5-phone/int8.tflite")
    model.labels        # ("0", ..., "9", "none"): the labels file embedded in the metadata
    model.facts()       # the page's model.json: name, bytes, quantization, accuracy, refusal rule, credits

MediaPipe's ImageClassifier (the page's runtime, as in a phone app) reads the labels and the input's
normalization from the file's TFLite metadata and feeds it uint8 RGB frames, so a file is refused here, with
the fix, when it has no metadata, no embedded labels, an input MediaPipe cannot feed, or is not a classifier
(a segmenter's per-pixel scores).
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from cnnapp.choices import TEST
from cnnapp.deploy import world
from cnnapp.deploy.metadata import read_metadata
from cnnapp.errors import CnnappError

# The name of the model-level metadata buffer (ModelMetadata) in the TFLite schema.
METADATA_NAME = b"TFLITE_METADATA"
# What MediaPipe's ImageClassifier accepts: uint8 or float32 in, uint8 or float32 out, 3 or 4 channels.
INPUT_TYPES = ("uint8", "float32")
OUTPUT_TYPES = ("uint8", "float32")
# The page's rule when the export states none: a top score under this means "not one of the classes"
# (the threshold the world evaluation counts answers by).
DEFAULT_MIN_SCORE = world.MIN_SCORE
# The world evaluation beside an export (digits as people have them, through MediaPipe), if there is one.
WORLD_FILE = f"{world.FILE}.json"
# What the demo does show, named in the one-line refusal of anything else.
CLASSIFIER_HINT = (
    "the demo shows image classifiers: pass a classifier's export (export/lenet5-phone/int8.tflite) "
    "or its run folder"
)
EXPORT_HINT = (
    "export the run again with `python -m cnnapp.export RUN --mode int8` "
    "(uint8 RGB input, labels in the metadata)"
)


@dataclasses.dataclass(frozen=True)
class DemoModel:
    """A `.tflite` file the page can run, and what it shows about it.

    Attributes:
        path: the file.
        labels: the class names embedded in the file, in output order.
        input_shape: (height, width, channels) of the input tensor.
        input_type: "uint8" or "float32".
        report: the export report beside the file (`<stem>.json`) if it describes this file, else None.
        about: the file's own metadata: `description` and `licence` (what trained it, whom to credit).
        world: this file's row of the world evaluation beside it (`world.json`: digits as people have them,
            read by MediaPipe), else None.
    """

    path: Path
    labels: tuple[str, ...]
    input_shape: tuple[int, int, int]
    input_type: str
    report: dict | None
    about: dict = dataclasses.field(default_factory=dict)
    world: dict | None = None

    @property
    def name(self) -> str:
        """The report's model name, else the folder's (export/lenet5-digits/int8.tflite: lenet5-digits)."""
        if self.report and self.report.get("model"):
            return str(self.report["model"])
        return self.path.parent.name if self.path.parent.name not in ("", ".") else self.path.stem

    def refusal(self) -> dict:
        """The rule by which the page says "not a digit": {label, min_score, source}.

        The export report's `refusal` ({"label": "none", "min_score": 0.5}: top label `label`, or a top score
        under `min_score`, means no digit) when it has one (source "export"); else a score under 0.5 only
        (source None: the page says the model has no refusal rule).
        """
        rule = (self.report or {}).get("refusal")
        if not isinstance(rule, dict):
            return {"label": None, "min_score": DEFAULT_MIN_SCORE, "source": None}
        label = rule.get("label")
        if label is not None and label not in self.labels:
            raise CnnappError(
                f"{self.path.with_suffix('.json')} names the refusal label {label!r}, which is not among the "
                f"model's labels ({', '.join(self.labels)}): export the run again so file and report agree"
            )
        min_score = float(rule.get("min_score", DEFAULT_MIN_SCORE))
        return {"label": label, "min_score": min_score, "source": "export"}

    def facts(self) -> dict:
        """The page's `model.json`: name, size, quantization, labels, refusal rule, what trained it (from the
        file's metadata) and its test accuracy with the data it was measured on (from its report)."""
        report = self.report or {}
        evaluation = report.get("evaluation") or {}
        accuracy = None
        if "top1" in (evaluation.get("litert") or {}):
            accuracy = {
                "top1": evaluation["litert"]["top1"],
                "top5": evaluation["litert"].get("top5"),
                "images": evaluation.get("images"),
                "split": evaluation.get("split", TEST),
            }
        return {
            "name": self.name,
            "export": report.get("export", self.path.stem),
            "model": self.path.name,
            "bytes": self.path.stat().st_size,
            "quantization": report.get("mode", _quantization_from_types(self.input_type)),
            "input": {"shape": list(self.input_shape), "type": self.input_type},
            "classes": len(self.labels),
            "labels": list(self.labels),
            "refusal": self.refusal(),
            "trained_on": self.about.get("description"),
            "credits": self.about.get("licence"),
            "accuracy": accuracy,
            "world": self.world,
        }


def read_model(path: str | Path) -> DemoModel:
    """Read and check a `.tflite` file for the page; a file MediaPipe cannot run raises the fix."""
    from ai_edge_litert import schema_py_generated as schema

    path = Path(path)
    if not path.is_file():
        raise CnnappError(f"no model file at {path}")
    content = path.read_bytes()
    if path.suffix != ".tflite" or content[4:8] != b"TFL3":
        raise CnnappError(
            f"{path} is not a TFLite model: the demo takes an exported .tflite file or a run folder"
        )
    model = schema.Model.GetRootAs(content, 0)
    names = {model.Metadata(i).Name() for i in range(model.MetadataLength())}
    if METADATA_NAME not in names:
        raise CnnappError(
            f"{path} has no TFLite metadata, so the page cannot know its labels and input: {EXPORT_HINT}"
        )
    graph = model.Subgraphs(0)
    if graph.InputsLength() != 1 or graph.OutputsLength() != 1:
        raise CnnappError(
            f"{path} has {graph.InputsLength()} inputs and {graph.OutputsLength()} outputs; "
            "the page runs image classifiers (one image in, one score vector out)"
        )
    input_shape, input_type = _tensor(schema, graph, graph.Inputs(0))
    output_shape, output_type = _tensor(schema, graph, graph.Outputs(0))
    from cnnapp import tasks  # deferred: tasks import TensorFlow, which reading a .tflite file needs not

    task = tasks.of_output(output_shape)
    if task is not None:  # a segmenter says what it is; a classifier passes
        task.refuse("demo-file", path, "×".join(map(str, output_shape)), CLASSIFIER_HINT)
    if len(output_shape) != 2:
        kind = "not an image classifier"
        raise CnnappError(
            f"{path} is {kind}: it returns {'×'.join(map(str, output_shape))} scores, not one per class; "
            + CLASSIFIER_HINT
        )
    if len(input_shape) != 4 or input_shape[-1] not in (3, 4) or input_type not in INPUT_TYPES:
        raise CnnappError(
            f"{path} takes {input_type} {'×'.join(map(str, input_shape))}; MediaPipe feeds 1×H×W×3 uint8 or "
            f"float32 images: {EXPORT_HINT}"
        )
    if output_type not in OUTPUT_TYPES:
        raise CnnappError(
            f"{path} returns {output_type} scores; MediaPipe reads uint8 or float32: {EXPORT_HINT}"
        )
    labels = _embedded_labels(content, int(output_shape[-1]))
    if labels is None:
        raise CnnappError(
            f"{path} has metadata but no labels file with {output_shape[-1]} lines in it: {EXPORT_HINT}"
        )
    height_width_channels = tuple(int(d) for d in input_shape[1:])
    report, about, world = _report(path, len(content)), _about(content), _world(path, len(content))
    model = DemoModel(path, labels, height_width_channels, input_type, report, about, world)
    model.refusal()  # a report that contradicts the file fails here, not on the page
    return model


def _world(path: Path, size: int) -> dict | None:
    """This file's world evaluation from `world.json` beside it, if its row names this very file (name and
    bytes): {"dataset", "client", "images", "scores": [{"set", "name", "percent"}, ...]}."""
    try:
        results = json.loads((path.parent / WORLD_FILE).read_text())
        row = next(r for r in results["exports"] if r.get("file") == path.name and r.get("bytes") == size)
        scores = [{"set": key, "name": name, "percent": row[key]} for key, name in results["sets"].items()]
        return {
            "dataset": results.get("dataset"),
            "client": results.get("client"),
            "images": results.get("images"),
            "scores": scores,
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError, StopIteration):
        return None


def _about(content: bytes) -> dict:
    """What the file's metadata says trained it: its description (data, input) and licence (credits)."""

    metadata = read_metadata(content) or {}
    description = (metadata.get("description") or "").split(" Input: ")[0].strip() or None
    return {"description": description, "licence": metadata.get("license")}


def _report(path: Path, size: int) -> dict | None:
    """The export report beside the file, if it describes this very file (same byte count)."""
    report_path = path.with_suffix(".json")
    try:
        report = json.loads(report_path.read_text())
    except (OSError, ValueError):
        return None
    same_file = isinstance(report, dict) and (report.get("size") or {}).get("bytes") == size
    return report if same_file else None


def _tensor(schema, graph, index: int) -> tuple[list[int], str]:
    tensor = graph.Tensors(index)
    type_names = {
        value: name.lower() for name, value in vars(schema.TensorType).items() if not name.startswith("_")
    }
    shape = tensor.ShapeAsNumpy()
    return [int(d) for d in (shape if isinstance(shape, np.ndarray) else [])], type_names[tensor.Type()]


def _embedded_labels(content: bytes, classes: int) -> tuple[str, ...] | None:
    """The labels file packed in the model: metadata writers append associated files as a zip archive."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        return None
    for name in archive.namelist():
        lines = [line.strip() for line in archive.read(name).decode("utf-8", "replace").splitlines()]
        lines = [line for line in lines if line]
        if len(lines) == classes:
            return tuple(lines)
    return None


def _quantization_from_types(input_type: str) -> str:
    return "integer (uint8 I/O)" if input_type == "uint8" else "float input"
