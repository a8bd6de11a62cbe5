"""Recipes: what to train and how, read from TOML files (the shipped ones live here), validated, overridden,
then frozen.

    recipe = load_recipe("alexnet", overrides=["optimizer.lr=0.05", "train.epochs=2"])
    recipe.optimizer.lr          # 0.05
    recipe.to_toml()             # the effective recipe, loadable again with load_recipe(PATH)

A recipe file states only what differs from the defaults below, a comment per value. Unknown keys and wrong
types are errors that list the known keys. Overrides use TOML value syntax (`train.epochs=3`,
`data.augment=["flip"]`); a value that is not valid TOML is taken as a bare string (`optimizer.name=adam`).
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from cnnapp.choices import JIT_MODES, PRECISIONS, SEGMENTATION_HEADS, TEST
from cnnapp.data.config import BatchAugmentSection, DataConfig
from cnnapp.errors import CnnappError, unknown
from cnnapp.paths import check_run_name, printable

# The shipped recipes are this package's data files (installed with it; a wheel is unpacked, so the
# Traversable importlib.resources gives is a real folder). A user's own recipe is read by path:
# load_recipe("my.toml").
RECIPE_DIR = Path(str(resources.files(__name__)))

OPTIMIZERS = ("sgd", "rmsprop", "adam", "adamw", "adadelta")
SCHEDULES = ("constant", "step", "plateau", "cosine")


@dataclasses.dataclass(frozen=True)
class ModelSection:
    """[model]: the architecture (a registry name) and its builder options (`[model.options]`).

    The input shape and number of classes are not options: they come from `[data]` and the dataset.
    `head` makes the run a semantic segmentation: an FCN head ("fcn32s", "fcn16s", "fcn8s") on the
    architecture as backbone (`cnnapp.models.build_segmenter`), trained on a segmentation dataset
    (`cnnapp.segmentation.sources`); "" (the default) is a classifier.
    """

    architecture: str = "lenet5"
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    head: str = ""

    def __post_init__(self):
        object.__setattr__(self, "options", types.MappingProxyType(dict(self.options)))
        if self.head and self.head not in SEGMENTATION_HEADS:
            raise unknown("model.head", self.head, ['"" (a classifier)', *SEGMENTATION_HEADS])


@dataclasses.dataclass(frozen=True)
class DataSection:
    """[data]: the dataset, its normalization, and the input pipeline (every `DataConfig` field, flat).

    Attributes:
        dataset: a dataset name of `cnnapp.data` (mnist, cifar10, digits, imagenet2012, ...) or a folder.
        data_dir: where tfds keeps its files ("" = tfds's default, ~/tensorflow_datasets).
        limit: use only `limit` examples of every split (0 = all), the same fraction of every class, chosen by
            the recipe seed (cnnapp.data.subsets): for quick checks and tests.
        classes: train and test on these classes only (names of the dataset's classes, e.g. ["5", "6"]),
            relabelled 0.. in this order; empty = every class.
        per_class: train on this many examples of each class (0 = all), chosen by the recipe seed, before any
            holdout is taken from them: few-example experiments as recipes.
        mean: per-channel mean in pixel units [0, 255] (the paper's); empty = computed from the training
            split.
        std: per-channel standard deviation; empty = computed from the training split.
        pipeline: the rest of the section, as the data pipeline's `DataConfig`.
    """

    dataset: str = "digits"
    data_dir: str = ""
    limit: int = 0
    classes: tuple[str, ...] = ()
    per_class: int = 0
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    pipeline: DataConfig = dataclasses.field(default_factory=DataConfig)

    def __post_init__(self):
        object.__setattr__(self, "mean", tuple(float(v) for v in self.mean))
        object.__setattr__(self, "std", tuple(float(v) for v in self.std))
        if self.limit < 0:
            raise CnnappError(f"data.limit must be ≥ 0 (0 = every example), got {self.limit}")
        if self.per_class < 0 or len(set(self.classes)) != len(self.classes):
            raise CnnappError(
                f"data.per_class must be ≥ 0 (0 = every example) and data.classes name each class once; got "
                f"{self.per_class} and {list(self.classes)}"
            )
        if len(self.mean) != len(self.std) or (self.mean and len(self.mean) != self.pipeline.channels):
            raise CnnappError(
                f"data.mean and data.std need one value per channel ({self.pipeline.channels}); "
                f"got {len(self.mean)} and {len(self.std)}"
            )
        if any(s <= 0 for s in self.std):
            raise CnnappError(f"data.std must be positive, got {list(self.std)}")


# Adadelta's own defaults where a recipe leaves them out (Zeiler 2012, section 4: ρ = 0.95, ε = 1e-6 and no
# learning rate, i.e. 1.0 times the update; Keras's default learning_rate=0.001 slows it a thousandfold).
ADADELTA_DEFAULTS = {"lr": 1.0, "rho": 0.95, "epsilon": 1e-6}


@dataclasses.dataclass(frozen=True)
class OptimizerSection:
    """[optimizer]: the update rule.

    Attributes:
        name: sgd (with momentum), rmsprop, adam, adamw (Adam with decoupled weight decay, Loshchilov &
            Hutter 2019: Keras's AdamW) or adadelta.
        lr: the base learning rate (the schedule scales it).
        momentum: SGD's momentum (and RMSProp's, which is usually 0).
        nesterov: Nesterov momentum for SGD.
        weight_decay: the papers' weight decay λ: an L2 term λ/2·Σw² on every kernel added to the loss, so its
            gradient λ·w enters the momentum update as in Krizhevsky et al. (v ← 0.9v − λεw − ε∂L/∂w). It is
            not Keras's decoupled `weight_decay` (AdamW-style), which the papers did not use.
        decoupled_weight_decay: Keras's decoupled `weight_decay` (AdamW's λ, applied outside the gradient
            step, to kernels only); 0 = off. The modern recipes' weight decay.
        rho: RMSProp's and Adadelta's decay of the squared-gradient average. With name = "adadelta", lr, rho
            and epsilon left out are the paper's (`ADADELTA_DEFAULTS`: 1.0, 0.95, 1e-6).
        epsilon: the optimizer's ε.
        beta_1: Adam's β₁.
        beta_2: Adam's β₂.
        ema: Polyak averaging (GoogLeNet): keep an exponential moving average of the weights and evaluate and
            save the averaged weights (Keras's `use_ema`).
        ema_momentum: the average's decay per step.
        clipnorm: clip each gradient to this norm (0 = no clipping).
        reference_batch: the batch size `lr` was tuned for; when `train.batch_size` differs, the linear
            scaling rule (Goyal et al. 2017) scales `lr` by batch_size / reference_batch, with warm-up
            (`cnnapp.training.distribute.linear_scaling`). 0 = off: `lr` is used as written.
    """

    name: str = "sgd"
    lr: float = 0.01
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    decoupled_weight_decay: float = 0.0
    rho: float = 0.9
    epsilon: float = 1e-7
    beta_1: float = 0.9
    beta_2: float = 0.999
    ema: bool = False
    ema_momentum: float = 0.999
    clipnorm: float = 0.0
    reference_batch: int = 0

    def __post_init__(self):
        if self.reference_batch < 0:
            raise CnnappError(f"optimizer.reference_batch must be ≥ 0 (0 = off); got {self.reference_batch}")
        if self.name not in OPTIMIZERS:
            raise unknown("optimizer", self.name, OPTIMIZERS)
        if self.lr <= 0 or self.weight_decay < 0 or not 0 <= self.momentum < 1 or self.clipnorm < 0:
            raise CnnappError(
                "optimizer.lr must be > 0, optimizer.weight_decay and clipnorm ≥ 0, optimizer.momentum "
                f"in [0, 1); got lr={self.lr}, weight_decay={self.weight_decay}, "
                f"momentum={self.momentum}, clipnorm={self.clipnorm}"
            )
        if self.decoupled_weight_decay < 0:
            raise CnnappError(
                f"optimizer.decoupled_weight_decay must be ≥ 0, got {self.decoupled_weight_decay}"
            )
        if not 0 < self.ema_momentum < 1:
            raise CnnappError(f"optimizer.ema_momentum must be in (0, 1), got {self.ema_momentum}")
        if not (0 <= self.rho < 1 and 0 <= self.beta_1 < 1 and 0 <= self.beta_2 < 1 and self.epsilon > 0):
            raise CnnappError(
                "optimizer.rho, beta_1 and beta_2 must be in [0, 1), optimizer.epsilon > 0; got "
                f"rho={self.rho}, beta_1={self.beta_1}, beta_2={self.beta_2}, epsilon={self.epsilon}"
            )


@dataclasses.dataclass(frozen=True)
class ScheduleSection:
    """[schedule]: how the learning rate changes.

    Attributes:
        name: constant; step (× `factor` every `step_size` epochs, or at `boundaries`); plateau (÷10 when the
            validation error stops improving — the lectures' rule — at most `max_cuts` times); cosine (to
            `min_lr` over the run).
        factor: the multiplier of a step or a plateau cut (0.1 = divide by 10; GoogLeNet's 4% cut is 0.96).
        step_size: step: epochs between cuts (when `boundaries` is empty).
        boundaries: step: the points of each cut, in `unit`s (ResNet CIFAR: 32000, 48000 iterations).
        unit: "epochs" or "steps", for `boundaries` and `warmup`.
        patience: plateau: epochs without improvement before a cut.
        min_delta: plateau: an improvement smaller than this does not count.
        max_cuts: plateau: cuts at most this many times (AlexNet, VGG: 3).
        monitor: plateau: "val_error" (1 − validation top-1 accuracy) or "val_loss".
        min_lr: cosine's final learning rate.
        warmup: a linear ramp from lr/100 to lr over this many `unit`s (0 = none), multiplied in first.
    """

    name: str = "constant"
    factor: float = 0.1
    step_size: float = 30.0
    boundaries: tuple[float, ...] = ()
    unit: str = "epochs"
    patience: int = 5
    min_delta: float = 0.0
    max_cuts: int = 3
    monitor: str = "val_error"
    min_lr: float = 0.0
    warmup: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "boundaries", tuple(float(b) for b in self.boundaries))
        if self.name not in SCHEDULES:
            raise unknown("schedule", self.name, SCHEDULES)
        if self.unit not in ("epochs", "steps"):
            raise unknown("schedule unit", self.unit, ("epochs", "steps"))
        if self.monitor not in ("val_error", "val_loss"):
            raise unknown("schedule monitor", self.monitor, ("val_error", "val_loss"))
        if not 0 < self.factor <= 1 or self.step_size <= 0 or self.patience < 0 or self.max_cuts < 0:
            raise CnnappError(
                "schedule.factor must be in (0, 1], schedule.step_size > 0, schedule.patience and "
                f"max_cuts ≥ 0; got factor={self.factor}, step_size={self.step_size}, "
                f"patience={self.patience}, max_cuts={self.max_cuts}"
            )
        if list(self.boundaries) != sorted(self.boundaries) or self.warmup < 0 or self.min_lr < 0:
            raise CnnappError("schedule.boundaries must increase, schedule.warmup and min_lr be ≥ 0")
        if self.min_delta < 0 or any(b < 0 for b in self.boundaries):
            raise CnnappError(
                f"schedule.min_delta and boundaries must be ≥ 0; got {self.min_delta}, "
                f"{list(self.boundaries)}"
            )


HOLDOUT = "holdout"  # train.validation: a held-out part of the training split
DEFAULT_HOLDOUT = 0.1
MAX_COUNT = 10_000_000  # epochs, batch size, steps: far beyond any run, far below an int64 overflow


@dataclasses.dataclass(frozen=True)
class TrainSection:
    """[train]: the loop.

    Attributes:
        batch_size: examples per step.
        epochs: passes over the training split (the paper's number in the architecture-named recipes).
        seed: seeds weights, shuffling and augmentation: equal seeds give equal runs.
        precision: auto (float32 on CPU, mixed_float16 on GPU), float32, mixed_float16, mixed_bfloat16.
        jit: XLA compilation: auto (on GPU only), on, off.
        steps_per_epoch: cut every epoch to this many steps (0 = the whole training split): for quick checks.
        validation: what drives the plateau schedule and the best checkpoint: "holdout" (the default: a
            stratified, seeded part of the training split, `holdout` of it) or a split of the dataset
            ("validation"). The reported split ("test") is allowed but warned about everywhere: a number
            tuned on its own split is optimistic.
        holdout: the fraction of the training split held out as the validation set (default
            `DEFAULT_HOLDOUT` when `validation` is "holdout"); > 0 also wins over a `validation` split, as
            recipes written before "holdout" existed expect.
        test_split: the split of the final report (ImageNet: "validation", its test labels are not public).
        aux_loss_weight: the weight of each auxiliary classifier's loss (GoogLeNet: 0.3).
        label_smoothing: cross-entropy label smoothing (0 in every classic paper).
        deterministic: make TensorFlow's ops deterministic, so a resumed run equals an uninterrupted one.
        keep_top_k: besides best and last, keep the k checkpoints of lowest validation error
            (`checkpoints/top-EPOCH.keras`; 0 = none): for averaging or choosing among them afterwards.
    """

    batch_size: int = 128
    epochs: int = 10
    seed: int = 0
    precision: str = "auto"
    jit: str = "auto"
    steps_per_epoch: int = 0
    validation: str = HOLDOUT
    holdout: float = 0.0
    test_split: str = TEST
    aux_loss_weight: float = 0.3
    label_smoothing: float = 0.0
    deterministic: bool = True
    keep_top_k: int = 0

    def __post_init__(self):
        if self.keep_top_k < 0:
            raise CnnappError(f"train.keep_top_k must be ≥ 0 (0 = best and last only), got {self.keep_top_k}")
        if self.precision not in PRECISIONS:
            raise unknown("precision", self.precision, PRECISIONS)
        if self.jit not in JIT_MODES:
            raise unknown("jit mode", self.jit, JIT_MODES)
        if self.seed < 0:
            raise CnnappError(f"train.seed must be ≥ 0, got {self.seed}")
        if self.batch_size < 1 or self.epochs < 1 or self.steps_per_epoch < 0:
            raise CnnappError(
                f"train.batch_size and train.epochs must be ≥ 1, train.steps_per_epoch ≥ 0; got "
                f"{self.batch_size}, {self.epochs}, {self.steps_per_epoch}"
            )
        if self.validation == HOLDOUT and self.holdout == 0:
            object.__setattr__(self, "holdout", DEFAULT_HOLDOUT)
        if not self.validation:
            raise CnnappError('train.validation must name a split or be "holdout" (the default)')
        if max(self.epochs, self.batch_size, self.steps_per_epoch) > MAX_COUNT:
            raise CnnappError(
                f"train.epochs, train.batch_size and train.steps_per_epoch must be at most {MAX_COUNT:,}; "
                f"got {self.epochs}, {self.batch_size}, {self.steps_per_epoch}"
            )
        if not 0 <= self.holdout < 1 or not 0 <= self.label_smoothing < 1 or self.aux_loss_weight < 0:
            raise CnnappError(
                "train.holdout and train.label_smoothing must be in [0, 1), train.aux_loss_weight ≥ 0"
            )


PREPROCESSINGS = ("", "caffe")


@dataclasses.dataclass(frozen=True)
class TransferSection:
    """[transfer]: start from trained weights, freeze part of the network, fine-tune in two phases.

    Attributes:
        weights: where the start weights come from (empty = a fresh initialization): a run folder, a
            checkpoint (.keras), a Keras weights file (.weights.h5, or the legacy .h5 of keras.applications),
            or "recipe:NAME", the run of recipe NAME in runs/NAME (`python -m cnnapp.train` trains it first
            when it is missing). Layers match by name (cnnapp.training.transfer).
        preprocessing: "" (the run's own normalization; a run's weights bring the source run's), or "caffe":
            RGB→BGR and the ImageNet BGR mean, std 1, inside the model, as keras.applications' VGG16, VGG19
            and ResNet50 weights expect.
        freeze: "none", "head" (train only the classifier: `predictions` and any auxiliary heads), or a layer
            name or block prefix (`block3`, `conv4`, `C3`): every layer up to and including it is frozen.
            Frozen batch norm runs in inference mode (the Keras transfer-learning guide's rule).
        unfreeze_epoch: 0 = one phase; E > 0 = two phases: the first E epochs with `freeze`, the rest with
            every layer trainable at the learning rate times `unfreeze_lr_factor`.
        unfreeze_lr_factor: the second phase's learning-rate multiplier (fine-tuning takes a lower rate).
    """

    weights: str = ""
    preprocessing: str = ""
    freeze: str = "none"
    unfreeze_epoch: int = 0
    unfreeze_lr_factor: float = 0.1

    def __post_init__(self):
        if self.preprocessing not in PREPROCESSINGS:
            raise unknown("preprocessing", self.preprocessing, PREPROCESSINGS)
        if self.unfreeze_epoch < 0 or not 0 < self.unfreeze_lr_factor <= 1:
            raise CnnappError(
                f"transfer.unfreeze_epoch must be ≥ 0 and transfer.unfreeze_lr_factor in (0, 1]; got "
                f"{self.unfreeze_epoch} and {self.unfreeze_lr_factor}"
            )
        if self.weights.startswith("recipe:"):  # trained into runs/NAME first: a plain folder name
            check_run_name(self.weights[len("recipe:") :], "transfer.weights recipe")
        if self.unfreeze_epoch and self.freeze == "none":
            raise CnnappError(
                'transfer.unfreeze_epoch needs something frozen first: set transfer.freeze (e.g. "head")'
            )


SECTIONS: dict[str, type] = {
    "model": ModelSection,
    "data": DataSection,
    "optimizer": OptimizerSection,
    "schedule": ScheduleSection,
    "train": TrainSection,
    "transfer": TransferSection,
    "batch_augment": BatchAugmentSection,
}
TOP_LEVEL = ("name", "description")
BASE = "base"  # a recipe file may start from another: `base = "lenet5-digits"`, then only its differences


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A validated, frozen recipe: `name`, `description` and one dataclass per section."""

    name: str
    description: str = ""
    model: ModelSection = dataclasses.field(default_factory=ModelSection)
    data: DataSection = dataclasses.field(default_factory=DataSection)
    optimizer: OptimizerSection = dataclasses.field(default_factory=OptimizerSection)
    schedule: ScheduleSection = dataclasses.field(default_factory=ScheduleSection)
    train: TrainSection = dataclasses.field(default_factory=TrainSection)
    transfer: TransferSection = dataclasses.field(default_factory=TransferSection)
    batch_augment: BatchAugmentSection = dataclasses.field(default_factory=BatchAugmentSection)

    def __post_init__(self):
        check_run_name(self.name)
        if self.model.head and self.batch_augment.active:
            raise CnnappError(
                "[batch_augment] is for classifiers; a segmentation recipe (model.head) cannot mix"
            )
        unfreeze, epochs = self.transfer.unfreeze_epoch, self.train.epochs
        if unfreeze >= epochs:
            raise CnnappError(
                f"transfer.unfreeze_epoch={unfreeze} is past the end of the run (train.epochs={epochs}): "
                f"set it below {epochs}, or 0 for one phase"
            )

    def to_dict(self) -> dict[str, Any]:
        """Every value of the recipe as plain TOML-able data; `from_dict(to_dict())` gives the recipe back."""
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        for section in SECTIONS:
            value = getattr(self, section)
            table = {
                f.name: _plain(getattr(value, f.name))
                for f in dataclasses.fields(value)
                if f.name != "pipeline"
            }
            if section == "data":
                table.update(
                    {f.name: _plain(getattr(value.pipeline, f.name)) for f in dataclasses.fields(DataConfig)}
                )
            out[section] = table
        return out

    def to_toml(self) -> str:
        """The effective recipe as a TOML document (what a run saves as `recipe.toml`)."""
        return dumps_toml(
            self.to_dict(), header=f"Effective recipe {self.name!r}: every value, defaults included."
        )


def validation_warning(train: TrainSection) -> str | None:
    """The warning for a run whose validation split is the split it reports (None when it is not)."""
    if train.holdout > 0 or train.validation != train.test_split:
        return None
    return (
        f"WARNING: train.validation = {train.validation!r} is the reported split: the best checkpoint and "
        "the learning-rate cuts are tuned on it, so its accuracy is optimistic; set train.validation = "
        '"holdout" (or a validation split) for a number that is not'
    )


def validation_note(train: TrainSection) -> str | None:
    """The note for a recipe that names a validation split (`train.validation`) while its `train.holdout`
    > 0 validates instead (None when it does not). The holdout wins, as the recipes written before
    "holdout" existed expect (they kept the old default, "test", beside a holdout); the note names what
    validates and how to get the split the recipe named."""
    if train.holdout <= 0 or train.validation == HOLDOUT:
        return None
    return (
        f"note: train.validation = {train.validation!r} is not used: train.holdout = {train.holdout:g} "
        f"validates on {train.holdout:.0%} of the training split instead; set train.holdout = 0 to "
        f"validate on {train.validation!r}"
    )


def recipe_changes(saved: Recipe, mine: Recipe) -> list[str]:
    """The `section.key`s in which `mine` differs from `saved`, but train.epochs (a run may be extended)."""
    old, new = saved.to_dict(), mine.to_dict()
    old["train"].pop("epochs"), new["train"].pop("epochs")
    if old == new:
        return []
    keys = sorted(
        f"{s}.{k}"
        for s in set(old) | set(new)
        if isinstance(new.get(s), dict) or isinstance(old.get(s), dict)
        for k in set(old.get(s) or {}) | set(new.get(s) or {})
        if (new.get(s) or {}).get(k) != (old.get(s) or {}).get(k)
    )
    return keys or ["name"]


def names() -> list[str]:
    """The recipes shipped in `cnnapp/recipes/`, by name."""
    return sorted(p.stem for p in RECIPE_DIR.glob("*.toml"))


def load_recipe(name_or_path: str | Path, overrides: Iterable[str] = ()) -> Recipe:
    """Load recipe `recipes/NAME.toml` (or a path), apply `overrides` ("section.key=value"), freeze it.

    A file with `base = "OTHER"` starts from recipe OTHER (a name or path, itself possibly based on
    another) and changes only what it states; its `name` is its own file name unless it sets one.
    """
    path = _find(name_or_path)
    table = _read_table(path, [])
    table.setdefault("name", path.stem)
    for override in overrides:
        _apply_override(table, override)
    return from_dict(table)


def base_of(name_or_path: str | Path) -> str | None:
    """The `base` a recipe file names (its paper recipe, for a modern one), or None."""
    base = _toml(_find(name_or_path)).get(BASE)
    return base if isinstance(base, str) else None


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise CnnappError(
            f"recipe {printable(path)} is not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise CnnappError(f"recipe {printable(path)} is not valid TOML: {error}") from None


def _read_table(path: Path, chain: list[Path]) -> dict[str, Any]:
    """The recipe file's table merged onto its `base` chain's (a key of this file wins, table by table)."""
    table = _toml(path)
    base = table.pop(BASE, None)
    if base is None:
        return table
    if not isinstance(base, str):
        raise CnnappError(f"{path}: base must be a recipe name or path, got {base!r}")
    base_path = _find(base)
    if base_path.resolve() in [p.resolve() for p in (*chain, path)]:
        raise CnnappError(f"{path}: base {base!r} leads back to itself; break the chain of bases")
    merged = _read_table(base_path, [*chain, path])
    merged.pop("name", None)  # the base's name is not this recipe's
    merged.pop("description", None)
    return _merged(merged, table)


def _merged(base: dict, mine: dict) -> dict:
    out = dict(base)
    for key, value in mine.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merged(out[key], value) if both else value
    return out


def from_dict(table: Mapping[str, Any]) -> Recipe:
    """Validate a recipe given as nested dicts (a parsed TOML file) and freeze it."""
    table = dict(table)
    known = [*TOP_LEVEL, *SECTIONS]
    bad = sorted(set(table) - set(known))
    if bad:
        raise CnnappError(f"unknown recipe section {', '.join(map(repr, bad))}; known: {', '.join(known)}")
    top = {key: _check(table[key], str, key) for key in TOP_LEVEL if key in table}
    if "name" not in top:
        raise CnnappError("a recipe needs a name")
    sections = {}
    for section, cls in SECTIONS.items():
        value = table.get(section, {})
        if not isinstance(value, Mapping):
            raise CnnappError(f"[{section}] must be a table of keys, got {value!r}")
        sections[section] = _section(section, cls, value)
    return Recipe(**top, **sections)


def _section(section: str, cls: type, values: Mapping[str, Any]):
    own = {f.name for f in dataclasses.fields(cls) if f.name != "pipeline"}
    extra = {f.name for f in dataclasses.fields(DataConfig)} if cls is DataSection else set()
    bad = sorted(set(values) - own - extra)
    if bad:
        raise CnnappError(
            f"unknown key {', '.join(f'{section}.{k}' for k in bad)}; known keys of [{section}]: "
            f"{', '.join(sorted(own | extra))}"
        )
    hints = typing.get_type_hints(cls)
    kwargs = {k: _check(v, hints[k], f"{section}.{k}") for k, v in values.items() if k in own}
    if cls is OptimizerSection and kwargs.get("name") == "adadelta":
        for key, value in ADADELTA_DEFAULTS.items():
            kwargs.setdefault(key, value)
    if cls is DataSection:
        pipe_hints = typing.get_type_hints(DataConfig)
        kwargs["pipeline"] = DataConfig(
            **{k: _check(v, pipe_hints[k], f"data.{k}") for k, v in values.items() if k in extra}
        )
    return cls(**kwargs)


def _check(value: Any, hint: Any, where: str) -> Any:
    """`value` if it has type `hint` (ints are accepted as floats, lists as tuples); else a CnnappError."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):  # TOML has nan and inf; no recipe value means them
                raise CnnappError(f"{where} must be a finite number, got {value}")
            return float(value)
    elif hint in (int, str, bool):
        if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
            return value
    elif origin is tuple:
        item = typing.get_args(hint)[0]
        if isinstance(value, list | tuple):
            return tuple(_check(v, item, f"{where}[{i}]") for i, v in enumerate(value))
    elif origin in (Mapping, dict) or hint is Mapping:
        if isinstance(value, Mapping):
            return dict(value)
    else:  # pragma: no cover - a field type this checker does not know is a programming error
        raise TypeError(f"recipe field {where} has unsupported type {hint}")
    expected = getattr(hint, "__name__", str(hint))
    expected = {"tuple": "list", "Mapping": "table"}.get(expected, expected)
    article = "an" if expected[0] in "aeiou" else "a"
    raise CnnappError(f"{where} must be {article} {expected}, got {value!r}")


def python_overrides(overrides: Mapping[str, Any]) -> list[str]:
    """Python values as overrides: `train={"epochs": 2}` or `{"train.epochs": 2}` → "train.epochs=2"."""
    flat: dict[str, Any] = {}
    for key, value in overrides.items():
        if isinstance(value, Mapping):
            flat.update({f"{key}.{inner}": v for inner, v in value.items()})
        else:
            flat[key] = value
    return [f"{key}={tomli_w.dumps({'v': value})[4:].strip()}" for key, value in flat.items()]


def _find(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    path = Path(text)
    if path.suffix == ".toml" or "/" in text or path.is_dir():
        if not path.is_file():  # a run folder's recipe is its RunDir.recipe_file (cnnapp.train resolves it)
            raise CnnappError(f"no recipe file at {path}")
        return path
    path = RECIPE_DIR / f"{text}.toml"
    if not path.is_file():
        raise unknown("recipe", text, names())
    return path


def _apply_override(table: dict[str, Any], override: str) -> None:
    key, sep, raw = override.partition("=")
    key = key.strip()
    parts = key.split(".")
    if not sep or not key or any(not p for p in parts):
        raise CnnappError(f"bad override {override!r}; write section.key=value, e.g. optimizer.lr=0.05")
    if len(parts) == 1 and parts[0] not in TOP_LEVEL or len(parts) > 1 and parts[0] not in SECTIONS:
        raise CnnappError(
            f"bad override {override!r}: unknown section {parts[0]!r}; known: {', '.join(SECTIONS)}"
        )
    value = parse_value(raw)
    node = table
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise CnnappError(f"bad override {override!r}: {part} is a value, not a table")
        node = child
    node[parts[-1]] = value


def parse_value(raw: str) -> Any:
    """A value in TOML syntax (`0.05`, `true`, `[1, 2]`, `"adam"`); anything else is a bare string."""
    raw = raw.strip()
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def dumps_toml(table: Mapping[str, Any], header: str = "") -> str:
    """Write nested dicts of strings, numbers, booleans and lists as TOML (tomli-w; no None in TOML).

    A dict value becomes a `[section]` (or `[section.sub]`) table after the plain keys of its parent; `header`
    becomes a comment on the first line.
    """
    comment = f"# {header}\n\n" if header else ""
    return comment + tomli_w.dumps(table)
