"""The one error type users see, and the wrapper that turns it into a one-line message at the CLI edge.

`run_cli` also turns what the machine can cause — a read-only or full disk, a path through a file, a missing
permission, running out of memory — into one line naming the file and the fix. Anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import errno
import sys
import unicodedata
from collections.abc import Callable, Sequence


class CnnappError(ValueError):
    """Bad input from a user: the message names the problem and the fix, on one line."""


def printable(text: object) -> str:
    """`text` with control characters (C0, C1, DEL, format and line separators) escaped as `\\xNN` or
    `\\uNNNN`: text from files and folder names cannot retitle or rewrite the user's terminal."""
    out = []
    for char in str(text):
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def unknown(kind: str, name: str, valid: Sequence[str]) -> CnnappError:
    """The error for an unknown name, listing the valid ones."""
    return CnnappError(f"unknown {kind} {name!r}; valid {kind}s: {', '.join(sorted(valid))}")


def check_range(value: int | float | None, option: str, low: float = 1, high: float | None = None) -> None:
    """A numeric option given on a command line must lie in [low, high] (None: not given, the default)."""
    if value is None:
        return
    if value < low or (high is not None and value > high):
        span = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise CnnappError(f"{option} must be {span}; got {value}")


# errno → what to do about it ({path} is the file the system call failed on).
_OS_FIXES = {
    errno.ENOSPC: "no space left on the device writing {path}: free some space and run again "
    "(a training run resumes where it stopped)",
    errno.EDQUOT: "disk quota exceeded writing {path}: free some space and run again",
    errno.EROFS: "{path} is on a read-only file system: choose a writable place (--out)",
    errno.EACCES: "permission denied for {path}: choose a place you may write (--out), or fix permissions",
    errno.EPERM: "operation not permitted on {path}: choose another place (--out), or fix its permissions",
    errno.ENOTDIR: "{path}: part of this path is a file, not a folder; choose another path",
    errno.EEXIST: "{path} already exists and is not a folder; choose another path",
    errno.EISDIR: "{path} is a folder where a file was expected; choose a file path",
    errno.ENOENT: "no such file or folder: {path}",
    errno.ENAMETOOLONG: "the path {path} is too long; choose a shorter one",
}


def describe_os_error(error: OSError) -> str:
    """One line for an OSError: the file and the fix."""
    path = error.filename if error.filename is not None else "a file"
    fix = _OS_FIXES.get(error.errno) if error.errno is not None else None
    if fix is not None:
        return fix.format(path=path)
    return f"{path}: {error.strerror or error}"


# How cnnapp.data.folder's pipeline starts the message of an image file that does not decode.
UNREADABLE_IMAGE = "cannot read image "


def _tensorflow_message(error: BaseException) -> str | None:
    """One line for TensorFlow's own file and memory errors (they are not OSErrors), else None."""
    kind = type(error).__name__
    text = str(getattr(error, "message", "")) or str(error)
    if kind == "InvalidArgumentError" and UNREADABLE_IMAGE in text:
        # An image folder's file that does not decode, met while training: cnnapp.data.folder names it in
        # a tf.debugging.Assert in the pipeline; TensorFlow wraps the message in "assertion failed: [...]".
        return text[text.index(UNREADABLE_IMAGE) :].split("]")[0]
    if not type(error).__module__.startswith("tensorflow") or kind not in (
        "PermissionDeniedError",
        "ResourceExhaustedError",
    ):
        return None
    first = (str(getattr(error, "message", "")) or str(error)).strip().splitlines()
    detail = first[0] if first else kind
    if kind == "ResourceExhaustedError":
        return f"out of memory or disk ({detail}); lower train.batch_size or free some space"
    return f"permission denied ({detail}); choose a place you may write (--out)"


# An optional package a command needs only for some work → how to install it (docs/install.md).
TFMOT_INSTALL = "pip install --no-deps tensorflow-model-optimization==0.8.1"
OPTIONAL_PACKAGES = {
    "tensorflow_model_optimization": (
        "QAT, pruning and clustering",
        f"{TFMOT_INSTALL} (without its dependencies: its absl-py pin is stale; docs/install.md)",
    ),
    "jax": ("the JAX backend", "pip install 'cnnapp[jax]'"),
    "jaxlib": ("the JAX backend", "pip install 'cnnapp[jax]'"),
    "playwright": ("the browser tests", "pip install 'cnnapp[browser]'"),
}


def missing_package(error: ModuleNotFoundError) -> str | None:
    """One line naming what to install for a missing optional package, else None (a bug, or a broken
    install: its traceback is what a report needs)."""
    top = (error.name or "").split(".")[0]
    if top not in OPTIONAL_PACKAGES:
        return None
    needs, install = OPTIONAL_PACKAGES[top]
    return f"the package {top}, for {needs}, is not installed: {install}"


def require_optional(module: str) -> None:
    """Fail now, in one line naming its install, when the optional package `module` is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise CnnappError(missing_package(ModuleNotFoundError(name=module)) or f"{module} is not installed")


def run_cli(
    main: Callable[[Sequence[str] | None], int | None], prog: str, argv: Sequence[str] | None = None
) -> None:
    """Run a CLI's `main(argv)` (default: the command line's arguments); a CnnappError or a machine error
    becomes `prog: error: ...`, exit 2."""
    try:
        status = main(sys.argv[1:] if argv is None else list(argv))
    except CnnappError as error:
        _fail(prog, str(error))
    except OSError as error:
        _fail(prog, describe_os_error(error))
    except ModuleNotFoundError as error:
        message = missing_package(error)
        if message is None:
            raise
        _fail(prog, message)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as error:
        message = _tensorflow_message(error)
        if message is None:
            raise  # a bug: its traceback is what a report needs
        _fail(prog, message)
    sys.exit(status or 0)


def _fail(prog: str, message: str) -> None:
    print(f"{prog}: error: {printable(' '.join(message.split()))}", file=sys.stderr)
    sys.exit(2)
