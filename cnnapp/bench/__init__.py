"""`python -m cnnapp.bench`: how fast cnnapp trains, feeds and infers on this machine.

    from cnnapp.bench import BenchConfig, run_bench, format_table
    result = run_bench(BenchConfig(models=("resnet50",), sections=("speed",)))

Modules: `speed` (ours against keras.applications, FLOP/s), `roof` (the matmul roof per dtype),
`tuning` (threads and oneDNN by measurement), `memory` (a training step's peak memory against the audit),
`targets`, `pipeline` (tf.data images/s),
`litert` (float32 and int8 latency), `run` (the whole run: presets, sections), `tables` (its Markdown
tables), `backend` (the speed section on JAX, without TensorFlow: `python -m cnnapp.bench --backend jax`).
"""

from cnnapp.bench.run import PRESETS, SECTIONS, BenchConfig, run_bench
from cnnapp.bench.tables import format_table

__all__ = ["PRESETS", "SECTIONS", "BenchConfig", "format_table", "run_bench"]
