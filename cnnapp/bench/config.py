"""What both benches share: the training-speed sizes, the preset merge, and how a result leaves the CLI.

A leaf module (no TensorFlow, no Keras) so the JAX bench can use it on a machine without TensorFlow.
"""

from __future__ import annotations

import dataclasses
import os

from cnnapp.errors import CnnappError


@dataclasses.dataclass(frozen=True)
class SpeedConfig:
    """The speed comparison against keras.applications, as both benches run it.

    Attributes:
        models: architectures compared with keras.applications (see `speed.PAIRS`).
        image_size: square input (keras.applications needs ≥ 32).
        batch_size: images per training step.
        steps: timed training steps per repeat and side.
        repeats: A-B-B-A rounds always run (more, up to twice as many, while a ratio is noisy).
        num_classes: classes of both classifiers.
        precision: "auto" (the device's policy, see each bench) or a Keras policy name.
        matmul_size: the largest n of the n×n matmuls grown to find each dtype's roof (`roof.grow`).
    """

    models: tuple[str, ...] = ("vgg16", "resnet50")
    image_size: int = 64
    batch_size: int = 8
    steps: int = 2
    repeats: int = 5
    num_classes: int = 10
    precision: str = "auto"
    matmul_size: int = 8192

    def check_sizes(self, **more_counts: int) -> None:
        """Refuse a bad model name, an input below 32, or any count (these and `more_counts`) below 1."""
        from cnnapp.bench.speed import get_pair

        for model in self.models:
            get_pair(model)
        if self.image_size < 32:
            raise CnnappError(
                f"--image-size must be at least 32 (keras.applications' minimum); got {self.image_size}"
            )
        counts = {
            "batch size": self.batch_size,
            "steps": self.steps,
            "repeats": self.repeats,
            "matmul size": self.matmul_size,
            "classes": self.num_classes,
            **more_counts,
        }
        too_small = [name for name, count in counts.items() if count < 1]
        if too_small:
            raise CnnappError(f"{', '.join(too_small)} must be ≥ 1")


def speed_options(args, presets: dict) -> dict:
    """The `SpeedConfig` fields from the bench CLI's parsed `args`: the sizes of preset `args.size` in
    `presets`, each overridden by its CLI option where given, and the models, classes and precision."""
    sizes = {
        key: getattr(args, key) if getattr(args, key) is not None else value
        for key, value in presets[args.size].items()
    }
    return {"models": args.models, "num_classes": args.num_classes, "precision": args.precision, **sizes}


def print_and_save(table: str, result: dict, json_path: str) -> None:
    """Print a bench's table and, unless `json_path` is empty, write its result there atomically."""
    from cnnapp import atomic

    print(table)
    if json_path:
        atomic.write_json(json_path, result)
        print(f"\nwrote {json_path}")


def cpu_cores() -> int:
    """The cores this process may run on (its affinity mask, which containers narrow), not the host's."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
