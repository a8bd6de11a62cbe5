"""Running a `.tflite` model through the LiteRT interpreter, the way a phone app does.

`LiteModel` hides the integer I/O of a quantized model: images go in as float pixels in [0, 255] and are
quantized with the input tensor's scale and zero point; the output is dequantized back to probabilities.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np

from cnnapp import compat
from cnnapp.errors import CnnappError

# Tensors of these types hold real numbers in float: an op reading or writing one runs in float.
_FLOAT_TYPES = (np.float32, np.float16, np.float64)


def _interpreter(content: bytes, num_threads: int | None = None, delegates: bool = True):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = OpResolverType.AUTO if delegates else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    try:
        return Interpreter(
            model_content=content, num_threads=num_threads, experimental_op_resolver_type=resolver
        )
    except ValueError as error:
        raise CnnappError(f"not a TFLite model ({str(error).splitlines()[0]})") from None


class LiteModel:
    """A `.tflite` model loaded into the LiteRT interpreter.

    Args:
        content: the flatbuffer bytes.
        num_threads: interpreter threads (1 measures the per-core cost a phone's little core would see).
    """

    def __init__(self, content: bytes, num_threads: int | None = 1):
        self.content = content
        self.num_threads = num_threads
        self._interp = _interpreter(content, num_threads)
        self._interp.allocate_tensors()
        self._batch = 1
        inp = self._interp.get_input_details()
        out = self._interp.get_output_details()
        if len(inp) != 1 or len(out) != 1:
            raise CnnappError(
                f"expected an image classifier with one input and one output; got {len(inp)}→{len(out)}"
            )
        self.input_detail, self.output_detail = inp[0], out[0]

    @classmethod
    def from_file(cls, path: str | Path, num_threads: int | None = 1) -> LiteModel:
        path = Path(path)
        if not path.is_file():
            raise CnnappError(f"no model file at {path}")
        if path.stat().st_size == 0:
            raise CnnappError(f"{path} is empty (0 bytes): export the model again")
        try:
            return cls(path.read_bytes(), num_threads)
        except CnnappError as error:
            raise CnnappError(f"{path}: {error}") from None

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(H, W, C) of one image."""
        return tuple(int(d) for d in self.input_detail["shape"][1:])

    @property
    def input_dtype(self) -> np.dtype:
        return np.dtype(self.input_detail["dtype"])

    @property
    def output_dtype(self) -> np.dtype:
        return np.dtype(self.output_detail["dtype"])

    def _resize(self, batch: int) -> None:
        if batch != self._batch:
            self._interp.resize_tensor_input(self.input_detail["index"], [batch, *self.input_shape])
            self._interp.allocate_tensors()
            self.input_detail = self._interp.get_input_details()[0]
            self.output_detail = self._interp.get_output_details()[0]
            self._batch = batch

    def _quantize(self, images: np.ndarray) -> np.ndarray:
        dtype = self.input_dtype
        if not np.issubdtype(dtype, np.integer):
            return images.astype(dtype)
        scale, zero_point = self.input_detail["quantization"]
        info = np.iinfo(dtype)
        return np.clip(np.round(images / scale + zero_point), info.min, info.max).astype(dtype)

    def _dequantize(self, values: np.ndarray) -> np.ndarray:
        if not np.issubdtype(self.output_dtype, np.integer):
            return values.astype(np.float32)
        scale, zero_point = self.output_detail["quantization"]
        return ((values.astype(np.float32) - zero_point) * scale).astype(np.float32)

    def predict(self, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Class probabilities for float images (N, H, W, C) with pixels in [0, 255]."""
        images = np.asarray(images, np.float32)
        if images.shape[1:] != self.input_shape:
            raise CnnappError(
                f"images of shape {images.shape[1:]} given to a model taking {self.input_shape}"
            )
        outputs = []
        for start in range(0, len(images), batch_size):
            chunk = images[start : start + batch_size]
            self._resize(len(chunk))
            self._interp.set_tensor(self.input_detail["index"], self._quantize(chunk))
            self._interp.invoke()
            outputs.append(self._dequantize(self._interp.get_tensor(self.output_detail["index"])))
        return np.concatenate(outputs)

    def latency_ms(self, image: np.ndarray, runs: int = 50, warmup: int = 5) -> dict:
        """Per-image CPU latency at batch 1: median and mean over `runs` timed invocations."""
        self._resize(1)
        self._interp.set_tensor(
            self.input_detail["index"], self._quantize(np.asarray(image, np.float32)[None])
        )
        for _ in range(warmup):
            self._interp.invoke()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            self._interp.invoke()
            times.append((time.perf_counter() - start) * 1000)
        return {
            "median": float(np.median(times)),
            "mean": float(np.mean(times)),
            "runs": runs,
            "threads": self.num_threads,
        }


def graph_ops(content: bytes) -> list[dict]:
    """The ops of a `.tflite` graph as the runtime sees them (no delegate rewriting), with their tensor types.

    Each op: {"index", "op", "float"}, where `float` says whether any of its tensors is floating point.
    """
    interp = _interpreter(content, delegates=False)
    ops = []
    for op in compat.ops_details(interp):  # the interpreter's op table (private: see compat)
        types = [t for t in (*op.get("operand_types", []), *op.get("result_types", [])) if t is not None]
        is_float = any(np.dtype(t).type in _FLOAT_TYPES for t in types)
        ops.append({"index": int(op["index"]), "op": op["op_name"], "float": bool(is_float)})
    return ops


def op_summary(content: bytes) -> dict:
    """Op counts and the ops left in float: {"ops": {name: n}, "float_ops": [...], "integer_only": bool}."""
    ops = graph_ops(content)
    float_ops = [f"{op['op']}#{op['index']}" for op in ops if op["float"]]
    return {
        "ops": dict(sorted(Counter(op["op"] for op in ops).items())),
        "float_ops": float_ops,
        "integer_only": not float_ops,
    }


def median_us(interp, runs: int, warmup: int = 10) -> float:
    """Median µs of `runs` invocations of an allocated interpreter whose input is set, after `warmup`."""
    for _ in range(warmup):
        interp.invoke()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        interp.invoke()
        times.append(time.perf_counter() - start)
    return 1e6 * float(np.median(times))


def delegate_profile(content: bytes, budget_s: float = 0.1) -> dict:
    """Median ms per image at batch 1 with XNNPACK on and off (LiteRT's builtin kernels alone), on 1 and 2
    threads: {"xnnpack, 1 thread": ms, ...}. It shows which kernels a graph runs on: a mode XNNPACK has no
    kernels for times the same either way. About `budget_s` seconds of invocations per setting."""
    out = {}
    for delegates in (True, False):
        for threads in (1, 2):
            interp = _interpreter(content, threads, delegates=delegates)
            interp.allocate_tensors()
            detail = interp.get_input_details()[0]
            interp.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
            first = median_us(interp, 3, warmup=1)
            runs = int(max(3, min(200, budget_s * 1e6 / max(first, 1.0))))
            kind = "xnnpack" if delegates else "builtin kernels"
            name = f"{kind}, {threads} thread" + ("s" if threads > 1 else "")
            out[name] = median_us(interp, runs) / 1000
    return out


def xnnpack_partitions(content: bytes, num_threads: int = 1) -> dict:
    """How XNNPACK takes a graph: {"partitions": delegate partitions, "outside": ops left to LiteRT's own
    kernels, as "OP#index"}. Each op outside cuts the graph once more, and every partition's entry and exit
    is a fixed cost per invocation: on a small model it is what makes int8 slower than float32."""
    interp = _interpreter(content, num_threads)
    interp.allocate_tensors()
    ops = compat.ops_details(interp)  # the graph's ops, then one "DELEGATE" node per partition
    producer = {t: op for op in ops if op["op_name"] != "DELEGATE" for t in op["outputs"]}
    delegated: set[int] = set()
    delegates = [op for op in ops if op["op_name"] == "DELEGATE"]
    for node in delegates:  # a partition: its outputs' producers, back to the partition's inputs
        entry = {int(t) for t in node["inputs"]}
        stack = [producer[t] for t in node["outputs"] if t in producer]
        while stack:
            op = stack.pop()
            if op["index"] in delegated:
                continue
            delegated.add(op["index"])
            stack += [producer[t] for t in op["inputs"] if t >= 0 and int(t) not in entry and t in producer]
    outside = [f"{op['op_name']}#{op['index']}" for op in ops if op["op_name"] != "DELEGATE"]
    outside = [name for name in outside if int(name.split("#")[1]) not in delegated]
    return {"partitions": len(delegates), "outside": outside}
