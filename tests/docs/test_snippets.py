"""Docs tier (`python -m pytest -m docs`, run by .ci/run): every code block of README.md and docs/ runs as a
user would paste it, so a snippet that fails fails CI.

Python blocks run in a fresh interpreter; bash blocks line by line in bash (`set -e`), with `cnnapp` on PATH.
A doc's blocks run in order in one fresh folder holding what the docs assume a user has: `export/` (the
committed exports), `digit.png` and `seven.png` (test digits), `runs/lenet5-digits` (the session's run of the
shipped default). A block that cannot run here says so on the line before it, `<!-- not run: REASON -->`
(ImageNet, a GPU cluster, a server that runs until Ctrl-C); other blocks (text, toml) are not code to run.
"""

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNABLE = ("python", "bash", "sh")
BLOCK = re.compile(r"(?ms)(?:^<!-- not run: (?P<reason>[^>]*?) -->\n)?^```(?P<lang>\w*)\n(?P<code>.*?)^```")
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(path: Path) -> list[tuple[str, str, str | None]]:
    """(language, code, reason it is not run or None) of every fenced block of the doc at PATH."""
    return [(m["lang"], m["code"], m["reason"]) for m in BLOCK.finditer(path.read_text())]


def test_the_markers_are_read():
    found = blocks(ROOT / "README.md")
    assert any(reason for _, _, reason in found) and any(lang == "python" and not r for lang, _, r in found)


def _user_folder(tmp: Path, digits_run: Path) -> dict[str, str]:
    (tmp / "export").symlink_to(ROOT / "export")
    digits = sorted((ROOT / "tests" / "demo" / "digits").glob("*.png"))
    shutil.copy(next(p for p in digits if p.stem.endswith("-7")), tmp / "seven.png")
    shutil.copy(digits[0], tmp / "digit.png")
    shutil.copytree(digits_run, tmp / "runs" / "lenet5-digits")
    bin_dir = tmp / ".bin"
    bin_dir.mkdir()
    shim = bin_dir / "cnnapp"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m cnnapp "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", PYTHONPATH=str(ROOT))
    return env


@pytest.mark.docs
@pytest.mark.parametrize("doc", DOCS, ids=[str(p.relative_to(ROOT)) for p in DOCS])
def test_every_code_block_runs(doc, tmp_path, digits_run):
    runnable = [(lang, code) for lang, code, reason in blocks(doc) if lang in RUNNABLE and reason is None]
    if not runnable:
        pytest.skip(f"{doc.name} has no block to run")
    env = _user_folder(tmp_path, digits_run)
    for lang, code in runnable:
        argv = [sys.executable, "-c", code] if lang == "python" else ["bash", "-e", "-c", code]
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, f"{doc.name}:\n{code}\n--- stderr:\n{done.stderr[-3000:]}"


# Pages that come with the parts they describe (the demo, the phone guide, reliability); a link to one of
# them may point ahead of the page until that part is in.
PAGES_OF_OTHER_PARTS = {"docs/demo.md", "docs/phone.md", "docs/reliability.md"}


def test_the_readme_is_a_front_page_and_every_link_of_the_docs_resolves():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 300
    broken = []
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)|src=\"([^\"]+)\"", doc.read_text()):
            link = next(t for t in target if t)
            if "://" in link:
                continue
            path = (doc.parent / link).resolve()
            if not path.exists() and str(path.relative_to(ROOT)) not in PAGES_OF_OTHER_PARTS:
                broken.append(f"{doc.relative_to(ROOT)} → {link}")
    assert not broken, broken
