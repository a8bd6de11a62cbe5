"""Run folders: what a training run leaves behind, and how to rebuild its model in keras or tf_keras.

    run = load_run("runs/lenet5-digits")
    model = run.model("best")                   # the saved inference model: raw pixels in, probabilities out
    twin = build_model(run.meta, tf_keras)      # the same graph in Keras 2, for tfmot; then set_weights(...)

A run folder (docs/architecture.md, "Runs") holds recipe.toml, run.json, checkpoints/{best,last}.keras,
log.csv, tensorboard/, report.json and the resume state resume.npz.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

from cnnapp.errors import CnnappError

META_KEYS = (
    "recipe",
    "architecture",
    "model_options",
    "input_shape",
    "num_classes",
    "class_names",
    "dataset",
    "normalization",
)
CHECKPOINTS = ("best", "last")


@dataclasses.dataclass(frozen=True)
class Run:
    """A run folder, read back.

    Attributes:
        path: the folder.
        meta: run.json (architecture, options, input shape, classes, dataset, normalization).
        recipe: the effective recipe (`cnnapp.recipes.Recipe`) from recipe.toml.
    """

    path: Path
    meta: dict
    recipe: Any

    def checkpoint(self, which: str = "best") -> Path:
        if which not in CHECKPOINTS:
            raise CnnappError(f"unknown checkpoint {which!r}; valid checkpoints: {', '.join(CHECKPOINTS)}")
        path = self.path / "checkpoints" / f"{which}.keras"
        if not path.is_file():
            raise CnnappError(f"run {self.path} has no {which} checkpoint yet (no epoch has finished)")
        return path

    def model(self, which: str = "best"):
        """The saved inference model `which` ("best" or "last"), in Keras 3."""
        from cnnapp import models

        return models.load(self.checkpoint(which))

    @property
    def report(self) -> dict | None:
        path = self.path / "report.json"
        return json.loads(path.read_text()) if path.is_file() else None


def load_run(path: str | Path) -> Run:
    """Read the run folder `path` (or the run holding the checkpoint file `path`)."""
    from cnnapp.recipes import load_recipe

    path = Path(path)
    if path.is_file() and path.suffix == ".keras" and path.parent.name == "checkpoints":
        path = path.parent.parent
    meta_path = path / "run.json"
    if not meta_path.is_file():
        raise CnnappError(f"{path} is not a run folder (no run.json); train one with python -m cnnapp.train")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as error:
        raise CnnappError(f"{meta_path} is corrupt: {error}") from None
    missing = [key for key in META_KEYS if key not in meta]
    if missing:
        raise CnnappError(f"{meta_path} lacks {', '.join(missing)}; was it written by cnnapp.train?")
    return Run(path=path, meta=meta, recipe=load_recipe(path / "recipe.toml"))


def build_model(meta: dict, keras_module=None, training: bool = False, rgb_input: bool = False):
    """The run's model graph, freshly initialized: raw pixels → `normalization` → the architecture.

    One flat functional graph (no nested model), so tfmot can quantize or prune it layer by layer.

    Args:
        meta: a run's run.json contents (or the same keys).
        keras_module: keras (default) or tf_keras.
        training: keep training-only heads (GoogLeNet's auxiliary classifiers); the default is the inference
            model, whose weights a saved checkpoint's `get_weights()` fits.
        rgb_input: a grey (1-channel) model takes RGB through the weight-free `rgb_to_grey` front before
            `normalization` (cnnapp.deploy.front), as its phone exports do; the weights stay the same.
    """
    from cnnapp import models
    from cnnapp.models.common import resolve_keras

    K = resolve_keras(keras_module)
    arch = models.build(
        meta["architecture"],
        input_shape=tuple(meta["input_shape"]),
        num_classes=int(meta["num_classes"]),
        keras_module=K,
        **meta["model_options"],
    )
    model = with_normalization(arch, meta["normalization"]["mean"], meta["normalization"]["std"], K)
    if rgb_input and int(meta["input_shape"][-1]) == 1:
        from cnnapp.deploy.front import with_grey_front

        model = with_grey_front(model, K)
    return model if training else models.inference_model(model)


def with_normalization(model, mean, std, keras_module=None):
    """A copy of functional `model` (fresh weights) whose input first passes a `normalization` layer.

    (x − mean) / std per channel, in float32 whatever the dtype policy. Done by rewiring the model's config —
    public API in both keras and tf_keras — so the result stays one flat graph.
    """
    from cnnapp.models.common import resolve_keras

    K = resolve_keras(keras_module)
    config = copy.deepcopy(model.get_config())
    inputs = config["input_layers"]  # Keras 3: [name, 0, 0] for one input; tf_keras: [[name, 0, 0]]
    if isinstance(inputs[0], list | tuple):
        if len(inputs) != 1:
            raise ValueError("with_normalization takes a single-input model")
        inputs = inputs[0]
    image = inputs[0]
    layer = K.layers.Normalization(
        axis=-1,
        mean=list(map(float, mean)),
        variance=[float(s) ** 2 for s in std],
        dtype="float32",
        name="normalization",
    )
    entry = dict(K.layers.serialize(layer))
    entry["name"] = "normalization"
    consumers = [c for c in config["layers"] if _references(c["inbound_nodes"], image)]
    if not consumers:
        raise ValueError("the model's input feeds no layer")
    entry["inbound_nodes"] = copy.deepcopy(consumers[0]["inbound_nodes"][:1])
    for consumer in consumers:
        consumer["inbound_nodes"] = _rename(consumer["inbound_nodes"], image, "normalization")
    position = next(i for i, c in enumerate(config["layers"]) if c["name"] == image) + 1
    config["layers"].insert(position, entry)
    return K.Model.from_config(config)


def _is_ref(node, name) -> bool:
    # Keras 3: {"keras_history": [name, node, tensor]}; tf_keras: [name, node, tensor, {kwargs}]
    return isinstance(node, list | tuple) and len(node) == 4 and node[0] == name and isinstance(node[3], dict)


def _references(nodes, name) -> bool:
    if isinstance(nodes, dict):
        history = nodes.get("keras_history")
        if isinstance(history, list | tuple) and history and history[0] == name:
            return True
        return any(_references(v, name) for v in nodes.values())
    if isinstance(nodes, list | tuple):
        return _is_ref(nodes, name) or any(_references(v, name) for v in nodes)
    return False


def _rename(nodes, old, new):
    if isinstance(nodes, dict):
        out = {k: _rename(v, old, new) for k, v in nodes.items()}
        history = out.get("keras_history")
        if isinstance(history, list | tuple) and history and history[0] == old:
            out["keras_history"] = [new, *history[1:]]
        return out
    if isinstance(nodes, list | tuple):
        if _is_ref(nodes, old):
            return [new, *nodes[1:]]
        return [_rename(v, old, new) for v in nodes]
    return nodes
