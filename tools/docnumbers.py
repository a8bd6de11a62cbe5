"""Measured numbers in the Markdown docs, written from the committed JSON that holds them (never typed).

A doc marks a generated table or value with an HTML comment naming the JSON and what to show; the text up to
the closing comment is rewritten from the JSON:

    <!-- numbers: export/lenet5-digits/float32.json export/lenet5-digits/int8.json
         "export|code|Export" "size.bytes|,|Bytes" "evaluation.litert.top1|.2%|Top-1" -->
    (the table is written here)
    <!-- /numbers -->

    The int8 file is <!-- number: export/lenet5-digits/int8.json size.bytes|, -->75,161<!-- /number --> bytes.

- Paths are relative to the repository root; a glob (`export/*/int8.json`) takes the matching files sorted,
  braces (`export/lenet5-digits/{float32,int8}.json`) the files in the order written.
  Each file is one row, or one row per item when it holds a list (`rows=KEY` picks a list inside it).
- A column is `KEY`, `KEY|FORMAT` or `KEY|FORMAT|HEADING`: KEY is a dotted path into the row (`size.bytes`;
  a list index is a number: `parameters.top_layers.0.layer`), FORMAT a Python format spec (`,` thousands,
  `.2%` a percentage, `.3f`), or `code` for `backticks`; empty FORMAT: integers get thousands separators,
  floats four significant digits, `shape` for a list written 28×28×6; KEY `.` is the row itself (a list of
  sentences). HEADING defaults to KEY.
- KEY may be a ratio or a difference of two keys of the same row, `A/B` or `A-B`
  (`size.int8/size.float32`, `evaluation.top1-baseline.top1`): computed from the JSON, never typed.

`python tools/docnumbers.py` rewrites README.md and docs/*.md in place; `--check` rewrites nothing and fails,
naming the files, when one is out of date with its JSON (tests/docs/test_numbers.py runs it).
"""

from __future__ import annotations

import argparse
import glob
import json
import re
import shlex
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TABLE = re.compile(r"(<!-- numbers: (?P<spec>.*?)-->\n)(?P<body>.*?)(<!-- /numbers -->)", re.S)
VALUE = re.compile(r"(<!-- number: (?P<spec>.*?)-->)(?P<body>.*?)(<!-- /number -->)", re.S)


class SpecError(ValueError):
    """A marker that names a missing file, a missing key or a bad format."""


def lookup(row: Any, key: str) -> Any:
    """The value at the dotted path KEY inside ROW (`.`: ROW itself), or `A/B`, `A-B` of two such paths."""
    if key == ".":
        return row
    try:
        return _path(row, key)
    except SpecError:
        for at in (i for i, c in enumerate(key) if c in "/-"):  # a key may itself hold a - (`int8-pertensor`)
            try:
                left, right = _path(row, key[:at]), _path(row, key[at + 1 :])
            except SpecError:
                continue
            return _arithmetic(key, key[at], left, right)
        raise


def _arithmetic(key: str, op: str, left: Any, right: Any) -> float:
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right)):
        raise SpecError(f"{key!r}: both sides must be numbers, got {left!r} and {right!r}")
    if op == "-":
        return left - right
    if right == 0:
        raise SpecError(f"{key!r}: division by zero")
    return left / right


def _path(row: Any, key: str) -> Any:
    value = row
    for part in key.split("."):
        if value is None:  # a null on the way (a dense layer's receptive field): written as –
            return None
        try:
            value = value[int(part)] if isinstance(value, list) else value[part]
        except (KeyError, IndexError, ValueError, TypeError) as error:
            raise SpecError(f"no {key!r} in {json.dumps(row)[:120]}...") from error
    return value


def _has(row: Any, key: str) -> bool:
    """Whether KEY is a plain path in ROW (a key may itself hold a - or /, e.g. `int8-pertensor`)."""
    try:
        _path(row, key)
        return True
    except SpecError:
        return False


def render(value: Any, spec: str) -> str:
    """VALUE written with the format SPEC (see the module docstring)."""
    if spec == "code":
        return f"`{value}`"
    if spec == "shape" and isinstance(value, list):
        return "×".join(map(str, value))
    if value is None:
        return "–"
    if not spec:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return str(value)
        spec = "," if isinstance(value, int) else ".4g"
    try:
        return format(value, spec)
    except (ValueError, TypeError) as error:
        raise SpecError(f"cannot format {value!r} with {spec!r}") from error


def _braces(pattern: str) -> list[str]:
    """`a/{x,y}.json` → [a/x.json, a/y.json], in the order written (one pair of braces)."""
    match = re.search(r"\{([^{}]*)\}", pattern)
    if not match:
        return [pattern]
    return [pattern[: match.start()] + part + pattern[match.end() :] for part in match[1].split(",")]


def _files(patterns: list[str], root: Path) -> list[Path]:
    paths: list[Path] = []
    for pattern in (p for written in patterns for p in _braces(written)):
        found = sorted(Path(p) for p in glob.glob(str(root / pattern)))
        if not found:
            raise SpecError(f"no file matches {pattern}")
        paths += found
    return paths


def _rows(paths: list[Path], rows_key: str | None) -> list[Any]:
    rows: list[Any] = []
    for path in paths:
        data = json.loads(path.read_text())
        if rows_key:
            data = lookup(data, rows_key)
        rows += data if isinstance(data, list) else [data]
    return rows


def _column(token: str) -> tuple[str, str, str]:
    key, spec, heading = (token.split("|") + ["", ""])[:3]
    return key, spec, heading or key


def table(spec: str, root: Path = ROOT) -> str:
    """The Markdown table a `numbers:` marker's SPEC describes."""
    tokens = shlex.split(spec)
    patterns = [t for t in tokens if t.endswith(".json")]
    rows_key = next((t.removeprefix("rows=") for t in tokens if t.startswith("rows=")), None)
    columns = [_column(t) for t in tokens if t not in patterns and not t.startswith("rows=")]
    if not patterns or not columns:
        raise SpecError(f"a table needs a JSON file and at least one column: {spec!r}")
    lines = ["| " + " | ".join(h for _, _, h in columns) + " |", "|" + "---|" * len(columns)]
    for row in _rows(_files(patterns, root), rows_key):
        lines.append("| " + " | ".join(render(lookup(row, k), f) for k, f, _ in columns) + " |")
    return "\n".join(lines) + "\n"


def value(spec: str, root: Path = ROOT) -> str:
    """The one value a `number:` marker's SPEC names (FILE KEY|FORMAT)."""
    tokens = shlex.split(spec)
    if len(tokens) != 2:
        raise SpecError(f"a number is FILE KEY[|FORMAT]: {spec!r}")
    (path,) = _files(tokens[:1], root)
    key, fmt, _ = _column(tokens[1])
    return render(lookup(json.loads(path.read_text()), key), fmt)


def _in_code(text: str, at: int) -> bool:
    """Whether position AT is inside a fenced code block or on an indented (code) line: a marker shown as
    an example there is left alone."""
    line_start = text.rfind("\n", 0, at) + 1
    fences = ("\n" + text[:line_start]).count("\n```")
    return text[line_start:at].startswith(("    ", "\t")) or fences % 2 == 1


def rewrite(text: str, root: Path = ROOT) -> str:
    """TEXT with every marked table and value written from its JSON (not those shown inside code)."""
    for pattern, fill in ((TABLE, table), (VALUE, value)):
        text = pattern.sub(
            lambda m, fill=fill, source=text: (
                m[0] if _in_code(source, m.start()) else m[1] + fill(m["spec"], root) + m[4]
            ),
            text,
        )
    return text


def docs(root: Path = ROOT) -> list[Path]:
    """The Markdown files the numbers live in: README.md and docs/**/*.md."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; fail if a doc is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path in docs():
        text = path.read_text()
        try:
            new = rewrite(text)
        except (SpecError, OSError, json.JSONDecodeError) as error:
            print(f"{path.relative_to(ROOT)}: {error}", file=sys.stderr)
            return 2
        if new != text:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(new)
    if stale:
        verb = "out of date (run python tools/docnumbers.py)" if args.check else "rewritten"
        print(f"{verb}: {', '.join(map(str, stale))}", file=sys.stderr)
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
