"""The training-speed bench on another Keras backend (JAX), on a machine that may have no TensorFlow at all.

    python -m cnnapp.bench --backend jax                # this CPU: 64×64, batch 8, float32
    python -m cnnapp.bench --backend jax --size gpu     # a GPU: 224×224, batch 128, mixed bfloat16

Our VGG-16 and ResNet-50 against keras.applications' on the same backend (`speed.compare_training`: same
optimizer, loss, precision and parameter count, A-B-B-A rounds), the device's matmul roof per dtype measured
with `jax.numpy`, and the achieved fraction of it. The input is a numpy batch put on the device once (no
tf.data: the input pipeline is TensorFlow by design, and this bench measures the models). Keras on JAX always
compiles the training step with XLA.

Needs: keras, jax (with CUDA for a GPU), numpy, h5py (a Keras dependency) and this repository; not TensorFlow.
Nothing here imports TensorFlow, and the result records whether anything else did.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import sys
import time

from cnnapp.bench.config import SpeedConfig, cpu_cores, print_and_save, speed_options
from cnnapp.choices import PRECISIONS
from cnnapp.errors import CnnappError, unknown

BACKENDS = ("tensorflow", "jax")

# The cpu preset is the TensorFlow bench's (run.PRESETS["cpu"]); the gpu one fills a GPU with batch 128.
PRESETS = {
    "cpu": {"image_size": 64, "batch_size": 8, "steps": 2, "repeats": 5, "matmul_size": 8192},
    "gpu": {"image_size": 224, "batch_size": 128, "steps": 20, "repeats": 5, "matmul_size": 16384},
}


@dataclasses.dataclass(frozen=True)
class BackendBenchConfig(SpeedConfig):
    """What to measure on a non-TensorFlow backend: the speed sizes (`SpeedConfig`; precision "auto" is
    mixed_bfloat16 on a GPU or TPU, float32 on a CPU) on `backend` ("jax")."""

    backend: str = "jax"

    def __post_init__(self):
        if self.backend not in BACKENDS or self.backend == "tensorflow":
            raise unknown("backend for this bench", self.backend, BACKENDS[1:])
        if self.precision not in PRECISIONS:
            raise unknown("precision", self.precision, PRECISIONS)
        self.check_sizes()


def select_backend(name: str) -> None:
    """Make Keras run on backend `name`: set KERAS_BACKEND before Keras is imported.

    Keras picks its backend once, at import; when it is already imported on another backend (a caller in the
    same process), this is an error that says how to run the bench in its own process.
    """
    if name not in BACKENDS:
        raise unknown("backend", name, BACKENDS)
    if "keras" in sys.modules:
        current = sys.modules["keras"].backend.backend()
        if current != name:
            raise CnnappError(
                f"Keras is already running on {current} in this process and picks its backend at import; run "
                f"the bench in its own process: KERAS_BACKEND={name} python -m cnnapp.bench --backend {name}"
            )
        return
    os.environ["KERAS_BACKEND"] = name


def device_platform() -> str:
    """The default JAX device's platform: "cpu", "gpu" or "tpu"."""
    import jax

    return jax.devices()[0].platform


def resolve_precision(precision: str, platform_name: str) -> str:
    """The Keras dtype policy: "auto" is mixed bfloat16 on a GPU or TPU (tensor cores), float32 on a CPU."""
    if precision != "auto":
        return precision
    return "float32" if platform_name == "cpu" else "mixed_bfloat16"


def jax_seconds(dtype: str, runs: int = 3):
    """n → the best seconds of a jitted n×n by n×n `jax.numpy` product in `dtype` (float32, bfloat16 and
    float16 on tensor cores, int8 where the device has integer dot products), for `roof.grow`."""
    import jax
    import jax.numpy as jnp

    from cnnapp.bench.roof import best_of

    def seconds_at(n: int) -> float:
        if dtype == "int8":
            a = jax.random.randint(jax.random.key(1), (n, n), -127, 127, dtype="int8")
            b = jax.random.randint(jax.random.key(2), (n, n), -127, 127, dtype="int8")
            product = jax.jit(lambda x, y: jnp.sum(jnp.matmul(x, y, preferred_element_type=jnp.int32)))
        else:
            a = jax.random.uniform(jax.random.key(1), (n, n), dtype=dtype)
            b = jax.random.uniform(jax.random.key(2), (n, n), dtype=dtype)
            product = jax.jit(lambda x, y: jnp.sum(jnp.matmul(x, y), dtype="float32"))
        return best_of(lambda: product(a, b).block_until_ready(), runs)

    return seconds_at


def measure_roofs(max_n: int) -> dict:
    """The device's roof per dtype, sizes grown as the TensorFlow bench grows them (`roof.grow`)."""
    from cnnapp import machine
    from cnnapp.bench import roof

    on_gpu = device_platform() != "cpu"
    dtypes = roof.roof_dtypes({} if on_gpu else machine.cpu_info()["features"], gpu=on_gpu)
    return roof.measure_roofs(jax_seconds, dtypes, start=min(512, max_n), max_n=max_n)


def run_backend_bench(config: BackendBenchConfig) -> dict:
    """Training speed of our builders against keras.applications, and the matmul roofs, on `config.backend`.

    Call `select_backend(config.backend)` before anything imports Keras (the CLI does).

    Returns:
        {"machine", "config", "precision", "jit", "started", "speed", "roofs"}: the speed rows are
        `speed.compare_training`'s, with the achieved FLOP/s and the fraction of its dtype's roof added.
    """
    import jax
    import keras

    from cnnapp.bench import speed

    if keras.backend.backend() != config.backend:
        select_backend(config.backend)  # raises: Keras is on another backend
    platform_name = device_platform()
    precision = resolve_precision(config.precision, platform_name)
    result: dict = {
        "machine": {
            "device": f"{platform_name.upper()} ({jax.devices()[0].device_kind})",
            "devices": len(jax.devices()),
            "cpu_cores": cpu_cores(),
            "platform": platform.platform(),
            "backend": config.backend,
            "jax": jax.__version__,
            "keras": keras.__version__,
        },
        "config": dataclasses.asdict(config),
        "precision": precision,
        "jit": True,  # Keras on JAX always compiles the training step
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    roofs = measure_roofs(config.matmul_size)
    result["speed"], result["roofs"] = speed.compare_models(config, precision, True, roofs), roofs
    result["machine"]["tensorflow_loaded"] = "tensorflow" in sys.modules
    return result


def main(args) -> int:
    """`python -m cnnapp.bench --backend jax ...`: `args` are the bench CLI's parsed arguments."""
    select_backend(args.backend)  # before anything imports Keras
    if "speed" not in args.sections:
        raise CnnappError(f"--backend {args.backend} runs the speed section only; give --sections speed")
    config = BackendBenchConfig(backend=args.backend, **speed_options(args, PRESETS))
    result = run_backend_bench(config)
    table = format_backend_table(result)
    skipped = [s for s in args.sections if s != "speed"]
    if skipped:
        table += (
            f"\n\nnot run on {args.backend}: {', '.join(skipped)} (TensorFlow by design: tf.data, LiteRT)"
        )
    print_and_save(table, result, args.json)
    return 0


def format_backend_table(result: dict) -> str:
    """The backend bench as a Markdown table, headed by the machine and the matmul roofs."""
    from cnnapp.bench import tables

    machine, config = result["machine"], result["config"]
    size = config["image_size"]
    lines = [
        f"cnnapp bench — Keras {machine['keras']} on {machine['backend']} (jax {machine['jax']}), "
        f"{machine['device']}, {machine['cpu_cores']} CPU cores, TensorFlow "
        f"{'loaded' if machine['tensorflow_loaded'] else 'not loaded'}",
        *tables.roof_lines(result["roofs"]),
        "",
        f"Training speed at {size}×{size}×3, batch {config['batch_size']}, SGD+momentum, "
        f"{result['precision']}, XLA (medians of ≥ {config['repeats']} A-B-B-A rounds × "
        f"{config['steps']} steps; numpy input)",
        *tables.speed_lines(result["speed"]),
    ]
    return "\n".join(lines)
