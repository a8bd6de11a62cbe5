"""cnnapp: the classic image-classification conv nets in Keras — build, train, audit, export for phones."""

import importlib.util
import os
import sys
import tempfile

# TensorFlow's C++ start-up log (oneDNN, CUDA drivers, ...) buries our own output, so it is hidden by default
# and `--verbose` on every CLI shows it (cnnapp.cli). TF_CPP_MIN_LOG_LEVEL, set before TensorFlow is imported,
# quiets TensorFlow's own C++ log; but TensorFlow 2.21 writes its start-up lines through absl before absl is
# initialized, and those ignore the variable. So TensorFlow is imported here, once, with the process's
# stderr (file descriptor 2, where C++ writes) captured; the lines are kept in STARTUP_LOG. A level the
# user set is respected: TF_CPP_MIN_LOG_LEVEL=0 captures nothing and shows everything. Under another Keras
# backend, or where TensorFlow is not installed, nothing is imported: the models and the audit work without
# it. Nothing here may start TensorFlow's runtime (tests/test_import_side_effects.py).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
STARTUP_LOG = ""


def _import_tensorflow_capturing_stderr() -> str:
    """Import TensorFlow and find its devices with file descriptor 2 redirected to a temporary file; return
    what was written."""
    sys.stderr.flush()
    saved = os.dup(2)
    failed = True
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow

            # TensorFlow's first look for a GPU (cuInit) writes a line too, whichever command makes it.
            # Listing the physical devices makes that look now, under the capture; it configures nothing
            # (the runtime and collective ops can still be set up: tests/test_import_side_effects.py).
            tensorflow.config.list_physical_devices("GPU")
            failed = False
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode(errors="replace")
            if failed:  # the log may say why the import failed
                sys.stderr.write(text)
    return text


def _keras_backend() -> str:
    """The Keras backend this process will use: `--backend NAME` on the command line (`python -m cnnapp.bench
    --backend jax`: importing TensorFlow imports Keras, which then keeps TensorFlow's backend), else
    KERAS_BACKEND, else TensorFlow."""
    argv = sys.argv[1:]
    for i, arg in enumerate(argv):
        if arg == "--backend" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--backend="):
            return arg.split("=", 1)[1]
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def _tensorflow_backend() -> bool:
    """Whether this process uses TensorFlow: the Keras backend is TensorFlow and TensorFlow is installed."""
    if _keras_backend() != "tensorflow":
        return False
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


if os.environ["TF_CPP_MIN_LOG_LEVEL"] != "0" and "tensorflow" not in sys.modules and _tensorflow_backend():
    STARTUP_LOG = _import_tensorflow_capturing_stderr()
