"""Fast tier: the tests mirror the package — every cnnapp module with behaviour has its own test file.

`cnnapp/<package>/<module>.py` is tested in `tests/<package>/test_<module>.py`, a top-level module
`cnnapp/<module>.py` in `tests/test_<module>.py`; a package's `__main__.py` (its command) in
`test_main.py`, its `__init__.py` in `test_init.py`. So a reader who opens a module finds its tests
without searching, and a new module without tests fails here by name. Tests of the package as a whole
(the import graph, the installed package, faults across every command, the docs) live at the top of
tests/ or in a folder of their own (tests/reliability/, tests/docs/), beside the mirror.

A module has behaviour when it defines a function or a class (a PEP 562 `__getattr__`/`__dir__` that only
loads submodules lazily is not behaviour of its own): constant-only leaves (`choices`, `colour`),
re-exporting `__init__`s and the `python -m cnnapp` shim need no file of their own.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cnnapp"
TESTS = ROOT / "tests"

# Modules with behaviour that need no mirror, each with why.
SKIP = {
    # Maintainer scripts run once to make a committed data file from a source outside the package; what they
    # made is what the tests load (tests/data/test_sources.py reads digits.npz, mnist4k.npz and the labels).
    "cnnapp/assets/make_labels.py": "makes the committed labels.txt files",
    "cnnapp/assets/digits/make_digits.py": "makes the committed digits.npz (needs scikit-learn)",
    "cnnapp/assets/mnist4k/make_mnist4k.py": "makes the committed mnist4k.npz from ../shared",
}

_LAZY = {"__getattr__", "__dir__"}


def mirror(module: Path) -> Path:
    """The test file of a module: cnnapp/a/b.py → tests/a/test_b.py (`__main__` → main, `__init__` → init)."""
    relative = module.relative_to(PACKAGE)
    stem = {"__main__": "main", "__init__": "init"}.get(relative.stem, relative.stem)
    return TESTS.joinpath(*relative.parts[:-1], f"test_{stem}.py")


def has_behaviour(module: Path) -> bool:
    """Whether a module defines a function or a class (not only constants, imports and lazy loading)."""
    body = ast.parse(module.read_text()).body
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return any(isinstance(node, kinds) and node.name not in _LAZY for node in body)


def modules_with_behaviour() -> list[str]:
    found = [p for p in sorted(PACKAGE.rglob("*.py")) if has_behaviour(p)]
    return [str(p.relative_to(ROOT)) for p in found]


def test_the_mirror_rule_names_the_file_of_each_kind_of_module():
    assert mirror(PACKAGE / "runs.py") == TESTS / "test_runs.py"
    assert mirror(PACKAGE / "data" / "folder.py") == TESTS / "data" / "test_folder.py"
    assert mirror(PACKAGE / "audit" / "__main__.py") == TESTS / "audit" / "test_main.py"
    assert mirror(PACKAGE / "audit" / "calc" / "__init__.py") == TESTS / "audit" / "calc" / "test_init.py"


def test_behaviour_is_a_function_or_a_class_not_constants_or_lazy_imports(tmp_path):
    constants = tmp_path / "constants.py"
    constants.write_text('"""Doc."""\n\nNAMES = ("a", "b")\n')
    lazy = tmp_path / "lazy.py"
    lazy.write_text("import importlib\n\n\ndef __getattr__(name):\n    return importlib.import_module(name)")
    code = tmp_path / "code.py"
    code.write_text("class Thing:\n    pass\n")
    assert not has_behaviour(constants) and not has_behaviour(lazy) and has_behaviour(code)


def test_every_module_with_behaviour_has_its_mirror_test_file():
    missing = [
        f"{module} → {mirror(ROOT / module).relative_to(ROOT)}"
        for module in modules_with_behaviour()
        if module not in SKIP and not mirror(ROOT / module).is_file()
    ]
    assert not missing, "modules without their test file (write it, named so):\n" + "\n".join(missing)


def test_the_skip_list_holds_only_real_modules_still_without_a_file():
    modules = set(modules_with_behaviour())
    for module in SKIP:
        assert module in modules, f"{module} is listed here but is no module with behaviour: remove it"
    mirrored = [m for m in SKIP if mirror(ROOT / m).is_file()]
    assert not mirrored, f"these have their own test file now: remove them from SKIP: {mirrored}"
