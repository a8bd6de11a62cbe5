"""Read a handwritten number from one photo: the ink map, the glue, the classifier on each digit.

    reader = NumberReader("export/lenet5-phone/int8.tflite")
    reading = reader.read(rgb)          # any H×W×{1,3,4} uint8
    reading.number                      # "2026"; "?" for a digit the classifier refuses; "" for no digit
    reading.digits                      # [(character, score, (x0, y0, x1, y1))], left to right

Both models run through MediaPipe Tasks as a phone app runs them: the ink map (`cnnapp.number.inkmap`) by
`ImageSegmenter`, every digit's crop by `ImageClassifier`. Any classifier export whose labels are the digits
(and `none`, its refusal class) is read through the same rule as the world evaluation: a top label `none` or
a score under 0.5 is a refused digit.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from cnnapp.deploy.refusal import MIN_SCORE, NONE  # the rule for a refused answer
from cnnapp.errors import CnnappError
from cnnapp.number import glue, inkmap

REFUSED = "?"
DIGITS = tuple("0123456789")


@dataclasses.dataclass
class Reading:
    """What the reader saw in one frame. `note` says why the number is empty."""

    number: str
    digits: list[tuple[str, float, tuple[int, int, int, int]]]
    note: str = ""


def classifier_file(model: str | Path) -> Path:
    """The .tflite of MODEL: the file itself, `int8.tflite` in an export folder, or in a run's export/."""
    path = Path(model)
    if path.is_file():
        if path.suffix != ".tflite":
            raise CnnappError(f"{path} is not a .tflite; give an export folder or its int8.tflite")
        return path
    for candidate in (path / "int8.tflite", path / "export" / "int8.tflite"):
        if candidate.is_file():
            return candidate
    if path.is_dir():
        raise CnnappError(
            f"{path} holds no int8.tflite (nor export/int8.tflite); export the run first: python -m "
            f"cnnapp.export {path} --compare float32 int8"
        )
    raise CnnappError(f"no model at {path}; give a run folder, an export folder or a .tflite")


class DigitClassifier:
    """A classifier export through MediaPipe's ImageClassifier: crop → (label, score)."""

    def __init__(self, content: bytes):
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core.base_options import BaseOptions

        from cnnapp.deploy import metadata
        from cnnapp.deploy.runtime import LiteModel

        info = metadata.read_metadata(content) or {}
        labels = tuple(info.get("labels") or ())
        if not set(DIGITS) <= set(labels):
            raise CnnappError(
                "the model's labels are not the digits 0-9; give a digit classifier export (labels.txt in "
                "its metadata), e.g. export/lenet5-phone"
            )
        self.size = LiteModel(content).input_shape[0]
        options = vision.ImageClassifierOptions(
            base_options=BaseOptions(model_asset_buffer=content), max_results=1
        )
        self._classifier = vision.ImageClassifier.create_from_options(options)

    def classify(self, crop: np.ndarray) -> tuple[str, float]:
        import mediapipe as mp

        grey = np.clip(np.round(crop), 0, 255).astype(np.uint8)
        rgb = np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=-1))
        top = self._classifier.classify(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
        best = top.classifications[0].categories[0]
        return best.category_name, float(best.score)

    def close(self) -> None:
        self._classifier.close()


def answer(label: str, score: float) -> str:
    """A digit, or REFUSED when the classifier says `none` or is not sure."""
    return REFUSED if label == NONE or score < MIN_SCORE or label not in DIGITS else label


class NumberReader:
    """The number reader: `classifier` a .tflite, export folder or run folder; `ink` the ink map's bytes."""

    def __init__(self, classifier: str | Path, ink: bytes | None = None):
        self.classifier_path = classifier_file(classifier)
        self.classifier = DigitClassifier(self.classifier_path.read_bytes())
        self.ink = inkmap.InkMap(ink if ink is not None else inkmap.inkmap_tflite())

    def ink_of(self, image: np.ndarray) -> np.ndarray:
        return self.ink.run(glue.fit_frame(image))

    def read(self, image: np.ndarray) -> Reading:
        ink = self.ink_of(image)
        try:
            found = glue.read_digits(ink, self.classifier.classify, self.classifier.size)
        except glue.NotANumber as error:
            return Reading(
                "", [], f"not a number: {error.count} marks (a number has at most {glue.MAX_DIGITS})"
            )
        digits = [(answer(label, score), score, (p.x0, p.y0, p.x1, p.y1)) for p, label, score in found]
        note = "" if digits else "no digits in the frame"
        return Reading("".join(d[0] for d in digits), digits, note)

    def read_crops(self, crops) -> str:
        """The number the classifier reads from given crops (the world evaluation's perfect crops)."""
        return "".join(answer(*self.classifier.classify(c)) for c in crops)

    def close(self) -> None:
        self.classifier.close()
        self.ink.close()


def read_image_file(path: str | Path) -> np.ndarray:
    """An image file as H×W×3 uint8 RGB (EXIF orientation applied; transparency composited on white paper).

    Raises:
        CnnappError: no such file, or not an image Pillow can read.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                image = image.convert("RGBA")
                paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
                image = Image.alpha_composite(paper, image)
            return np.asarray(image.convert("RGB"))
    except FileNotFoundError:
        raise CnnappError(f"no image at {path}; give an image file (PNG, JPEG, BMP, GIF)") from None
    except (UnidentifiedImageError, OSError):
        raise CnnappError(
            f"cannot read image {path}: not an image file; give a PNG, JPEG, BMP or GIF"
        ) from None


def read_numbers(model: str | Path, images) -> dict[str, Reading]:
    """`cnnapp.predict --number`: {image path: Reading}, every file read before the first number."""
    from cnnapp import quiet

    quiet.start_tensorflow()
    paths = [str(images)] if isinstance(images, str | Path) else [str(p) for p in images]
    frames = [read_image_file(p) for p in paths]
    with quiet.hidden_output(False):
        reader = NumberReader(model)
        try:
            return {p: reader.read(f) for p, f in zip(paths, frames, strict=True)}
        finally:
            reader.close()


def print_numbers(model: str | Path, images) -> int:
    """Print PATH<TAB>NUMBER per image (a note on stderr when the number is empty)."""
    import sys

    from cnnapp.paths import printable

    for path, reading in read_numbers(model, images).items():
        print(f"{printable(path)}\t{reading.number}")
        if reading.note:
            print(f"note: {printable(path)}: {reading.note}", file=sys.stderr)
    return 0
