"""What this machine is: its CPU model and the instruction sets that decide which precision is fast, and the
user cache where per-machine measurements are kept.

    cpu = cpu_info()          # {"model": "AMD EPYC", "flags": ["avx512_bf16", ...], "features": {...}}
    cpu["features"]["amx"]    # True on an Intel CPU with AMX tiles (bfloat16/int8 matmul engines)

A leaf module (no TensorFlow, no Keras): the JAX bench and the training policy both read it.
"""

from __future__ import annotations

import hashlib
import os
import platform
from pathlib import Path

# The instruction sets that change which precision is fastest, by the names /proc/cpuinfo gives their flags.
FEATURES = {
    "avx2": ("avx2",),
    "avx512": ("avx512f",),
    "avx512_bf16": ("avx512_bf16",),
    "avx512_fp16": ("avx512_fp16",),
    "vnni": ("avx512_vnni", "avx_vnni"),
    "amx": ("amx_tile",),
    "amx_bf16": ("amx_bf16",),
    "amx_int8": ("amx_int8",),
    "neon": ("asimd", "neon"),
}


def _cpuinfo(text: str | None = None) -> tuple[str, list[str]]:
    """(model name, flags) from /proc/cpuinfo's text (`text`, else the file; elsewhere: the platform's)."""
    if text is None:
        try:
            text = Path("/proc/cpuinfo").read_text()
        except OSError:
            return platform.processor() or platform.machine(), []
    model, flags = "", []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in ("model name", "hardware", "cpu model") and not model:
            model = value.strip()
        elif key in ("flags", "features") and not flags:
            flags = sorted(value.split())
    return model or platform.machine(), flags


def cpu_info(text: str | None = None) -> dict:
    """The CPU: {"model", "flags" (the ones in FEATURES), "features": {name: bool}, "key"}.

    `key` is a short hash of the model and its full flag list: two machines with the same key run the same
    kernels at the same relative speeds. `text` replaces /proc/cpuinfo (for tests).
    """
    model, flags = _cpuinfo(text)
    present = set(flags)
    features = {name: any(f in present for f in names) for name, names in FEATURES.items()}
    known = sorted({f for names in FEATURES.values() for f in names} & present)
    key = hashlib.sha256((model + " " + " ".join(flags)).encode()).hexdigest()[:16]
    return {"model": model, "flags": known, "features": features, "key": key}


def instruction_sets(cpu: dict) -> str:
    """The features found, as one readable list ("AVX-512, AVX512_BF16, VNNI; no AMX")."""
    names = {"avx512": "AVX-512", "amx": "AMX", "vnni": "VNNI", "neon": "NEON"}
    have = [names.get(n, n.upper()) for n, on in cpu["features"].items() if on]
    lacks = [names[n] for n in ("avx512", "amx") if not cpu["features"][n]]
    return ", ".join(have) + (f"; no {', '.join(lacks)}" if lacks else "")


def cache_dir() -> Path:
    """The user's cache folder for cnnapp ($CNNAPP_CACHE, else $XDG_CACHE_HOME/cnnapp, else ~/.cache/cnnapp).

    Never the repository: what is measured here describes this machine, not the project.
    """
    if os.environ.get("CNNAPP_CACHE"):
        return Path(os.environ["CNNAPP_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cnnapp"
