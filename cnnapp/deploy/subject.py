"""What an export starts from: a trained Keras 3 model, its class names, its data, and how to build its twin.

    subject = load_subject("runs/lenet5-digits", task)    # a run folder (or its checkpoints/best.keras)
    subject = load_subject("model.keras", task, dataset="digits")  # a bare model: data, labels by dataset

`task` is the run's task (`cnnapp.tasks.of(run.meta)`; a bare model's: `cnnapp.tasks.of_output`), chosen by
the command: it builds the tf_keras twin and says what the export's metadata and score are.

Images come through the run's own recipe pipeline without augmentation (`evaluation_pipeline`), so the
representative (calibration) set, the fine-tuning set and the test set look exactly like what the model saw.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cnnapp import fingerprint
from cnnapp.choices import TRAIN, VALIDATION
from cnnapp.deploy.refusal import refusal_rule
from cnnapp.errors import CnnappError, unknown
from cnnapp.paths import read_utf8


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
        description: what the model does, for the file's metadata (the recipe's description).
        dataset: the dataset it was trained on (names its licence in the metadata).
        grey_front: whether `model` and the twin got the RGB→grey front (cnnapp.deploy.front): the model
            takes RGB and `load_split` gives RGB, while the run itself was trained on grey images.
        front: the run's `data.front`: "camera" (trained behind the ink front: its RGB model gets the ink
            front, its calibration images are camera photos) or "none".
        trained: what the run was, for the file's metadata ("lenet5 trained on mnist4k (3200 images)").
        refusal: the app's rule for "no digit", {"label": "none", "min_score": 0.5}, when the model has a
            refusal class (trained on the `negatives` step), else None.
        calibration: the temperature folded into the model's softmax layer and the expected calibration
            error before and after (cnnapp.deploy.calibration), or None when the model was not calibrated.
        task: the model's task (`cnnapp.tasks`): its export metadata and score.
        warnings: lines the export's report and the command give loudly: the run's data changed since it
            trained (`cnnapp.fingerprint.stale_data_warning`), so the export's scores are not the run's.
    """

    name: str
    model: object
    class_names: tuple[str, ...]
    load_split: Callable[[str, int | None], tuple[np.ndarray, np.ndarray]] | None = None
    build_twin: Callable[[], object] | None = None
    batch_size: int = 32
    source: str = ""
    description: str = ""
    dataset: str = ""
    grey_front: bool = False
    front: str = "none"
    refusal: dict | None = None
    task: object = None
    checkpoint: str = ""  # a run's checkpoint exported ("best", "last")
    architecture: str = ""  # a run's architecture (a segmenter's backbone)
    trained: str = ""
    calibration: dict | None = None
    warnings: tuple[str, ...] = ()

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


def load_subject(
    path: str | Path, task, dataset: str | None = None, which: str = "best", input_channels: str = "rgb"
) -> Subject:
    """The subject at `path`: a run folder, a run's checkpoint, or a bare `.keras` file (then `dataset` names
    its data and class names).

    `input_channels="rgb"` (the default) gives a grey model the RGB→grey front, so its exports take the
    H×W×3 images of a camera; "native" keeps the model's own input channels.
    """
    from cnnapp import models, runs
    from cnnapp.deploy.front import INPUT_CHANNELS

    if input_channels not in INPUT_CHANNELS:
        raise unknown("input channels", input_channels, INPUT_CHANNELS)
    path = Path(path)
    ref = runs.from_any(path, which)  # a run folder or its checkpoint (else a bare model file)
    if ref.run is not None:
        subject = _from_run(path, which, dataset, task)
    else:
        subject = _from_model(path, models.load(path), dataset)
    subject = dataclasses.replace(subject, task=task)
    return with_rgb_input(subject) if input_channels == "rgb" else subject


def with_rgb_input(subject: Subject) -> Subject:
    """`subject` with the RGB→grey front on its model and twin, and its images given as RGB (R = G = B).

    A model that already takes 3 channels is returned as it is.
    """
    from cnnapp.deploy.front import needs_front, with_grey_front

    if not needs_front(subject.model):
        return subject
    import keras

    build_twin, load_split = subject.build_twin, subject.load_split
    kind = "camera" if subject.front == "camera" else "grey"

    def rgb_twin():
        import tf_keras

        return with_grey_front(build_twin(), tf_keras, kind)

    def rgb_split(split, limit=None):
        images, labels = load_split(split, limit)
        if kind == "camera" and split == TRAIN:  # calibrate the ink front on what a phone will give it
            return camera_photos(images, labels, subject.refusal is not None), labels
        return np.repeat(images, 3, axis=-1), labels

    model = with_grey_front(subject.model, keras, kind)
    calibration = subject.calibration
    if kind == "camera" and subject.refusal is not None and load_split is not None:
        calibration = calibrate_on_photos(
            model, load_split, subject.class_names.index(subject.refusal["label"])
        )
    return dataclasses.replace(
        subject,
        model=model,
        calibration=calibration,
        build_twin=rgb_twin if build_twin is not None else None,
        load_split=rgb_split if load_split is not None else None,
        grey_front=True,
    )


# The validation photos temperature scaling is fitted on: their own seed (training's are (run seed, epoch);
# the world evaluation's photos are by other cameras and seeds).
CALIBRATION_SEED = (7, 24)


def calibrate_on_photos(model, load_split, none_label: int) -> dict:
    """Fit `model`'s temperature (in place) on the validation digits as the training camera's photos, a fifth
    of them frames with no digit labelled `none_label`: the scores a phone app reads are then honest."""
    import tensorflow as tf

    from cnnapp.data import camera
    from cnnapp.deploy import calibration

    images, labels = load_split(VALIDATION, None)
    frames, labels = camera.augment_batch(
        tf.constant(images), tf.constant(labels), tuple(camera.CAMERA_STEPS), 0.2, none_label,
        tf.constant(CALIBRATION_SEED, tf.int64),
    )  # fmt: skip
    result = calibration.calibrate(model, frames.numpy(), labels.numpy())
    return {**result, "fitted_on": "the validation digits as training-camera photos, a fifth no-digit frames"}


def camera_photos(images: np.ndarray, labels: np.ndarray, negatives: bool) -> np.ndarray:
    """White-on-black digits (N, H, W, 1) as the training camera's photos (N, H, W, 3), a fifth of them
    frames with no digit when the model refuses (a fixed seed: the same calibration every export)."""
    import tensorflow as tf

    from cnnapp.data import camera

    steps = (
        tuple(camera.CAMERA_STEPS) if negatives else tuple(s for s in camera.CAMERA_STEPS if s != "negatives")
    )
    frames, _ = camera.augment_batch(
        tf.constant(images), tf.constant(labels), steps, 0.2, 0, tf.constant([0, 24], tf.int64)
    )
    return frames.numpy()


def _from_run(path: Path, which: str, dataset: str | None, task) -> Subject:
    import tf_keras

    from cnnapp import runs

    run = runs.load_run(path)
    model = run.model(which) if path.is_dir() else _load(path)
    if any(layer.dtype_policy.compute_dtype != "float32" for layer in model.layers):
        # Trained in mixed precision (bfloat16 or float16 compute, float32 weights): TFLite converts float32
        # graphs only, so the same graph is built in float32 and given the same weights.
        import keras

        float32 = task.build_model(run.meta.to_dict(), keras)
        float32.set_weights(model.get_weights())
        model = float32
    data = run.recipe.data
    name = dataset or data.dataset
    names = tuple(run.meta["class_names"])
    # On its own data, loaded once here (the export reads it anyway): is it still what the run trained on?
    run_data = task.load_data(run.recipe) if name == data.dataset else None
    stale = run_data and fingerprint.stale_data_warning(
        run.path, run.meta.get("fingerprint"), run_data.info.identity
    )
    return Subject(
        name=run.recipe.name,
        model=model,
        class_names=names,
        # The task's loader: a classifier's own classes (data.classes), relabelled as in training, so it is
        # scored on the labels it learnt; a segmenter's (image, mask) pairs. Raw images: the run's front
        # goes into the model (with_rgb_input), not into its data.
        load_split=task.export_loader(run, dataset, run_data),
        build_twin=lambda: task.build_model(run.meta.to_dict(), tf_keras),
        batch_size=int(run.recipe.train.batch_size),
        source=str(path),
        description=run.recipe.description,
        dataset=name,
        front=data.pipeline.front,
        refusal=refusal_rule(names) if "negatives" in data.pipeline.augment else None,
        trained=_trained(run, name),
        checkpoint=which,
        architecture=run.meta.architecture,
        warnings=(stale,) if stale else (),
    )


def _trained(run, dataset: str) -> str:
    meta = run.meta.to_dict() if hasattr(run.meta, "to_dict") else dict(run.meta)
    size = (meta.get("sizes") or {}).get(TRAIN)
    images = f" ({size} training images)" if size else ""
    extra = (
        " and frames with no digit made by cnnapp" if "negatives" in run.recipe.data.pipeline.augment else ""
    )
    return f"{meta['architecture']} trained by cnnapp on {dataset}{images}{extra}"


def _load(path: Path):
    from cnnapp import models

    return models.load(path)


def _from_model(path: Path, model, dataset: str | None) -> Subject:
    from cnnapp.data import DataConfig, class_names

    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise CnnappError(
            f"{path} has {len(model.inputs)} input(s) and {len(model.outputs)} outputs; export takes one "
            "image in and one output: save keras.Model(model.inputs, model.outputs[0]) and export that"
        )
    if None in model.input_shape[1:]:
        raise CnnappError(f"{path} takes images of any size {model.input_shape}; export needs a fixed size")
    height, width, channels = (int(d) for d in model.input_shape[1:])
    beside = path.parent / "labels.txt"
    if beside.is_file():
        names = tuple(line for line in read_utf8(beside, "labels file").splitlines() if line)
    elif dataset:
        names = class_names(dataset)
    else:
        names = tuple(str(i) for i in range(int(model.output_shape[-1])))
    loader = None
    if dataset:
        loader = split_loader(dataset, None, DataConfig(image_size=height, channels=channels))
    return Subject(
        name=path.stem,
        model=model,
        class_names=names,
        load_split=loader,
        source=str(path),
        dataset=dataset or "",
    )


def run_loader(recipe, config, load_data, run_data=None) -> Callable:
    """load_split(split, limit) of a run's own data: the splits it trained on, from the run-data loader
    (`load_data(recipe)`, the task's `load_run_data`: data.classes relabelled as in training, data.limit,
    data.per_class, the held-out validation), through the evaluation pipeline (no augmentation).

    Post-training calibration takes "train": the representative images only set activation ranges, and the
    training images (without the held-out part) are the widest sample of what the model saw. The held-out
    validation stays for what is fitted and checked on unseen images (the refusal threshold), and the test
    split only scores, so no score is measured on an image that tuned the export. `run_data`: the run's
    data already loaded, else loaded when first needed.
    """
    cache: dict = {} if run_data is None else {"splits": run_data}

    def load_split(split: str, limit: int | None = None):
        if "splits" not in cache:
            cache["splits"] = load_data(recipe)
        return _arrays(
            getattr(cache["splits"], split), config, limit, f"the {split} split of {recipe.data.dataset}"
        )

    return load_split


def split_loader(dataset: str, data_dir: str | None, config, classes=()) -> Callable:
    """load_split(split, limit) for a named dataset (a bare model, or a run scored on another dataset),
    through the evaluation pipeline (no augmentation); `classes` keeps only those, relabelled 0.. in that
    order."""
    cache: dict = {}

    def load_split(split: str, limit: int | None = None):
        from cnnapp.data import load_dataset, subsets

        if "source" not in cache:
            cache["source"] = load_dataset(dataset, data_dir)
        ds = cache["source"].split(split)
        if classes:
            ids = subsets.class_ids(cache["source"].info.class_names, classes)
            ds = subsets.relabel(subsets.only_classes(ds, ids)[0], ids)
        return _arrays(ds, config, limit, f"the {split} split of {dataset}")

    return load_split


def _arrays(ds, config, limit: int | None, what: str) -> tuple[np.ndarray, np.ndarray]:
    from cnnapp.data import evaluation_pipeline

    if limit:  # a seeded sample of the split, not its first images (which may be sorted by class)
        ds = ds.shuffle(10_000, seed=0).take(limit)
    images, labels = [], []
    for x, y in evaluation_pipeline(ds, config, 256):
        images.append(x.numpy())
        labels.append(y.numpy())
    if not images:
        raise CnnappError(f"{what} is empty")
    return np.concatenate(images).astype(np.float32), np.concatenate(labels).astype(np.int32)
