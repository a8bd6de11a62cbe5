"""Fast tier: cnnapp as an installed package — `import cnnapp` is light, `--help` imports no TensorFlow, the
shipped files are package data, one version.

Structural, not timed: each check runs in a fresh interpreter and looks at what it imported.
"""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import cnnapp

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("tensorflow", "keras", "tf_keras", "tensorflow_datasets", "mediapipe", "ai_edge_litert", "PIL")


def _imported_after(code: str, *argv: str) -> set[str]:
    """The heavy modules a fresh interpreter holds after running CODE (with sys.argv = ["-c", *argv])."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_import_cnnapp_imports_no_tensorflow_and_reads_no_command_line():
    # Arguments a command would act on (a backend, a recipe) change nothing at import.
    assert _imported_after("import cnnapp", "--backend", "tensorflow", "--recipe", "x") == set()


def test_every_shipped_recipe_loads_without_tensorflow():
    # A notebook or a tool lists and reads recipes before any work starts (.ci/run does, from outside).
    code = "from cnnapp import recipes\nfor name in recipes.names():\n    recipes.load_recipe(name)"
    assert _imported_after(code) == set()


def test_help_of_every_command_imports_no_tensorflow():
    code = (
        "import contextlib, io\nfrom cnnapp import cli\n"
        "for name in cli.commands():\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        cli.main([name, '--help'])\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        cli.main(['--help'])"
    )
    assert _imported_after(code) == set()


def test_a_command_starts_tensorflow_once_its_arguments_are_parsed(monkeypatch):
    from cnnapp import cli, quiet

    started = []
    monkeypatch.setattr(quiet._state, "started", False)
    monkeypatch.setattr(quiet, "_import_tensorflow", lambda: started.append(True))
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    with pytest.raises(SystemExit):
        cli.ArgumentParser(prog="x").parse_args(["--no-such-flag"])  # a bad flag: nothing is started
    assert started == []
    cli.ArgumentParser(prog="x").parse_args([])
    assert started == [True]


def test_the_notebook_functions_are_the_command_modules_made_callable():
    for name in ("train", "audit", "export", "predict"):
        module = getattr(cnnapp, name)
        assert module.__name__ == f"cnnapp.{name}" and callable(module)
        assert type(module)._function is getattr(module, name)  # cnnapp.train(...) is cnnapp.train.train(...)


def test_the_shipped_files_are_package_data():
    from cnnapp.data.sources import ASSETS
    from cnnapp.demo.runtime import WEB
    from cnnapp.recipes import RECIPE_DIR, names

    package = Path(cnnapp.__file__).parent
    for folder in (ASSETS, WEB, RECIPE_DIR):
        assert folder.is_dir() and folder.parent in (package, package.parent)
    assert "lenet5-digits" in names() and (ASSETS / "digits" / "digits.npz").is_file()
    assert (WEB / "package-lock.json").is_file() and (WEB / "page" / "index.html").is_file()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "cnnapp.__version__"}
    assert pyproject["project"]["scripts"]["cnnapp"] == "cnnapp.cli:console"


def test_the_changelog_names_this_version():
    assert f"## {cnnapp.__version__}" in (ROOT / "CHANGELOG.md").read_text()


@pytest.mark.parametrize("extra", ["test", "browser", "jax", "dev"])
def test_every_extra_pins_exact_versions(extra):
    for line in (ROOT / "requirements" / f"{extra}.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert "==" in line, f"requirements/{extra}.txt: {line} is not pinned"
