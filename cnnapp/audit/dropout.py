"""Dropout at test time: the lectures' rule (drop at training, multiply by the keep probability p at test)
against Keras's inverted dropout (divide by p at training, nothing at test), measured on a real model's layer.

    python -m cnnapp.audit.dropout                  # AlexNet's first dropout (small build), shipped digits
    python -m cnnapp.audit.dropout vgg11 --samples 50

Both keep a unit's expected output the same at training and at test: the mean activation entering the layer's
successor is measured with dropout on (over SAMPLES random masks) and off. The two rules differ only by the
constant p at both times, which the next layer's weights absorb.
"""

from __future__ import annotations

from collections.abc import Sequence

from cnnapp import cli
from cnnapp.errors import CnnappError, run_cli


def measure(name: str = "alexnet", samples: int = 20, images: int = 64, seed: int = 0) -> dict:
    """Mean activation after the first Dropout layer of architecture NAME (its small build) on the shipped
    test digits: Keras's inverted dropout and the lecture's rule, at training (SAMPLES masks) and test."""
    import keras
    import numpy as np
    import tensorflow as tf

    from cnnapp import models
    from cnnapp.paths import ASSETS

    arch = models.get(name)
    model = models.build(name, **dict(arch.small_options))
    drops = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    if not drops:
        raise CnnappError(f"{name} has no dropout layer; try alexnet, zfnet or vgg11")
    layer = drops[0]
    with np.load(ASSETS / "digits" / "digits.npz") as data:
        pixels = data["test_images"][:images].astype("float32")[..., None]
    height, width, channels = model.input_shape[1:]
    batch = tf.image.resize(pixels, (height, width)).numpy()
    batch = np.repeat(batch, channels, axis=-1) if channels != 1 else batch
    # a list, as model.inputs is: a bare array makes Keras warn that the structures differ
    entering = keras.Model(model.inputs, layer.input)([batch], training=False).numpy()
    keep = 1.0 - layer.rate
    rng = np.random.default_rng(seed)
    inverted_train = np.mean([layer(entering, training=True).numpy().mean() for _ in range(samples)])
    lecture_train = np.mean([(entering * (rng.random(entering.shape) < keep)).mean() for _ in range(samples)])
    return {
        "architecture": name,
        "layer": layer.name,
        "rate": float(layer.rate),
        "keep_probability": keep,
        "images": int(len(batch)),
        "samples": samples,
        "inverted": {
            "train": float(inverted_train),
            "test": float(layer(entering, training=False).numpy().mean()),
        },
        "lecture": {"train": float(lecture_train), "test": float(keep * entering.mean())},
    }


def render(result: dict) -> str:
    p = result["keep_probability"]
    lines = [
        f"{result['architecture']} layer {result['layer']}: rate {result['rate']:g} (keep p = {p:g}), "
        f"{result['images']} shipped test digits, {result['samples']} masks at training",
        "| rule | mean at training (dropout on) | mean at test | test / training |",
        "|---|---:|---:|---:|",
    ]
    for key, label in (
        ("lecture", "lecture: drop, then × p at test"),
        ("inverted", "Keras: ÷ p at training"),
    ):
        train, test = result[key]["train"], result[key]["test"]
        lines.append(f"| {label} | {train:.5f} | {test:.5f} | {test / train:.3f} |")
    lines.append(
        f"Both rules keep the expected activation: test ≈ training within each. They differ by the constant "
        f"p = {p:g} ({result['lecture']['test'] / result['inverted']['test']:.3f} measured), which the next "
        "layer's weights absorb; Keras divides at training so that inference needs no change."
    )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = cli.ArgumentParser(
        prog="python -m cnnapp.audit.dropout",
        description="The lectures' dropout test-time scaling against Keras's inverted dropout, measured.",
    )
    parser.add_argument("architecture", nargs="?", default="alexnet", help="a zoo name with dropout")
    parser.add_argument("--samples", type=int, default=20, help="random masks at training (default 20)")
    args = parser.parse_args(argv)
    if args.samples < 1:
        raise CnnappError("--samples must be at least 1")
    print(render(measure(args.architecture, args.samples)), end="")
    return 0


if __name__ == "__main__":
    run_cli(main, "python -m cnnapp.audit.dropout")
