"""A small fuzz pass: random recipe values and damaged image files end in a one-line error or a right result.

Seeded, so a failure reproduces; a few hundred cases in a few seconds (no training, no model but a tiny one).
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from cnnapp.errors import CnnappError
from cnnapp.recipes import SECTIONS, load_recipe

VALUES = [
    "-1", "0", "1", "3", "1e23", str(10**30), "-0.5", "0.5", "nan", "inf", "-inf", "true", '""', '"../x"',
    '"/abs"', '"\\u001b]0;x\\u0007"', "[]", "[1, 2]", '["flip"]', "[-1.0]", '{a = 1}', '"adam"', '"test"',
    '"holdout"', "2.5",
]  # fmt: skip


def _keys() -> list[str]:
    import dataclasses

    from cnnapp.data.config import DataConfig

    keys = []
    for section, cls in SECTIONS.items():
        keys += [
            f"{section}.{f.name}" for f in dataclasses.fields(cls) if f.name not in ("pipeline", "options")
        ]
    keys += [f"data.{f.name}" for f in dataclasses.fields(DataConfig)]
    return [*keys, "name", "description"]


def test_random_recipe_values_load_or_fail_in_one_line(tmp_path):
    rng = np.random.default_rng(0)
    keys = _keys()
    loaded = refused = 0
    for i in range(400):
        count = 1 + int(rng.integers(2))
        overrides = [
            f"{keys[rng.integers(len(keys))]}={VALUES[rng.integers(len(VALUES))]}" for _ in range(count)
        ]
        try:
            recipe = load_recipe("lenet5-digits", overrides)
        except CnnappError as error:
            assert "\n" not in str(error) and str(error), overrides
            assert "\x1b" not in str(error), (overrides, str(error))
            refused += 1
            continue
        saved = tmp_path / f"{i}.toml"  # a recipe that loads is written to its run folder and read back
        saved.write_text(recipe.to_toml())
        assert load_recipe(saved).to_dict() == {**recipe.to_dict(), "name": recipe.name}, overrides
        loaded += 1
    assert loaded > 20 and refused > 200, (loaded, refused)  # both outcomes are exercised


def _encoded(fmt: str, shape=(24, 24, 3), mode: str | None = None) -> bytes:
    from PIL import Image

    image = Image.fromarray(np.random.default_rng(1).integers(0, 256, shape, np.uint8))
    if mode:
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def _damaged(rng) -> list[tuple[str, bytes]]:
    cases = [("random.png", rng.integers(0, 256, int(rng.integers(1, 600)), np.uint8).tobytes())]
    for fmt, suffix, mode in (
        ("PNG", "png", None),
        ("JPEG", "jpg", None),
        ("BMP", "bmp", "P"),
        ("GIF", "gif", None),
    ):
        data = _encoded(fmt, mode=mode)
        cut = int(rng.integers(1, len(data)))
        flipped = bytearray(data)
        for index in rng.integers(8, len(data), 4):
            flipped[index] ^= 0xFF
        cases += [
            (f"cut.{suffix}", data[:cut]),
            (f"flipped.{suffix}", bytes(flipped)),
            (f"whole.{suffix}", data),
        ]
    return cases


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory):
    from cnnapp.deploy.classifier import load_classifier
    from tests.reliability.fault_rows import keras_model

    return load_classifier(keras_model(tmp_path_factory.mktemp("fuzz"), "softmax"))


def test_damaged_images_are_read_right_or_refused_in_one_line(tmp_path, tiny_classifier):
    from cnnapp.data.images import header
    from cnnapp.deploy.classifier import read_image

    rng = np.random.default_rng(2)
    outcomes, read = {"read": 0, "refused": 0}, []
    for round_ in range(2):
        for name, data in _damaged(rng):
            path = tmp_path / f"{round_}-{name}"
            path.write_bytes(data)
            header(str(path))  # a folder load reads headers only: it never raises on garbage
            try:
                pixels = read_image(path, tiny_classifier.input_shape)
            except CnnappError as error:
                assert (
                    "\n" not in str(error)
                    and "is not a readable image" in str(error)
                    or "pixels" in str(error)
                )
                outcomes["refused"] += 1
                continue
            assert pixels.shape == (8, 8, 1) and np.all((pixels >= 0) & (pixels <= 255))
            read.append(pixels)
            outcomes["read"] += 1
    assert np.allclose(tiny_classifier.predict(np.stack(read)).sum(axis=-1), 1, atol=1e-4)
    assert outcomes["read"] >= 8 and outcomes["refused"] >= 4, outcomes  # the whole files at least read


@pytest.mark.parametrize("width, height", [(100_000, 100_000), (65_535, 65_535), (2**31 - 1, 1)])
def test_huge_dimensions_are_refused_before_any_decode(tmp_path, tiny_classifier, width, height):
    import struct
    import zlib

    from cnnapp.deploy.classifier import read_image

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    path = tmp_path / "huge.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk)
    with pytest.raises(CnnappError, match="more than cnnapp reads"):
        read_image(path, tiny_classifier.input_shape)
