"""The `cnnapp` command, and what every cnnapp command line shares: `--verbose`, `--quiet`, a quiet start.

    cnnapp --help                      # the commands, each with its one-line summary
    cnnapp train --recipe lenet5-digits
    cnnapp SUB --help                  # answered before TensorFlow is imported

`cnnapp SUB ARGS` is `python -m cnnapp.SUB ARGS`: the commands are found in the package, not listed by hand
(a module with `if __name__ == "__main__":` under `run_cli`, or a subpackage with `__main__.py`), and nothing
heavier than the command's own module is imported until its arguments are parsed.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import sys
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cnnapp
from cnnapp import quiet

PROG = "cnnapp"
# The name a command is shown under: `python -m cnnapp.NAME`, or `cnnapp NAME` when run through the `cnnapp`
# command (set by `main` before the command builds its parser).
_invoked_as: dict[str, str] = {}


class ArgumentParser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` with the two flags every cnnapp command takes, one meaning each:

    --verbose: also show TensorFlow's and LiteRT's own logs (start-up, converter, XNNPACK), hidden by default.
    --quiet: no progress output (progress bars, per-epoch lines); the result and errors are still printed.

    Parsing, once the arguments are known to be good (so `--help` and a bad flag never import TensorFlow),
    starts TensorFlow quietly (`cnnapp.quiet.start_tensorflow`) on the Keras backend the command asks for
    (its `--backend`, else KERAS_BACKEND).
    """

    def __init__(self, *args, **kwargs):
        prog = kwargs.get("prog")
        if prog in _invoked_as:
            kwargs["prog"] = _invoked_as[prog]
        super().__init__(*args, **kwargs)
        loudness = self.add_mutually_exclusive_group()
        loudness.add_argument(
            "--verbose",
            action="store_true",
            help="also show TensorFlow's and LiteRT's own logs (start-up, converter, XNNPACK)",
        )
        loudness.add_argument(
            "--quiet", action="store_true", help="no progress output: only the result and errors"
        )

    def parse_known_args(self, args=None, namespace=None):
        parsed, extra = super().parse_known_args(args, namespace)
        if not extra:  # extra arguments are an error parse_args is about to report: no work starts
            quiet.start_tensorflow(verbose=parsed.verbose, backend=getattr(parsed, "backend", None))
            if parsed.quiet:
                _no_progress()
        return parsed, extra


def _no_progress() -> None:
    """--quiet: Keras's progress bars and epoch lines go to its logger, which shows nothing by default."""
    if "keras" in sys.modules or quiet._tensorflow_installed():
        import keras

        keras.utils.disable_interactive_logging()


def _has_main_guard(source: str) -> bool:
    """Whether a module's source runs something under a top-level `if __name__ == "__main__":`."""
    for node in ast.parse(source).body:
        test = getattr(node, "test", None)
        if isinstance(node, ast.If) and isinstance(test, ast.Compare):
            names = [test.left, *test.comparators]
            if any(isinstance(n, ast.Name) and n.id == "__name__" for n in names):
                return True
    return False


def entry_points() -> dict[str, str]:
    """Every module of the package a user runs as `python -m NAME`, found without importing any of them:
    {NAME: module}, e.g. {"cnnapp.audit": "cnnapp.audit.__main__", "cnnapp.audit.calc": ...}.

    A module with a top-level `if __name__ == "__main__":`, or a package's `__main__.py`, in a folder that
    is a package (so not the shipped data's make scripts); not `cnnapp/__main__.py`, the `cnnapp` command.
    """
    root = Path(cnnapp.__path__[0])
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        folders = [root.parent.joinpath(*parts[:i]) for i in range(1, len(parts))]
        if not all((folder / "__init__.py").is_file() for folder in folders):
            continue
        if any(part.startswith("_") for part in parts[:-1]) or path.name == "__init__.py":
            continue
        if path.name == "__main__.py":
            if len(parts) > 2:
                found[".".join(parts[:-1])] = ".".join(parts)
        elif not path.name.startswith("_"):
            source = path.read_text()
            if "__main__" in source and _has_main_guard(source):  # the cheap test first: --help reads these
                found[".".join(parts)] = ".".join(parts)
    return dict(sorted(found.items()))


def commands() -> dict[str, str]:
    """Every command of the package, by name: {name: module} — the entry points directly under `cnnapp`."""
    return {name.split(".")[1]: module for name, module in entry_points().items() if name.count(".") == 1}


def summary(module: str) -> str:
    """What a command does: its docstring's first sentence, read from its source (not imported)."""
    source = Path(cnnapp.__path__[0]).joinpath(*module.split(".")[1:]).with_suffix(".py")
    doc = ast.get_docstring(ast.parse(source.read_text())) or ""
    first = " ".join(doc.split("\n\n")[0].split())
    # "`python -m cnnapp.bench`: what it does" → "what it does"; "What: `python -m ...`" → "What"
    first = re.sub(r"^`python -m [^`]*`:\s*|^python -m cnnapp[\w.]*:\s*", "", first)
    first = re.split(r":\s*`python -m| — |; |\. ", first)[0].rstrip(".")
    return first[:1].upper() + first[1:]


def _help(names: dict[str, str]) -> str:
    width = max(map(len, names))
    lines = [f"  {name:<{width}}  {summary(module)}" for name, module in names.items()]
    return (
        f"usage: {PROG} [--version] COMMAND [ARGS...]\n\n"
        f"cnnapp {cnnapp.__version__}: the classic conv nets in Keras — train, audit, export for phones.\n\n"
        "commands:\n" + "\n".join(lines) + "\n\n"
        f"`{PROG} COMMAND --help` shows a command's arguments; every command takes --verbose and --quiet.\n"
        f"`{PROG} COMMAND` is `python -m cnnapp.COMMAND`.\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The `cnnapp` console script: `cnnapp COMMAND ARGS` runs that command's `main(ARGS)`."""
    from cnnapp import errors

    argv = list(sys.argv[1:] if argv is None else argv)
    names = commands()
    if not argv or argv[0] in ("-h", "--help"):
        print(_help(names), end="")
        return 0 if argv else 2
    if argv[0] == "--version":
        print(f"{PROG} {cnnapp.__version__}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in names:
        print(f"{PROG}: error: {errors.unknown('command', name, list(names))}", file=sys.stderr)
        return 2
    import importlib

    module = names[name]
    alias = f"python -m {module.removesuffix('.__main__')}"
    _invoked_as[alias] = f"{PROG} {name}"
    try:
        command = importlib.import_module(module)
        errors.run_cli(command.main, f"{PROG} {name}", rest)
    finally:
        del _invoked_as[alias]
    return 0


def console() -> None:
    """Entry point of the installed `cnnapp` script."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())


class _CallableModule(types.ModuleType):
    _function: Callable[..., Any]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return type(self)._function(*args, **kwargs)


def callable_module(name: str, function: Callable[..., Any]) -> None:
    """Make the module `name` callable as `function`: the notebook's `cnnapp.train(...)` is the function
    `cnnapp.train.train` of the module that is also `python -m cnnapp.train` (a submodule, once imported, is
    its package's attribute of that name, so a function of the same name in `cnnapp` could not stay there)."""
    module = sys.modules[name]
    if module.__name__ != "__main__":
        module.__class__ = type(function.__name__, (_CallableModule,), {"_function": staticmethod(function)})
