"""What an export starts from: a trained Keras 3 model, its class names, its data, and how to build its twin.

    subject = load_subject("runs/lenet5-digits")          # a run folder (or its checkpoints/best.keras)
    subject = load_subject("model.keras", dataset="digits")  # a bare model: data and labels by dataset name

Images come through the run's own recipe pipeline without augmentation (`evaluation_pipeline`), so the
representative (calibration) set, the fine-tuning set and the test set look exactly like what the model saw.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cnnapp.errors import CnnappError


@dataclasses.dataclass
class Subject:
    """A model to export and everything the export needs besides it.

    Attributes:
        name: a short name for reports ("lenet5-digits").
        model: the Keras 3 inference model: raw pixels in [0, 255] in (normalization inside),
            probabilities out.
        class_names: one name per output.
        load_split: `load_split(split, limit)` → (images float32 N×H×W×C in [0, 255], labels int32), or None
            when there is no data (then calibration and fine-tuning modes fail with a clear error).
        build_twin: a zero-argument function building the same graph in tf_keras (fresh weights), or None.
        batch_size: fine-tuning batch size (the recipe's).
        source: where the model came from (a path), for the report.
    """

    name: str
    model: object
    class_names: tuple[str, ...]
    load_split: Callable[[str, int | None], tuple[np.ndarray, np.ndarray]] | None = None
    build_twin: Callable[[], object] | None = None
    batch_size: int = 32
    source: str = ""

    def images(self, split: str, limit: int | None = None, need: str = "") -> tuple[np.ndarray, np.ndarray]:
        """Images and labels of `split`; `need` says what for, in the error when there is no data."""
        if self.load_split is None:
            raise CnnappError(
                f"{need or 'this step'} needs data and {self.name} has none: export a run folder "
                f"(its recipe's "
                f"data) or pass --dataset NAME"
            )
        return self.load_split(split, limit)

    def twin(self):
        """The tf_keras twin with this model's weights, for tfmot."""
        from cnnapp.deploy.optimize import make_twin

        if self.build_twin is None:
            raise CnnappError(
                f"QAT, pruning and clustering rebuild the model in tf_keras from its run's run.json; "
                f"{self.source or self.name} is not a run: export the run folder instead"
            )
        return make_twin(self.model, self.build_twin)


def load_subject(path: str | Path, dataset: str | None = None, which: str = "best") -> Subject:
    """The subject at `path`: a run folder, a run's checkpoint, or a bare `.keras` file (then `dataset` names
    its data and class names)."""
    from cnnapp import models, runs

    path = Path(path)
    if runs.from_any(path, which).run is not None:  # a run folder or its checkpoint (else a bare model file)
        return _from_run(path, which, dataset)
    model = models.load(path)
    return _from_model(path, model, dataset)


def _from_run(path: Path, which: str, dataset: str | None) -> Subject:
    import tf_keras

    from cnnapp import runs

    run = runs.load_run(path)
    model = run.model(which) if path.is_dir() else _load(path)
    data = run.recipe.data
    config = data.pipeline
    name = dataset or data.dataset
    return Subject(
        name=run.recipe.name,
        model=model,
        class_names=tuple(run.meta["class_names"]),
        load_split=_split_loader(name, data.data_dir or None, config),
        build_twin=lambda: runs.build_model(run.meta, tf_keras),
        batch_size=int(run.recipe.train.batch_size),
        source=str(path),
    )


def _load(path: Path):
    from cnnapp import models

    return models.load(path)


def _from_model(path: Path, model, dataset: str | None) -> Subject:
    from cnnapp.data import DataConfig, class_names

    if None in model.input_shape[1:]:
        raise CnnappError(f"{path} takes images of any size {model.input_shape}; export needs a fixed size")
    height, width, channels = (int(d) for d in model.input_shape[1:])
    beside = path.parent / "labels.txt"
    if beside.is_file():
        names = tuple(line for line in beside.read_text().splitlines() if line)
    elif dataset:
        names = class_names(dataset)
    else:
        names = tuple(str(i) for i in range(int(model.output_shape[-1])))
    loader = None
    if dataset:
        loader = _split_loader(dataset, None, DataConfig(image_size=height, channels=channels))
    return Subject(name=path.stem, model=model, class_names=names, load_split=loader, source=str(path))


def _split_loader(dataset: str, data_dir: str | None, config) -> Callable:
    """load_split(split, limit) for a named dataset, through the evaluation pipeline (no augmentation)."""
    cache: dict = {}

    def load_split(split: str, limit: int | None = None):
        from cnnapp.data import evaluation_pipeline, load_dataset

        if "source" not in cache:
            cache["source"] = load_dataset(dataset, data_dir)
        ds = cache["source"].split(split)
        if limit:  # a seeded sample of the split, not its first images (which may be sorted by class)
            ds = ds.shuffle(10_000, seed=0).take(limit)
        images, labels = [], []
        for x, y in evaluation_pipeline(ds, config, 256):
            images.append(x.numpy())
            labels.append(y.numpy())
        if not images:
            raise CnnappError(f"the {split} split of {dataset} is empty")
        return np.concatenate(images).astype(np.float32), np.concatenate(labels).astype(np.int32)

    return load_split
