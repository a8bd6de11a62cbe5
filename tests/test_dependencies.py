"""Fast tier: the dependencies fit — every package cnnapp imports is pinned where it belongs, and `pip check`
reports nothing but the one known conflict (tfmot's stale absl-py pin, docs/install.md)."""

import ast
import functools
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TFMOT_ABSL = re.compile(r"^tensorflow-model-optimization [\d.]+ has requirement absl-py~=1\.\d+, but ")
# Installed on their own (docs/install.md), so not in requirements.txt.
NOT_DEPENDENCIES = {"tensorflow-model-optimization", "jax", "jaxlib"}


def _pins(*files: str) -> set[str]:
    names = set()
    for name in files:
        for line in (ROOT / name).read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                names.add(re.split(r"[=<>~!]", line)[0].strip().lower().replace("_", "-"))
    return names


def _imports(folder: Path) -> set[str]:
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"cnnapp", "tests", "conftest", "__future__"}


@functools.cache
def _owners() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def _distributions(modules: set[str]) -> set[str]:
    owners = _owners()
    return {owners[m][0].lower().replace("_", "-") for m in modules if m in owners}


def test_every_package_the_program_imports_is_a_pinned_runtime_requirement():
    # The maintainer script that rebuilds the shipped digits uses scikit-learn (a [dev] requirement).
    imported = _imports(ROOT / "cnnapp") - {"sklearn"}
    missing = _distributions(imported) - _pins("requirements.txt") - NOT_DEPENDENCIES
    assert not missing, f"imported by cnnapp but not pinned in requirements.txt: {sorted(missing)}"


def test_every_package_the_tests_import_is_pinned_in_an_extra_or_the_runtime():
    pinned = _pins("requirements.txt", *(f"requirements/{e}.txt" for e in ("test", "browser", "jax", "dev")))
    missing = _distributions(_imports(ROOT / "tests")) - pinned - NOT_DEPENDENCIES
    assert not missing, f"imported by the tests but pinned nowhere: {sorted(missing)}"


def test_test_tools_are_not_runtime_requirements():
    assert not _pins("requirements.txt") & {"pytest", "pytest-xdist", "playwright", "jax", "jaxlib", "ruff"}


def test_pip_check_reports_only_tfmots_stale_absl_pin():
    done = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line and not line.startswith("No broken")]
    others = [line for line in lines if not TFMOT_ABSL.match(line)]
    assert not others, f"pip check: {others}"
    try:
        tfmot = metadata.requires("tensorflow-model-optimization") or []
    except metadata.PackageNotFoundError:
        pytest.skip("tensorflow-model-optimization is not installed: nothing to conflict")
    if not any(r.replace(" ", "").startswith("absl-py~=1") for r in tfmot):
        assert not lines, "tfmot no longer pins absl-py 1.x: install it with its dependencies (install.md)"
