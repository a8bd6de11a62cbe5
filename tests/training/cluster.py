"""Start the test workers (worker.py) as processes on 127.0.0.1, with free ports and bounded waits."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("worker.py")
TIMEOUT = 300  # seconds a worker may take before the test gives up on it (a 2-core machine, shared)


def free_ports(count: int) -> list[int]:
    """Ports the OS calls free on the loopback interface (held open together, so they differ)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(ports: list[int], index: int) -> str:
    workers = [f"127.0.0.1:{port}" for port in ports]
    return json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})


def start(
    run_dir: Path, weights: Path, overrides: list[str], config: str | None, log: Path
) -> subprocess.Popen:
    """One worker process (a single, cluster-less worker when `config` is None); output appended to `log`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    env.pop("TF_CONFIG", None)
    if config is not None:
        env["TF_CONFIG"] = config
    with open(log, "a") as out:
        return subprocess.Popen(
            [sys.executable, str(WORKER), str(run_dir), str(weights), *overrides],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def finish(processes: list[subprocess.Popen], logs: list[Path], timeout: float = TIMEOUT) -> None:
    """Wait for every process; kill them all and fail with the logs' tails if one fails or takes too long."""
    deadline = time.monotonic() + timeout
    try:
        for process in processes:
            process.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    failed = [i for i, p in enumerate(processes) if p.returncode != 0]
    if failed:
        tails = "\n".join(
            f"--- {logs[i]}\n" + "\n".join(logs[i].read_text().splitlines()[-15:]) for i in failed
        )
        raise AssertionError(f"worker(s) {failed} failed:\n{tails}")


def weights(path: Path) -> tuple[list[np.ndarray], int]:
    """A worker's final weights and the epoch it resumed from."""
    with np.load(path) as data:
        arrays = [data[f"arr_{i}"] for i in range(len([k for k in data.files if k.startswith("arr_")]))]
        return arrays, int(data["resumed_from_epoch"])
