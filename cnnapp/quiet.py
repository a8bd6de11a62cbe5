"""Quiet by default: TensorFlow's and LiteRT's own logs are hidden unless `--verbose` asks for them.

TensorFlow 2.21 writes its start-up lines (oneDNN, CUDA drivers, CPU features) through absl before absl is
initialized, so TF_CPP_MIN_LOG_LEVEL alone does not silence them; the TFLite converter and LiteRT write to the
process's file descriptors from C++ (XNNPACK, quantizer statistics), and Keras's SavedModel export prints its
"Saved artifact" block with every TensorSpec. None of it is ours to show by default. So:

- `start_tensorflow()` imports TensorFlow, once, when work starts (a CLI calls it after parsing its arguments,
  so `--help` never pays for it; the notebook API on first use), with file descriptor 2 captured: the lines
  are kept in `startup_log()`, shown by `--verbose`. TF_CPP_MIN_LOG_LEVEL=0 captures nothing.
- `install()` (run by `import cnnapp`) makes any later `import tensorflow` — by `import cnnapp.models`, by
  Keras, by the user — go the same quiet way: a notebook that imports a cnnapp module sees none of it either.
- `hidden_output()` runs a noisy step (a conversion, an interpreter) with both descriptors captured; what was
  written is shown when `verbose`, or when the step fails (nothing that explains a failure is lost).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import io
import os
import sys
import tempfile
from collections.abc import Iterator

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class _State:
    started = False  # start_tensorflow has run in this process
    log = ""  # what TensorFlow wrote while it was imported


_state = _State()


def startup_log() -> str:
    """What TensorFlow wrote while it was imported by `start_tensorflow` (empty before, or when shown)."""
    return _state.log


def _tensorflow_installed() -> bool:
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


def start_tensorflow(verbose: bool = False, backend: str | None = None) -> None:
    """Import TensorFlow now (once per process), its start-up log captured unless `verbose`.

    Nothing is imported when the Keras backend (`backend`, else KERAS_BACKEND) is not TensorFlow or TensorFlow
    is not installed. Importing configures nothing: the runtime is started by the first op, so collective ops
    and GPU memory growth can still be set (tests/test_import_side_effects.py).
    """
    backend = backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend != "tensorflow" or not _tensorflow_installed():
        return
    if not _state.started:
        _state.started = True
        if "tensorflow" not in sys.modules and os.environ.get("TF_CPP_MIN_LOG_LEVEL") != "0" and not verbose:
            with _captured_fds() as captured:
                _import_tensorflow()
            _state.log = captured.getvalue()
        else:
            _import_tensorflow()
    if verbose and _state.log:
        sys.stderr.write(_state.log)
        sys.stderr.flush()


def _import_tensorflow() -> None:
    import tensorflow

    # TensorFlow's first look for a GPU (cuInit) writes a line too, whichever command makes it: made now.
    tensorflow.config.list_physical_devices("GPU")


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` as the other finders do; its loader imports it as `start_tensorflow` does."""

    def find_spec(self, name, path, target=None):
        if name != "tensorflow" or _state.started or os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _QuietLoader(spec.loader)
                return spec
        return None


class _QuietLoader(importlib.abc.Loader):
    """TensorFlow's own loader, its module executed with the start-up lines captured into `startup_log()`."""

    def __init__(self, loader):
        self._loader = loader

    def __getattr__(self, name):  # get_resource_reader, is_package, ...: TensorFlow's loader answers
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        _state.started = True
        with contextlib.ExitStack() as stack:
            captured = stack.enter_context(_captured_fds())
            try:
                self._loader.exec_module(module)
                module.config.list_physical_devices("GPU")  # as _import_tensorflow: its line made now
            except BaseException:
                stack.close()  # what explains a failed import is shown
                sys.stderr.write(captured.getvalue())
                raise
        _state.log = captured.getvalue()


def install() -> None:
    """Make a later `import tensorflow` in this process quiet (once; nothing when it is already imported)."""
    if not any(isinstance(finder, _QuietTensorFlowImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowImport())


@contextlib.contextmanager
def _captured_fds() -> Iterator[io.StringIO]:
    """File descriptors 1 and 2, and Python's sys.stdout/sys.stderr, written into the yielded buffer."""
    sink = io.StringIO()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as raw:
        os.dup2(raw.fileno(), 1)
        os.dup2(raw.fileno(), 2)
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                yield sink
        finally:
            for fd, copy in ((1, saved[0]), (2, saved[1])):
                os.dup2(copy, fd)
                os.close(copy)
            raw.seek(0)
            sink.write(raw.read().decode(errors="replace"))


@contextlib.contextmanager
def hidden_output(verbose: bool = False) -> Iterator[None]:
    """Run the block with its output hidden, unless `verbose`; shown on stderr if the block fails other than
    with a one-line error of cnnapp's."""
    if verbose:
        yield
        return
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(_captured_fds())
        try:
            yield
        except BaseException as error:
            stack.close()  # restore the descriptors before writing what explains the failure
            if not _explained(error):
                sys.stderr.write(sink.getvalue())
            raise


def _explained(error: BaseException) -> bool:
    """Whether `error` is one cnnapp explains in one line (bad input, a missing optional package): then the
    hidden output explains nothing more."""
    from cnnapp import errors

    if isinstance(error, errors.CnnappError):
        return True
    return isinstance(error, ModuleNotFoundError) and errors.missing_package(error) is not None
