"""The modern training tricks' pieces the training core plugs in: soft-target loss and metrics, the top-k
checkpoints, the Polyak averages evaluated against the raw weights, and the list of tricks a run used.

The tricks themselves are recipe values (docs/modern-training.md): `train.label_smoothing`, the
`[batch_augment]` section (RandAugment, AugMix, random erasing, MixUp, CutMix: `cnnapp.data.mixing`),
`optimizer.ema`, `optimizer.name = "adamw"` with `optimizer.decoupled_weight_decay`, `schedule.name =
"cosine"` with `schedule.warmup`, and the ResNet builder option `model.options.stochastic_depth`.
"""

from __future__ import annotations

import keras

from cnnapp.recipes import Recipe
from cnnapp.runs import RunDir


def _soft(y_true, y_pred) -> bool:
    """Whether `y_true` holds class weights (MixUp, CutMix) rather than integer labels."""
    return len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == y_pred.shape[-1] != 1


def _as_labels(y_true, y_pred):
    return keras.ops.argmax(y_true, axis=-1) if _soft(y_true, y_pred) else y_true


class SoftTargetCrossentropy(keras.losses.Loss):
    """Cross-entropy of probabilities against integer labels or class weights, with label smoothing.

    Integer labels (validation, unmixed batches) are one-hot encoded first; mixed batches bring their
    weights. Smoothing then moves every target towards uniform: t ← (1 − ε)·t + ε/K.
    """

    def __init__(self, smoothing: float = 0.0, name: str = "crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.smoothing = float(smoothing)

    def call(self, y_true, y_pred):
        if not _soft(y_true, y_pred):
            labels = keras.ops.cast(keras.ops.reshape(y_true, [-1]), "int32")
            y_true = keras.ops.one_hot(labels, y_pred.shape[-1])
        return keras.losses.categorical_crossentropy(y_true, y_pred, label_smoothing=self.smoothing)

    def get_config(self):
        return {**super().get_config(), "smoothing": self.smoothing}


def soft_target_metrics(k: int) -> list[keras.metrics.Metric]:
    """Top-1 (`accuracy`) and top-k (`top5`) accuracy for integer labels or class weights (whose largest
    weight is the label: the image that covers most of a mixed one)."""

    def accuracy(y_true, y_pred):
        return keras.metrics.sparse_categorical_accuracy(_as_labels(y_true, y_pred), y_pred)

    def top_k(y_true, y_pred):
        return keras.metrics.sparse_top_k_categorical_accuracy(_as_labels(y_true, y_pred), y_pred, k=k)

    return [
        keras.metrics.MeanMetricWrapper(accuracy, "accuracy"),
        keras.metrics.MeanMetricWrapper(top_k, "top5"),
    ]


class TopCheckpoints:
    """Keeps `checkpoints/top-EPOCH.keras` for the k epochs of lowest (validation error, validation loss).

    Ties go to the earlier epoch. Its state (the kept epochs and their scores) is in the resume state, so a
    resumed run keeps the same files.
    """

    def __init__(self, run: RunDir, k: int):
        self.run, self.k = run, int(k)
        self.kept: list[tuple[float, float, int]] = []

    @staticmethod
    def name(epoch: int) -> str:
        return f"top-{epoch:04d}"

    def update(self, epoch: int, error: float | None, loss: float, save) -> None:
        """After epoch `epoch` (1-based): `save(which)` writes checkpoint `which` if the epoch enters."""
        if not self.k or error is None:
            return
        entry = (float(error), float(loss), int(epoch))
        kept = sorted([e for e in self.kept if e[2] != epoch] + [entry])[: self.k]
        if entry in kept:
            save(self.name(epoch))
        for dropped in set(self.kept) - set(kept):
            self.run.checkpoint_file(self.name(dropped[2])).unlink(missing_ok=True)
        self.kept = kept

    def state(self) -> list[list]:
        return [list(entry) for entry in self.kept]

    def restore(self, state) -> None:
        self.kept = [(float(e), float(loss), int(n)) for e, loss, n in state or []]

    def report(self) -> list[dict]:
        return [
            {"epoch": n, "validation_error": e, "checkpoint": f"checkpoints/{self.name(n)}.keras"}
            for e, _, n in self.kept
        ]


def used(recipe: Recipe) -> dict:
    """The tricks of a run and their values (off: 0 or false), for run.json and the ablation table."""
    batch = recipe.batch_augment
    return {
        "label_smoothing": recipe.train.label_smoothing,
        "mixup_alpha": batch.mixup_alpha,
        "cutmix_alpha": batch.cutmix_alpha,
        "randaugment_ops": batch.randaugment_ops,
        "augmix": batch.augmix,
        "random_erasing": batch.random_erasing,
        "ema": recipe.optimizer.ema,
        "adamw": recipe.optimizer.name == "adamw",
        "decoupled_weight_decay": recipe.optimizer.decoupled_weight_decay,
        "cosine": recipe.schedule.name == "cosine",
        "warmup": recipe.schedule.warmup,
        "stochastic_depth": float(recipe.model.options.get("stochastic_depth", 0.0)),
        "keep_top_k": recipe.train.keep_top_k,
    }


def raw_and_averaged(session, batches) -> dict:
    """The last epoch's raw weights against their Polyak averages, scored on the validation and test splits:
    {"raw": {...}, "ema": {...}}, top-1 accuracy and calibration error of each.

    Keras's `fit` ends by writing the averages over the weights (`finalize_variable_values`), so the raw
    ones come from the resume state, saved after the last epoch; the model's variables are put back after.
    """
    from cnnapp.training import evaluation
    from cnnapp.training.state import averaged_weights, load_model_variables

    model = session.model

    def scored():
        out = {}
        for split, ds in batches.items():
            probs, labels = evaluation.probabilities(session.inference, ds)
            scores = evaluation.scores(probs, labels)
            out[f"{split}_top1_accuracy"] = scores["top1_accuracy"]
            out[f"{split}_ece"] = scores["ece"]
        return out

    kept = [v.numpy() for v in model.variables]
    try:
        load_model_variables(session.run.state_file, model)
        raw = scored()
        with averaged_weights(model.optimizer):
            ema = scored()
    finally:
        for variable, value in zip(model.variables, kept, strict=True):
            variable.assign(value)
    return {"raw": raw, "ema": ema}
