"""The world evaluation: an export read as a phone app reads it, on inputs as people have them.

    results = evaluate_world(Path("export/lenet5-phone"))     # float32 and int8 side by side
    write_world(results, Path("export/lenet5-phone"))         # world.json and world.md beside the reports

Five numbers per export, every image through MediaPipe Tasks' `ImageClassifier` on the exported file (the SDK
resizes the frame to the model's input itself), an answer counting only when its score is at least MIN_SCORE:
1. white on black: the validation digits as MNIST has them (28×28, white ink on black);
2. ink on paper: the same digits dark on white (28×28), as anyone writes them;
3. camera-like: 224×224 photos of them by `camera.CAMERA_LIKE` (tinted paper, digit at 40-70% of the frame
   height, a little rotated and off centre, uneven light, noise, blur, JPEG 60-95);
4. harder photos: by `camera.HARDER` (digit at 25-45%, ruled or squared paper, perspective, motion blur, a
   soft shadow, JPEG 30-60);
5. refused: 224×224 frames with no digit (letters, scribbles, blank, ruled and squared paper, textures,
   noise), refused when the top label is `none` or its score is under MIN_SCORE.
The digits are mnist4k's validation split only (never trained on); the seeds differ from training's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from cnnapp import atomic
from cnnapp.choices import VALIDATION
from cnnapp.deploy.refusal import MIN_SCORE, NONE  # the rule the world scores by
from cnnapp.errors import CnnappError

DATASET = "mnist4k"
PHOTO_SIZE = 224
SEED = 2024  # the world's photos; training draws from (run seed, epoch)
SETS = {
    "white_on_black": "white on black (MNIST as it is)",
    "ink_on_paper": "ink on paper",
    "camera_like": "camera-like photos",
    "harder": "harder photos",
    "refused": "non-digit frames refused",
}
FILE = "world"  # world.json, world.md


def validation_digits(limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """mnist4k's validation digits (N, 28, 28, 1) float32 and labels; `limit` keeps the same share of
    every class."""
    from cnnapp.data import load_dataset

    ds = load_dataset(DATASET).split(VALIDATION)
    images, labels = (np.stack(a) for a in zip(*ds.as_numpy_iterator(), strict=True))
    if limit:
        keep = np.sort(np.concatenate([np.flatnonzero(labels == c)[: limit // 10] for c in range(10)]))
        images, labels = images[keep], labels[keep]
    return images.astype(np.float32), labels.astype(np.int32)


def world_inputs(limit: int | None = None, batch: int = 100) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The five sets as uint8 RGB frames and labels (refused: label -1), from the validation digits."""
    import tensorflow as tf

    from cnnapp.data import camera

    digits, labels = validation_digits(limit)
    steps = tuple(s for s in camera.CAMERA_STEPS if s != "negatives")

    def frames(make) -> np.ndarray:
        out = []
        for start in range(0, len(digits), batch):
            seed = tf.constant([SEED, start], tf.int64)
            out.append(np.clip(np.round(make(tf.constant(digits[start : start + batch]), seed)), 0, 255))
        return np.concatenate(out).astype(np.uint8)

    def photo(cam):
        shoot = tf.function(lambda ink, seed: camera.photos(ink, cam, seed, PHOTO_SIZE, steps))
        return lambda ink, seed: shoot(ink, seed).numpy()

    @tf.function
    def blank(ink, seed):
        half = tf.shape(ink)[0] // 2  # half photographed like the camera-like set, half like the harder one
        like = camera.negatives(half, PHOTO_SIZE, camera.CAMERA_LIKE, seed)
        harder = camera.negatives(tf.shape(ink)[0] - half, PHOTO_SIZE, camera.HARDER, seed + 1)
        return tf.concat([like, harder], axis=0)

    def refused(ink, seed):
        return blank(ink, seed).numpy()

    white = np.repeat(digits, 3, axis=-1).astype(np.uint8)
    return {
        "white_on_black": (white, labels),
        "ink_on_paper": (255 - white, labels),
        "camera_like": (frames(photo(camera.CAMERA_LIKE)), labels),
        "harder": (frames(photo(camera.HARDER)), labels),
        "refused": (frames(refused), np.full(len(labels), -1, np.int32)),
    }


def sdk_answers(content: bytes, images: np.ndarray) -> list[tuple[str, float]]:
    """(top category name, score) of each uint8 RGB frame (or `mediapipe.Image`) through MediaPipe's
    ImageClassifier."""
    import mediapipe as mp
    from mediapipe.tasks.python import vision
    from mediapipe.tasks.python.core.base_options import BaseOptions

    options = vision.ImageClassifierOptions(
        base_options=BaseOptions(model_asset_buffer=content), max_results=1
    )
    answers = []
    with vision.ImageClassifier.create_from_options(options) as classifier:
        for image in images:
            if not isinstance(image, mp.Image):
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image))
            top = classifier.classify(image).classifications[0].categories[0]
            answers.append((top.category_name, float(top.score)))
    return answers


def sdk_answers_of(content: bytes, image) -> tuple[str, float]:
    """(top category name, score) of one `mediapipe.Image` (any format the SDK reads from a file)."""
    return sdk_answers(content, [image])[0]


def score(answers, labels: np.ndarray, names) -> float:
    """The share of right answers: the true digit at MIN_SCORE or more, or (label -1) a refusal."""
    right = 0
    for (name, top), label in zip(answers, labels, strict=True):
        confident = top >= MIN_SCORE
        if label < 0:
            right += name == NONE or not confident
        else:
            right += name == names[label] and confident
    return right / len(labels)


def evaluate_file(path: Path, inputs: dict) -> dict:
    """The five numbers of one .tflite, with its size and LiteRT latency."""
    from cnnapp.deploy import calibration, metadata, runtime

    content = path.read_bytes()
    info = metadata.read_metadata(content)
    if not info or not info.get("labels"):
        raise CnnappError(
            f"{path} has no labels in its metadata; export it again with python -m cnnapp.export"
        )
    names = tuple(info["labels"])
    lite = runtime.LiteModel(content, num_threads=1)
    sample = np.full(lite.input_shape, 128.0, np.float32)  # latency does not depend on the pixels
    latency = lite.latency_ms(sample, runs=50)["median"]
    row = {"file": path.name, "bytes": len(content), "latency_ms": round(latency, 4)}
    row["refusal_class"] = NONE in names
    scores, right = [], []
    for key, (images, labels) in inputs.items():
        answers = sdk_answers(content, images)
        row[key] = round(100 * score(answers, labels, names), 2)
        scores += [top for _, top in answers]
        truth = [names[label] if label >= 0 else NONE for label in labels]
        right += [name == want for (name, _), want in zip(answers, truth, strict=True)]
    # How honest the top score is over all five sets (the refused set's right answer is `none`).
    row["ece"] = round(calibration.top_answer_ece(np.array(scores), np.array(right)), 4)
    return row


def evaluate_world(
    folder: Path, tags=("float32", "int8"), limit: int | None = None, inputs: dict | None = None
) -> dict:
    """The world evaluation of the exports `<tag>.tflite` in `folder` (on `inputs` when given: the five
    sets `world_inputs(limit)` makes, made once for many folders)."""
    files = [folder / f"{tag}.tflite" for tag in tags]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise CnnappError(
            f"{folder} has no {', '.join(missing)}; export them first: python -m cnnapp.export RUN "
            f"--out {folder} --compare {' '.join(tags)}"
        )
    inputs = inputs if inputs is not None else world_inputs(limit)
    rows = [evaluate_file(f, inputs) for f in files]
    notes = []
    if not all(r["refusal_class"] for r in rows):
        notes.append(
            f"no `{NONE}` class: a frame counts as refused only when the top score is under {MIN_SCORE}"
        )
    counts = {key: int(len(labels)) for key, (_, labels) in inputs.items()}
    return {
        "folder": folder.name,
        "dataset": f"{DATASET} validation split (never trained on)",
        "client": "MediaPipe Tasks ImageClassifier (mediapipe python), CPU",
        "rule": {"label": NONE, "min_score": MIN_SCORE},
        "photo_size": PHOTO_SIZE,
        "images": counts,
        "sets": SETS,
        "exports": rows,
        "notes": notes,
    }


def markdown(results: dict) -> str:
    """The results as a Markdown table: one row per export."""
    keys = list(SETS)
    head = "| export | bytes | LiteRT latency (ms, 1 thread) | " + " | ".join(SETS[k] for k in keys)
    head += " | calibration error (ECE, all sets) |"
    lines = [
        f"# World evaluation: {results['folder']}",
        "",
        f"Inputs from the {results['dataset']}, read by {results['client']}; an answer counts at a score of "
        f"{results['rule']['min_score']} or more, a frame is refused when the top label is "
        f"`{results['rule']['label']}` or its score is lower. Images per set: "
        + ", ".join(f"{k} {v}" for k, v in results["images"].items())
        + ".",
        "",
        head,
        "|" + "---|" * (4 + len(keys)),
    ]
    for row in results["exports"]:
        cells = [
            row["file"],
            f"{row['bytes']:,}",
            f"{row['latency_ms']:.3f}",
            *(f"{row[k]:.2f}%" for k in keys),
            f"{row['ece']:.3f}" if "ece" in row else "—",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *(f"Note: {n}" for n in results["notes"])]
    return "\n".join(lines).rstrip() + "\n"


def write_world(results: dict, folder: Path) -> tuple[Path, Path]:
    """world.json and world.md in `folder` (atomically)."""
    json_path, md_path = folder / f"{FILE}.json", folder / f"{FILE}.md"
    atomic.write_json(json_path, results)
    atomic.write_text(md_path, markdown(results))
    return json_path, md_path


class RunWorld:
    """`RunWorld(task, limit)(run_dir)`: a finished classification run's int8 export (in its export/
    folder, made by the project's export when missing) and that export's world numbers (`world.json` there,
    reused when present); the inputs are made once, on the first run that needs them. The ablation's world
    columns (cnnapp.training.ablation.run's `world`). `task` is the runs' (`cnnapp.tasks.classification
    .task()`), given from above: the export pipeline scores by it, and deploy sits below tasks."""

    def __init__(self, task, limit: int | None = None, mode: str = "int8"):
        self.task, self.limit, self.mode, self._inputs = task, limit, mode, None

    def __call__(self, run_dir: Path) -> dict:
        from cnnapp.runs import RunDir

        folder = RunDir(run_dir).export_dir
        done = folder / f"{FILE}.json"
        if done.is_file() and load_world(folder).get("limit") == self.limit:
            (row,) = load_world(folder)["exports"]
            return row
        file = folder / f"{self.mode}.tflite"
        if not file.is_file():
            from cnnapp.deploy.exporter import Options, export
            from cnnapp.deploy.subject import load_subject

            export(load_subject(run_dir, self.task), [Options(mode=self.mode)], folder)
        if self._inputs is None:
            self._inputs = world_inputs(self.limit)
        results = {**evaluate_world(folder, (self.mode,), self.limit, self._inputs), "limit": self.limit}
        write_world(results, folder)
        return results["exports"][0]


def load_world(folder: Path) -> dict:
    """A folder's world.json."""
    return json.loads((folder / f"{FILE}.json").read_text())


def comparison_table(folders) -> str:
    """One Markdown table of several folders' committed world.json: every export, its five numbers, bytes
    and latency (docs/phone.md's results table is this, generated, never typed)."""
    keys = list(SETS)
    lines = [
        "| model | export | bytes | latency ms | " + " | ".join(SETS[k] for k in keys) + " | ECE |",
        "|" + "---|" * (5 + len(keys)),
    ]
    for folder in folders:
        results = load_world(Path(folder))
        for row in results["exports"]:
            cells = [results["folder"], row["file"].removesuffix(".tflite"), f"{row['bytes']:,}"]
            cells += [f"{row['latency_ms']:.3f}", *(f"{row[k]:.2f}%" for k in keys)]
            cells.append(f"{row['ece']:.3f}" if "ece" in row else "—")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


TABLE_START, TABLE_END = "<!-- world-table: generated from export/*/world.json -->", "<!-- /world-table -->"


def refresh_table(doc: Path, folders) -> str:
    """`doc` with the text between TABLE_START and TABLE_END replaced by `comparison_table(folders)`."""
    text = doc.read_text()
    head, rest = text.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    return f"{head}{TABLE_START}\n{comparison_table(folders)}{TABLE_END}{tail}"
