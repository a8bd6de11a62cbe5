"""The whole bench in one call: its configuration (presets, sections) and the run of each section.

    result = run_bench(BenchConfig(models=("vgg16",), sections=("speed",)))
    print(cnnapp.bench.tables.format_table(result))

`run_bench` returns plain data (the JSON the CLI writes); `cnnapp.bench.tables` makes the text it prints.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import time
from pathlib import Path

from cnnapp import quiet
from cnnapp.bench.config import SpeedConfig, cpu_cores
from cnnapp.bench.targets import targets
from cnnapp.choices import TRAIN
from cnnapp.errors import unknown

SECTIONS = ("speed", "memory", "pipeline", "litert")

# Sizes for a small CPU (minutes on 2 cores) and for a GPU (enough work per step to keep it busy).
PRESETS = {
    "cpu": {
        "image_size": 64,
        "batch_size": 8,
        "steps": 2,
        "repeats": 5,
        "matmul_size": 8192,
        "pipeline_batches": 50,
    },
    "gpu": {
        "image_size": 224,
        "batch_size": 64,
        "steps": 20,
        "repeats": 5,
        "matmul_size": 8192,
        "pipeline_batches": 100,
    },
}


@dataclasses.dataclass(frozen=True)
class BenchConfig(SpeedConfig):
    """What to measure, and how much: the speed sizes (`SpeedConfig`; precision "auto" is the device
    policy, float32 on CPU and mixed_float16 on GPU; batch_size is also the pipeline's batch) and:

    Attributes:
        sections: which parts to run (SECTIONS).
        jit: "auto" (XLA on GPU only), "on" or "off".
        pipeline_batches: batches timed per pipeline source.
        export_dir: where the exported `.tflite` models are; when it holds none, `litert_model` is converted.
        litert_model: the architecture converted on the fly when there are no exports.
        litert_runs: timed invocations per LiteRT model.
        folder_images: generated 300×400 JPEGs of the folder pipeline comparison (0: skip it).
        small_files: 8×8 PNGs of the time-to-first-batch measurement (0: skip it).
        folder_cache: where the generated folders are kept between runs ("": the temp dir's cnnapp-bench).
        tune: choose TensorFlow's threads and the oneDNN switch by measurement first (`tuning`).
        memory_image_size: the input side of the memory section's training steps (at `batch_size`).
        litert_profile: time the exports with XNNPACK on and off, and `litert_model` layer by layer.
    """

    sections: tuple[str, ...] = SECTIONS
    jit: str = "auto"
    pipeline_batches: int = 50
    export_dir: str = "export"
    litert_model: str = "lenet5"
    litert_runs: int = 50
    folder_images: int = 5000
    small_files: int = 100_000
    folder_cache: str = ""
    tune: bool = True
    memory_image_size: int = 224
    litert_profile: bool = True

    def __post_init__(self):
        for section in self.sections:
            if section not in SECTIONS:
                raise unknown("bench section", section, SECTIONS)
        self.check_sizes(**{"pipeline batches": self.pipeline_batches, "LiteRT runs": self.litert_runs})


def run_bench(config: BenchConfig, verbose: bool = False) -> dict:
    """Run the chosen sections; return {"machine", "config", "precision", "tuning", "roofs", "speed",
    "memory", "pipeline", "folder", "litert", "targets"}. `verbose` shows the converter's and LiteRT's own
    logs (XNNPACK, quantizer statistics, Keras's SavedModel export), hidden by default."""
    import tensorflow as tf

    from cnnapp import machine
    from cnnapp.training.device import choose

    gpus = len(tf.config.list_physical_devices("GPU"))
    cpu = machine.cpu_info()
    tuning = _tune(config, gpus) if config.tune and "speed" in config.sections else None
    device = choose(config.precision, config.jit)
    result: dict = {
        "machine": {
            "device": device.describe(),
            "cpu": cpu["model"],
            "instruction_sets": machine.instruction_sets(cpu),
            "cpu_flags": cpu["flags"],
            "cpu_cores": cpu_cores(),
            "gpus": gpus,
            "platform": platform.platform(),
            "tensorflow": tf.__version__,
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        },
        "config": dataclasses.asdict(config),
        "precision": device.precision,
        "precision_reason": device.reason,
        "jit": device.jit,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if tuning:
        result["tuning"] = tuning
    if "speed" in config.sections:
        result.update(_speed(config, device, cpu, gpus))
    if "memory" in config.sections:
        from cnnapp.bench.memory import training_memory

        result["memory"] = [
            training_memory(name, config.memory_image_size, config.batch_size) for name in config.models
        ]
    if "pipeline" in config.sections:
        result["pipeline"] = _pipeline(config, result.get("speed", []))
        result["folder"] = _folder(config)
    if "litert" in config.sections:
        result["litert"] = _litert(config, verbose)
    result["machine"]["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    result["targets"] = targets(result, cpu["features"])
    return result


def _tune(config: BenchConfig, gpus: int) -> dict | None:
    """Threads and oneDNN by measurement (CPU only), before this process starts TensorFlow's runtime."""
    import subprocess
    import sys

    from cnnapp.bench import tuning
    from cnnapp.training import precision

    if gpus:
        return None
    if config.precision == "auto" and not precision.is_decided():  # probe in a child: the runtime stays cold
        subprocess.run(
            [sys.executable, "-c", "from cnnapp.training.precision import cpu_auto_precision as p; p()"],
            check=False, capture_output=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )  # fmt: skip
    chosen = config.precision
    if chosen == "auto":
        chosen = precision.cpu_auto_precision()["precision"]
    try:
        result = tuning.tune(chosen, cpu_cores())
    except (RuntimeError, subprocess.TimeoutExpired) as error:  # a child failed: the defaults, said
        return {"precision": chosen, "error": f"{type(error).__name__}: {error}"}
    try:
        tuning.apply_threads(result["chosen"])
    except RuntimeError as error:  # the runtime had started (a caller in the same process ran TensorFlow)
        result["applied"] = f"not applied: {error}"
    return result


def _speed(config: BenchConfig, device, cpu: dict, gpus: int) -> dict:
    from cnnapp.bench import roof, speed

    roofs = roof.measure_roofs(
        roof.tensorflow_seconds,
        roof.roof_dtypes(cpu["features"], gpu=gpus > 0),
        start=min(512, config.matmul_size),
        max_n=config.matmul_size,
    )
    rows = speed.compare_models(config, device.precision, device.jit, roofs)
    return {"speed": rows, "roofs": roofs}


def _pipeline(config: BenchConfig, speed_rows: list[dict]) -> list[dict]:
    from cnnapp.bench.pipeline import pipeline_rate, synthetic_source, verdict
    from cnnapp.data import DataConfig, load_dataset

    size = config.image_size
    sources = {
        # The shipped digits: 8×8 grey, stretched and made RGB, mirrored; small enough to be cached.
        "digits": (
            load_dataset("digits").splits[TRAIN],
            DataConfig(image_size=size, channels=3, resize="stretch", augment=("flip",)),
        ),
        # Larger photos (twice the input side), read afresh each epoch as from files; crop + flip.
        f"synthetic {2 * size}×{2 * size} RGB": (
            synthetic_source(
                examples=max(4 * config.batch_size * config.pipeline_batches, 256), size=2 * size
            ),
            DataConfig(
                image_size=size,
                channels=3,
                resize="short_side",
                short_side=2 * size,
                augment=("random_crop", "flip"),
                cache="none",
            ),
        ),
    }
    rows = []
    # A tiny count (the tests') is timed for its batches only; a real one for 2 s at least.
    min_seconds = 0.0 if config.pipeline_batches < 10 else 2.0
    for source, (dataset, data_config) in sources.items():
        rate = pipeline_rate(
            dataset, data_config, config.batch_size, batches=config.pipeline_batches, min_seconds=min_seconds
        )
        consumers = {
            row["model"]: {
                "images_per_s": row["ours_images_per_s"],
                "verdict": verdict(rate["images_per_s"], row["ours_images_per_s"]),
            }
            for row in speed_rows
        }
        rows.append({"source": source, **rate, "consumers": consumers})
    return rows


# The targets: the folder pipeline at ≥ 0.9× the plain tf.data reference, the first batch of 100,000
# files within 5 s.
FOLDER_RATIO_TARGET = 0.9
FIRST_BATCH_TARGET_S = 5.0


def _folder(config: BenchConfig) -> dict:
    import tempfile

    from cnnapp.bench import pipeline

    cache = Path(config.folder_cache or Path(tempfile.gettempdir()) / "cnnapp-bench")
    out: dict = {"cache": str(cache)}
    if config.folder_images:
        start = time.perf_counter()
        root = pipeline.jpeg_folder(cache, config.folder_images)
        out["jpeg_generate_seconds"] = time.perf_counter() - start
        # A tiny folder (the tests') is timed for its batches only; a real one in 8 pairs of 2 s each (short
        # slices: the pair's two run under nearly the same load).
        small = config.folder_images < 1000
        rates = pipeline.folder_rates(
            root,
            batch_size=32,
            batches=config.pipeline_batches if small else 1,
            repeats=1 if small else 8,
            min_seconds=0.0 if small else 2.0,
        )
        out["jpeg"] = {"images": config.folder_images, **rates, "target": FOLDER_RATIO_TARGET}
    if config.small_files:
        root = pipeline.small_file_folder(cache, config.small_files)
        out["first_batch"] = {
            "files": config.small_files,
            "seconds": pipeline.time_to_first_batch(root),
            "target_seconds": FIRST_BATCH_TARGET_S,
        }
    return out


def _litert(config: BenchConfig, verbose: bool = False) -> dict:

    # Every interpreter and conversion writes from C++ to the process's descriptors: shown by --verbose.
    with quiet.hidden_output(verbose):
        return _litert_rows(config)


def _litert_rows(config: BenchConfig) -> dict:
    from cnnapp.bench.litert import convert_and_time, latency_rows

    rows = latency_rows(config.export_dir, runs=config.litert_runs)
    origin = f"exports in {config.export_dir}/"
    if not rows:
        rows = convert_and_time(config.litert_model, runs=config.litert_runs)
        origin = f"{config.litert_model} converted on the fly (no .tflite in {config.export_dir}/)"
    out = {"origin": origin, "rows": rows}
    if config.litert_profile:
        from cnnapp.bench.litert import op_profile
        from cnnapp.deploy.runtime import delegate_profile

        for row in rows:
            if row["file"] and row["mode"] in ("float32", "int8", "int16x8"):
                row["kernels_ms"] = delegate_profile(Path(row["file"]).read_bytes())
        out["layers"] = {"model": config.litert_model, "rows": op_profile(config.litert_model)}
    return out
