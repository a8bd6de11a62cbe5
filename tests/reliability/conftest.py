"""One tiny trained run folder for the whole reliability suite; every case works on its own copy."""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
from pathlib import Path

import pytest

from tests.fixtures import TINY  # the trained run's overrides: LeNet-5 on 200 digits, 2 epochs of 3 steps


def train_argv(out: Path, *overrides: str, recipe: str = "lenet5-digits") -> list[str]:
    """The train CLI's argv for the tiny run in `out`, with more `--set` overrides (later ones win)."""
    sets = [a for o in [*TINY, *overrides] for a in ("--set", o)]
    return ["--recipe", recipe, *sets, "--out", str(out), "--quiet"]


@pytest.fixture(scope="session")
def trained_run(tiny_run) -> Path:
    """The suite's tiny run (tests/fixtures.py): `train_argv`'s run without more overrides."""
    return tiny_run


@pytest.fixture
def run_copy(trained_run, tmp_path) -> Path:
    """A private copy of the trained run folder."""
    return Path(shutil.copytree(trained_run, tmp_path / "run"))


def run_cli(module, argv: list[str]) -> tuple[int, str, str]:
    """Run `module.main(argv)` under `errors.run_cli` as `python -m` would: (exit code, stdout, stderr).

    A traceback (an exception run_cli does not turn into a message) propagates and fails the test.
    """
    from cnnapp import errors

    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = [module.__name__, *argv]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            errors.run_cli(module.main, f"python -m {module.__name__.removesuffix('.__main__')}")
    except SystemExit as exit_:
        code = exit_.code or 0
    else:  # pragma: no cover - run_cli always exits
        code = 0
    finally:
        sys.argv = saved
    return int(code), out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` and its bytes (the lock file aside: a start rewrites its holder stamp)."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }
