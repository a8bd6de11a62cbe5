"""`python -m cnnapp.bench`: training speed against keras.applications, FLOP/s against the roof of its
precision, memory, input pipeline against consumption, LiteRT latency — printed as tables, written as JSON.

    python -m cnnapp.bench                                  # small-CPU sizes (64×64, batch 8), a few minutes
    python -m cnnapp.bench --sections speed,memory,litert   # the roof, speed, memory and LiteRT only
    python -m cnnapp.bench --size gpu                       # 224×224, batch 64, 20 steps × 5 repeats
    python -m cnnapp.bench --models resnet50 --sections speed --batch-size 32
    python -m cnnapp.bench --backend jax [--size gpu]       # speed on JAX, no TensorFlow (bench/backend.py)
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from cnnapp import cli
from cnnapp.bench.config import print_and_save, speed_options
from cnnapp.bench.run import PRESETS, SECTIONS, BenchConfig, run_bench
from cnnapp.bench.tables import format_table
from cnnapp.errors import run_cli


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def parser() -> argparse.ArgumentParser:
    p = cli.ArgumentParser(prog="python -m cnnapp.bench", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--backend",
        choices=("tensorflow", "jax"),
        default=os.environ.get("KERAS_BACKEND", "tensorflow"),
        help="Keras backend (default: $KERAS_BACKEND, else tensorflow); jax runs the speed section only, "
        "without TensorFlow, its gpu preset at batch 128 in mixed bfloat16",
    )
    p.add_argument(
        "--size",
        choices=sorted(PRESETS),
        default="cpu",
        help="preset sizes: cpu (64×64, batch 8, 2 steps × 5 rounds) or gpu (224×224, batch 64, "
        "20 steps × 5 rounds); the options below override single values",
    )
    p.add_argument(
        "--models",
        type=_names,
        default=("vgg16", "resnet50"),
        help="architectures to compare with keras.applications, comma-separated (vgg16,resnet50)",
    )
    p.add_argument(
        "--sections",
        type=_names,
        default=SECTIONS,
        help=f"parts to run, comma-separated ({','.join(SECTIONS)})",
    )
    p.add_argument("--image-size", type=int, help="square input size (≥ 32)")
    p.add_argument("--batch-size", type=int, help="images per training step and per pipeline batch")
    p.add_argument("--steps", type=int, help="timed steps per repeat and side")
    p.add_argument(
        "--repeats",
        type=int,
        help="A-B-B-A rounds always run (medians are reported; up to twice as many while noisy)",
    )
    p.add_argument(
        "--matmul-size", type=int, help="the largest n of the n×n matmuls grown to find each dtype's roof"
    )
    p.add_argument(
        "--tune",
        choices=("on", "off"),
        default="on",
        help="choose threads and the oneDNN switch by timing each candidate in a process of its own first",
    )
    p.add_argument(
        "--litert-profile",
        choices=("on", "off"),
        default="on",
        help="time each export with XNNPACK on and off, and --litert-model layer by layer (int8, float32)",
    )
    p.add_argument(
        "--memory-image-size", type=int, default=224, help="input side of the memory section's training steps"
    )
    p.add_argument("--pipeline-batches", type=int, help="batches timed per pipeline source")
    p.add_argument("--num-classes", type=int, default=10, help="classes of the compared classifiers")
    p.add_argument(
        "--precision",
        default="auto",
        help="auto (on a CPU float32 or mixed_bfloat16, whichever a cached probe finds faster; mixed_float16 "
        "on a GPU), float32, mixed_float16, mixed_bfloat16",
    )
    p.add_argument("--jit", default="auto", help="XLA: auto (GPU only), on, off")
    p.add_argument("--export-dir", default="export", help="folder of exported .tflite models to time")
    p.add_argument(
        "--litert-model",
        default="lenet5",
        help="architecture converted float32 and int8 on the fly when --export-dir holds no .tflite",
    )
    p.add_argument("--litert-runs", type=int, default=50, help="timed LiteRT invocations per model")
    p.add_argument(
        "--folder-images",
        type=int,
        default=5000,
        help="generated 300×400 JPEGs timed through the folder pipeline against plain tf.data (0: skip)",
    )
    p.add_argument(
        "--small-files", type=int, default=100_000, help="8×8 PNGs of the time-to-first-batch check (0: skip)"
    )
    p.add_argument(
        "--folder-cache", default="", help="where generated folders are kept between runs (default: TMPDIR)"
    )
    p.add_argument(
        "--json", default="bench.json", help="where to write the results as JSON ('' = do not write)"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.backend != "tensorflow":
        from cnnapp.bench import backend

        return backend.main(args)
    config = BenchConfig(
        sections=args.sections,
        jit=args.jit,
        export_dir=args.export_dir,
        litert_model=args.litert_model,
        litert_runs=args.litert_runs,
        folder_images=args.folder_images,
        small_files=args.small_files,
        folder_cache=args.folder_cache,
        tune=args.tune == "on",
        memory_image_size=args.memory_image_size,
        litert_profile=args.litert_profile == "on",
        **speed_options(args, PRESETS),
    )
    result = run_bench(config, verbose=args.verbose)
    print_and_save(format_table(result), result, args.json)
    return 0


if __name__ == "__main__":
    run_cli(main, "python -m cnnapp.bench")
