"""Transfer learning: start a run from trained weights, freeze part of the network, fine-tune in two phases.

    [transfer]
    weights = "recipe:lenet5-digits04"   # or a run folder, a .keras checkpoint, a .weights.h5 or .h5 file
    freeze = "head"                      # phase 1 trains the classifier only
    unfreeze_epoch = 10                  # phase 2: every layer, at optimizer.lr × unfreeze_lr_factor

Weights move by layer name: every builder names its layers, and a backbone (`include_top=False`) keeps the
names of the full network, so a run of LeNet-5, a keras.applications VGG16 file and our `vgg16` meet layer by
layer. The rules (`load_weights`): every layer of our backbone must be in the source with the same shapes —
else the source is another architecture (or other options), a one-line error naming the first mismatch; the
classifier and the other layers of the top load when their shapes fit and are initialised afresh when they do
not (another class count, another input size); layers of the source that we lack are skipped, unless they
sit inside the backbone we loaded (a VGG19 file into a VGG16). A report lists what was loaded, skipped and
newly initialised; it is kept in run.json (`transfer`) and report.json.

Both phases use one optimizer, built over every weight before anything is frozen: a frozen weight gets no
gradient and keeps zero optimizer slots, so the phase change only flips `trainable`, retraces the train step
and scales the learning rate (`RecipeSchedule.phase_scale`). The resume state therefore has the same
variables in both phases, and a run resumed on either side of the change continues bit for bit.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keras
import numpy as np

from cnnapp import models
from cnnapp.errors import CnnappError
from cnnapp.recipes import Recipe
from cnnapp.runs import RUNS_DIR, RunDir, RunMeta, from_any
from cnnapp.training import setup

RECIPE_PREFIX = "recipe:"
# keras.applications.imagenet_utils.preprocess_input(mode="caffe"): RGB → BGR, minus the ImageNet mean of
# each BGR channel, no scaling. In RGB order here: the run's `normalization` subtracts it before `rgb_to_bgr`.
CAFFE_MEAN_RGB = (123.68, 116.779, 103.939)
FIXED_LAYERS = ("rgb_to_bgr",)  # weight-free in effect: never loaded, never trained


@dataclasses.dataclass(frozen=True)
class Weights:
    """Trained weights by layer name, read from a run, a checkpoint or a Keras weights file.

    Attributes:
        where: the source, for messages.
        layers: layer name → its weight arrays, in the source's layer order.
        ordered: whether that order is the network's (a Keras 3 `.weights.h5` stores layers by class name).
        normalization: the source run's `normalization` (mean, std), when the weights come from a cnnapp run.
        class_names: the source run's classes (a classifier for other classes is replaced), or None.
    """

    where: str
    layers: dict[str, list[np.ndarray]]
    ordered: bool = True
    normalization: dict | None = None
    class_names: tuple[str, ...] | None = None


@dataclasses.dataclass(frozen=True)
class Report:
    """What `load_weights` did: layers loaded, skipped (in the source only) and newly initialised."""

    source: str
    loaded: list[str]
    skipped: list[str]
    new: list[str]
    notes: list[str]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def summary(self) -> str:
        """One line: counts, and the new layers (with why) and skipped ones named."""
        why = {note.split(":")[0]: note for note in self.notes}
        new = ", ".join(why.get(name, name) for name in self.new) or "none"
        skipped = ", ".join(self.skipped[:6]) + (", ..." if len(self.skipped) > 6 else "")
        return (
            f"weights from {self.source}: {len(self.loaded)} layers loaded, {len(self.new)} new ({new}), "
            f"{len(self.skipped)} skipped ({skipped or 'none'})"
        )


def source_recipe(recipe: Recipe) -> str | None:
    """The recipe whose run `transfer.weights` names ("recipe:NAME"), or None."""
    spec = recipe.transfer.weights
    return spec[len(RECIPE_PREFIX) :] if spec.startswith(RECIPE_PREFIX) else None


def source_path(spec: str) -> Path:
    """The path `transfer.weights` names: "recipe:NAME" is the run folder runs/NAME."""
    return RUNS_DIR / spec[len(RECIPE_PREFIX) :] if spec.startswith(RECIPE_PREFIX) else Path(spec)


def read_weights(spec: str) -> Weights:
    """The weights `transfer.weights` names (see `cnnapp.recipes.TransferSection`)."""
    path = source_path(spec)
    if spec.startswith(RECIPE_PREFIX) and RunDir(path).status() != "finished":
        name = spec[len(RECIPE_PREFIX) :]
        raise CnnappError(
            f"transfer.weights {spec!r}: no finished run of recipe {name} in {path}; train it first "
            f"(python -m cnnapp.train --recipe {name} does it, and so does training this recipe with it)"
        )
    if not path.exists():
        raise CnnappError(f"transfer.weights: no run folder or weights file at {path}")
    if path.is_dir() or path.suffix == ".keras":
        ref = from_any(path, "best")
        model = models.load(ref.model_file)
        layers = {layer.name: [np.asarray(w) for w in layer.get_weights()] for layer in model.layers}
        meta = ref.run.read_meta() if ref.run is not None else None
        norm, classes = (dict(meta.normalization), meta.class_names) if meta is not None else (None, None)
        return Weights(str(path), {k: v for k, v in layers.items() if v}, True, norm, classes)
    if path.suffix == ".h5":
        return _read_h5(path)
    raise CnnappError(
        f"transfer.weights {path}: not a run folder, a .keras checkpoint or a Keras weights file (.h5)"
    )


def _read_h5(path: Path) -> Weights:
    import h5py

    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise CnnappError(f"{path} could not be read as a Keras weights file (HDF5): {error}") from None
    with file:
        root = file["model_weights"] if "model_weights" in file else file  # a legacy whole-model .h5
        if "layer_names" in root.attrs:  # tf_keras / keras.applications `save_weights("x.h5")`
            layers = {}
            for name in map(_text, root.attrs["layer_names"]):
                group = root[name]
                weight_names = [_text(n) for n in group.attrs.get("weight_names", [])]
                if weight_names:
                    layers[name] = [np.asarray(group[n]) for n in weight_names]
            return Weights(str(path), layers, ordered=True)
        if "layers" in root:  # Keras 3 `.weights.h5`: layers/<key>/vars/<i>, the layer's name an attribute
            layers = {}
            for key, group in root["layers"].items():
                variables = group.get("vars")
                if variables is not None and len(variables):
                    name = _text(variables.attrs.get("name", key))
                    layers[name] = [np.asarray(variables[str(i)]) for i in range(len(variables))]
            return Weights(str(path), layers, ordered=False)
    raise CnnappError(f"{path} is an HDF5 file but holds no Keras weights (no layer_names, no layers/)")


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def backbone(meta) -> set[str]:
    """The names of the layers with weights of a run's architecture without its top (`RunMeta` or its dict;
    built with shapes only: no values drawn)."""
    from cnnapp.audit import shapes_only

    options = {**meta["model_options"], "include_top": False, "pooling": None}
    with shapes_only():
        headless = models.build(
            meta["architecture"],
            input_shape=tuple(meta["input_shape"]),
            num_classes=int(meta["num_classes"]),
            **options,
        )
    return {layer.name for layer in headless.layers if layer.weights}


def load_weights(
    model, weights: Weights, backbone_names: set[str], architecture: str, class_names=None
) -> Report:
    """Set the weights of `model`'s layers from `weights`, by name (the rules in the module docstring).

    A classifier (`predictions`, `aux*_predictions`) is initialised afresh when the class count differs, or
    when the source run's `class_names` differ from this run's (the same count of other classes).

    Raises:
        CnnappError: a backbone layer is missing from the source or has other shapes there, or a source layer
            sits inside the loaded backbone without a place in ours — naming the first such layer.
    """
    ours = [layer for layer in model.layers if layer.weights and layer.name not in FIXED_LAYERS]
    loaded, new, notes = [], [], []
    for layer in ours:
        shapes = [tuple(w.shape) for w in layer.weights]
        arrays = weights.layers.get(layer.name)
        theirs = None if arrays is None else [tuple(a.shape) for a in arrays]
        other = _other_classes(weights, class_names) if layer.name.endswith("predictions") else None
        if theirs == shapes and other:
            new.append(layer.name)
            notes.append(f"{layer.name}: {other}")
        elif theirs == shapes:
            layer.set_weights(arrays)
            loaded.append(layer.name)
        elif layer.name in backbone_names:
            raise CnnappError(_mismatch(weights, architecture, layer.name, theirs, shapes))
        elif layer.name != "normalization":  # without the source's, the run's own normalization stays
            new.append(layer.name)
            if theirs is not None:
                notes.append(f"{layer.name}: {_shapes(theirs)} there, {_shapes(shapes)} here")
    names = {layer.name for layer in model.layers}
    skipped = [name for name in weights.layers if name not in names]
    if weights.ordered:  # a source layer between loaded backbone layers that we lack: another architecture
        order = list(weights.layers)
        last = max((order.index(n) for n in loaded if n in backbone_names), default=-1)
        inside = [n for n in order[:last] if n in skipped]
        if inside:
            raise CnnappError(
                f"{weights.where} does not fit {architecture}: its layer {inside[0]!r} has no place in "
                f"{architecture} (weights of another architecture?); choose weights of a {architecture}"
            )
    return Report(weights.where, loaded, skipped, new, notes)


def _other_classes(weights: Weights, class_names) -> str | None:
    """Why a classifier of the right size is still replaced (the source run classified other classes)."""
    if weights.class_names is None or class_names is None or tuple(class_names) == weights.class_names:
        return None
    return f"the source's classes {', '.join(weights.class_names)}, here {', '.join(class_names)}"


def _shapes(shapes) -> str:
    return "[" + ", ".join("×".join(map(str, s)) for s in shapes) + "]"


def _mismatch(weights: Weights, architecture: str, name: str, theirs, shapes) -> str:
    """The one-line error for a backbone layer the source lacks or has with other shapes, with the fix."""
    start = f"{weights.where} does not fit {architecture}"
    if theirs is None:
        first = ", ".join(list(weights.layers)[:4]) or "none"
        return (
            f"{start}: it has no layer {name!r} (its first layers: {first}); weights of another "
            f"architecture? choose weights of a {architecture}"
        )
    if len(theirs) == len(shapes) + 1 and name.endswith("_conv"):
        fix = "keras.applications' ResNets have conv biases: set model.options.conv_bias = true"
    elif len(shapes[0]) == 4 and theirs[0][:2] + theirs[0][3:] == shapes[0][:2] + shapes[0][3:]:
        fix = f"the source's layer reads {theirs[0][2]} channels: set data.channels = {theirs[0][2]}"
    else:
        fix = "build the source's architecture and options (model.options, data.image_size)"
    return f"{start}: layer {name!r} has weights {_shapes(theirs)} there, {_shapes(shapes)} here; {fix}"


def frozen_layers(model, freeze: str, backbone_names: set[str], architecture: str) -> list[str]:
    """The layers `transfer.freeze` freezes: none, the backbone ("head": all but the top), or every layer up
    to and including the last one named `freeze` or starting with `freeze` + "_" (a block)."""
    names = [layer.name for layer in model.layers]
    if freeze == "none":
        return []
    if freeze == "head":
        return [n for n in names if n in backbone_names or n in ("normalization", *FIXED_LAYERS)]
    ends = [i for i, n in enumerate(names) if n == freeze or n.startswith(freeze + "_")]
    if not ends:
        blocks = list(dict.fromkeys(n.split("_")[0] for n in names if n != "image"))
        raise CnnappError(
            f"transfer.freeze {freeze!r} names no layer or block of {architecture}; valid: none, head, a "
            f"block ({', '.join(blocks)}) or a layer name (model.summary())"
        )
    return names[: max(ends) + 1]


class Phases(keras.callbacks.Callback):
    """Freezing and the two phases of a run: phase 1 with `transfer.freeze`, phase 2 from `unfreeze_epoch`
    on with every layer trainable (but frozen batch norm) at the learning rate × `unfreeze_lr_factor`.

    Batch norm frozen in phase 1 stays frozen, in inference mode, in phase 2 too: the Keras transfer-learning
    guide's rule (its statistics are the source's; updating them from a few examples would undo them).
    """

    def __init__(self, recipe: Recipe, frozen: list[str], schedule):
        super().__init__()
        self.frozen = frozen
        self.epoch = recipe.transfer.unfreeze_epoch
        self.factor = recipe.transfer.unfreeze_lr_factor
        self.schedule = schedule

    def enter(self, model, epochs_done: int) -> None:
        """Put `model` in the phase of the next epoch; a resumed run after the change starts in phase 2."""
        for layer in model.layers:
            if layer.name in self.frozen:
                layer.trainable = False
        if self.epoch and epochs_done >= self.epoch:
            self._unfreeze(model)

    def _unfreeze(self, model) -> None:
        for layer in model.layers:
            if layer.name in self.frozen and not isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = True
        self.schedule.phase_scale.assign(self.factor)

    def on_epoch_begin(self, epoch, logs=None):
        if self.epoch and epoch == self.epoch:
            self._unfreeze(self.model)
            self.model.make_train_function(force=True)  # the step traced anew over the trainable weights


def start_weights(recipe: Recipe) -> Weights | None:
    """The weights a fresh run of `recipe` starts from, or None (`transfer.weights` empty)."""
    return read_weights(recipe.transfer.weights) if recipe.transfer.weights else None


def run_meta(recipe: Recipe, run_data, weights: Weights | None) -> RunMeta:
    """A fresh run's run.json (`setup.run_meta`) with the normalization the start weights expect: caffe's
    (and `channel_order` "bgr", which puts `rgb_to_bgr` in the model: `runs.build_model`), or the source
    run's; else the recipe's or the training split's."""
    if recipe.transfer.preprocessing == "caffe":
        norm = {"mean": list(CAFFE_MEAN_RGB), "std": [1.0, 1.0, 1.0], "source": "caffe (BGR weights)"}
    elif weights is not None and weights.normalization is not None:
        norm = {**weights.normalization, "source": f"transfer from {weights.where}"}
    else:
        norm = setup.normalization(recipe, run_data)
    meta = setup.run_meta(recipe, run_data, norm)
    if recipe.transfer.preprocessing == "caffe":
        meta["channel_order"] = "bgr"
    return RunMeta.from_dict(meta)


def start(model, recipe: Recipe, meta: RunMeta, weights: Weights | None, schedule, epochs_done: int):
    """Load the start weights (a fresh run only: `weights` None on resume), freeze for the next epoch's phase.

    Call after compiling and building the optimizer over every weight. Returns the `Phases` callback (None
    when nothing is frozen) and `meta` with the load report as `transfer` (kept in run.json).
    """
    spec = recipe.transfer
    if weights is None and spec.freeze == "none":
        return None, meta
    names = backbone(meta)
    if weights is not None:
        report = load_weights(model, weights, names, meta.architecture, meta.class_names)
        meta = meta.replace(extra={**meta.extra, "transfer": report.to_dict()})
    phases = Phases(recipe, frozen_layers(model, spec.freeze, names, meta.architecture), schedule)
    phases.enter(model, epochs_done)
    return phases, meta
