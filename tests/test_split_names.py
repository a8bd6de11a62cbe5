"""Split names have one home, `cnnapp.choices` (TRAIN, VALIDATION, TEST): a scan of cnnapp/ finds no "train",
"validation" or "test" string literal used as a split name, so a renamed split cannot leave a copy behind.

Used as a split name: the key of a dataset's splits or sizes (`source.splits["train"]`), an argument of a
call that takes a split (`source.split("test")`, `make_scenes("validation", ...)`, `split="test"`), the value
of a "split" key, a comparison with or an assignment to a split variable, a split parameter's default. Text
for users (docstrings, f-strings, messages) is not scanned: it names the split for a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import cnnapp
from cnnapp.choices import SPLITS

PACKAGE = Path(cnnapp.__file__).parent
HOME = PACKAGE / "choices.py"
# Containers keyed by split name (RunData.sizes, DatasetInfo.split_sizes, Source.splits, class_counts).
KEYED_BY_SPLIT = ("splits", "split_sizes", "sizes", "class_counts")
# Functions whose first arguments are splits though their names do not say so.
TAKE_A_SPLIT = ("make_scenes", "images", "load_split")


def _name(node) -> str:
    """The last name of an expression: `a.b.splits` → "splits", `f(x)` → "f", `d["k"]` → "d"."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, (ast.Call, ast.Subscript)):
        return _name(node.func if isinstance(node, ast.Call) else node.value)
    return ""


def _split_literal(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in SPLITS


def _about_splits(name: str) -> bool:
    return "split" in name.lower()


def _call(node: ast.Call):
    callee = _name(node.func)
    keyed_get = callee == "get" and _name(getattr(node.func, "value", None)).endswith(KEYED_BY_SPLIT)
    if _about_splits(callee) or callee in TAKE_A_SPLIT or keyed_get:
        yield from (arg for arg in node.args if _split_literal(arg))
    yield from (k.value for k in node.keywords if k.arg and _about_splits(k.arg) and _split_literal(k.value))


def _defaults(node):
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    pairs = [
        *zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True),
        *zip(args.kwonlyargs, args.kw_defaults, strict=True),
    ]
    yield from (default for arg, default in pairs if _about_splits(arg.arg) and _split_literal(default))


def split_names_typed(tree: ast.AST):
    """The string literals of `tree` used as split names (see the module's docstring)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            if _split_literal(node.slice) and _name(node.value).endswith(KEYED_BY_SPLIT):
                yield node.slice
        elif isinstance(node, ast.Call):
            yield from _call(node)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and _about_splits(str(key.value)) and _split_literal(value):
                    yield value
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_about_splits(_name(side)) for side in sides):
                yield from (side for side in sides if _split_literal(side))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_about_splits(_name(t)) for t in targets) and _split_literal(node.value):
                yield node.value
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _defaults(node)


def test_split_names_come_from_their_one_home():
    typed = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == HOME:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in split_names_typed(ast.parse("\n".join(lines))):
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            typed.append(f"{where}: {lines[node.lineno - 1].strip()}")
    assert not typed, "use cnnapp.choices.TRAIN / VALIDATION / TEST:\n" + "\n".join(typed)


def test_the_scan_finds_each_way_a_split_is_named():
    source = """
def f(split="test", *, holdout_split="validation"):
    source.splits["train"]
    info.split_sizes.get("test")
    source.split("validation")
    make_scenes("train", 3)
    load(split="test")
    report = {"split": "test"}
    if split == "train":
        test_split = "test"
    return "test", {"train": 1}, f"the test split", mode == "train"
"""
    found = [(node.lineno, node.value) for node in split_names_typed(ast.parse(source))]
    assert sorted(found) == [
        (2, "test"), (2, "validation"), (3, "train"), (4, "test"), (5, "validation"), (6, "train"),
        (7, "test"), (8, "test"), (9, "train"), (10, "test"),
    ]  # fmt: skip
