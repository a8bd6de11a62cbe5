"""Names and paths that come from users and files: checked before anything is written, printed safely.

    check_run_name("lenet5-digits")     # a recipe name becomes runs/NAME: one plain path component
    out_folder(args.out, "--out")       # an --out the user typed: not empty
    printable("\\x1b]0;pwned\\x07")      # '\\x1b]0;pwned\\x07': control characters escaped
    ASSETS / "lectures" / "figures.toml"  # a shipped file (package data), found without TensorFlow

A recipe's name is a folder name under `runs/` (the default run folder), so it may not climb out of it or
name an absolute path; `--out` is the user's own choice of folder, anywhere, but never the empty string
(which Python reads as the current folder, the project itself). Text read from files and folder names
(class names, labels, recipe names) is printed through `printable`, so a terminal escape in a file name
cannot retitle or rewrite the user's terminal.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from cnnapp.errors import CnnappError, printable

# The shipped data (cnnapp/assets/: datasets, class names, the lectures' figures): package data, a real
# folder once installed. Here, in a light module, so reading a shipped file imports no TensorFlow.
ASSETS = Path(str(resources.files("cnnapp") / "assets"))

__all__ = ["check_run_name", "out_folder", "printable", "read_utf8"]


def check_run_name(name: str, where: str = "recipe name") -> str:
    """`name` if it is one plain folder name (no separator, no `..`, not hidden, no control characters)."""
    bad = (
        not name
        or name in (".", "..")
        or name.startswith(".")
        or "/" in name
        or "\\" in name
        or os.path.isabs(name)
        or printable(name) != name
    )
    if bad:
        raise CnnappError(
            f"{where} '{printable(name)}' cannot name a run folder (runs/NAME): use letters, digits, '-', "
            "'_' and '.', no '/' or '..'; to train elsewhere pass --out DIR"
        )
    return name


def out_folder(value: str | os.PathLike | None, option: str = "--out") -> Path | None:
    """The folder an `--out` option names (None when not given); an empty value is refused."""
    if value is None:
        return None
    text = os.fspath(value)
    if not text.strip():
        raise CnnappError(f"{option} is empty; name a folder (e.g. {option} runs/mine)")
    if printable(text) != text:
        raise CnnappError(f"{option} '{printable(text)}' holds control characters; name another folder")
    return Path(text)


def read_utf8(path: str | os.PathLike, what: str = "file") -> str:
    """The text of `path`, read as UTF-8; a file in another encoding is a one-line CnnappError."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CnnappError(
            f"{what} {printable(path)} is not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
