"""The modern training tricks' pieces the training core plugs in: the top-k checkpoints, the Polyak averages
evaluated against the raw weights, and the list of tricks a run used.

The tricks themselves are recipe values (docs/modern-training.md): `train.label_smoothing`, the
`[batch_augment]` section (RandAugment, AugMix, random erasing, MixUp, CutMix: `cnnapp.data.mixing`),
`optimizer.ema`, `optimizer.name = "adamw"` with `optimizer.decoupled_weight_decay`, `schedule.name =
"cosine"` with `schedule.warmup`, and the ResNet builder option `model.options.stochastic_depth`. The
soft-target loss and metrics of smoothing and MixUp/CutMix are the classifier task's
(`cnnapp.tasks.classification`).
"""

from __future__ import annotations

from cnnapp.recipes import Recipe
from cnnapp.runs import RunDir


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
        "mix_switch": batch.mix_switch,
        "randaugment_ops": batch.randaugment_ops,
        "randaugment_factor": batch.randaugment_factor,
        "augmix": batch.augmix,
        "augmix_factor": batch.augmix_factor,
        "random_erasing": batch.random_erasing,
        "ema": recipe.optimizer.ema,
        "ema_momentum": recipe.optimizer.ema_momentum,
        "adamw": recipe.optimizer.name == "adamw",
        "lr": recipe.optimizer.lr,
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
    from cnnapp import evaluation
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
