"""The demo tests' shared subjects: small real TFLite models and a web folder with a placeholder runtime."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cnnapp.demo import runtime
from cnnapp.demo.model import DemoModel


@pytest.fixture(scope="module")
def plain_tflite(tmp_path_factory) -> Path:
    """A real TFLite image classifier without metadata, as TFLiteConverter writes it: 8×8×3 in, 3 classes."""
    import keras
    import tensorflow as tf

    model = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(3, "softmax")]
    )
    path = tmp_path_factory.mktemp("plain") / "plain.tflite"
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    return path


@pytest.fixture
def fake_web(tmp_path, monkeypatch) -> Path:
    """web/ with its lock file and an installed runtime whose files are placeholders (the real one runs in
    the browser tier)."""
    web = tmp_path / "web"
    web.mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy(runtime.WEB / name, web / name)
    package = runtime.installed_dir(web)
    for name in runtime.FILES:
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(f"placeholder {name}\n")
    (package / "package.json").write_text(
        json.dumps({"name": runtime.PACKAGE, "version": runtime.pinned_version(web)})
    )
    monkeypatch.setattr(runtime, "WEB", web)
    return web


@pytest.fixture(scope="module")
def segmenter_tflite(tmp_path_factory) -> Path:
    """A real TFLite image segmenter with MediaPipe's segmenter metadata: 8×8×3 in, 8×8×3 scores out."""
    import keras
    import tensorflow as tf

    from cnnapp.deploy.metadata import Info, with_metadata

    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1, activation="softmax")])
    content = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    info = Info("seg", "a segmenter", "float32", "tests", "none", ("paper", "ink", "edge"))
    path = tmp_path_factory.mktemp("seg") / "seg.tflite"
    path.write_bytes(with_metadata(content, info, segmenter=True))
    return path


@pytest.fixture(scope="module")
def plain_model(plain_tflite) -> DemoModel:
    """The plain model as the page would take it, metadata check skipped: to test the site writer alone."""
    return DemoModel(plain_tflite, ("cat", "dog", "bird"), (8, 8, 3), "float32", None)
