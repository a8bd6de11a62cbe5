"""Write the demo site: one page, its script, the model, its facts and the vendored runtime, in one folder.

    out/index.html, out/demo.js            the page (from web/page/)
    out/<model>.tflite, out/model.json     the very exported file, and what the page says about it
    out/vendor/tasks-vision/...            MediaPipe Tasks for the web (ES module + WebAssembly), no CDN

The folder is static: any web server can host it (HTTPS for the live camera on a phone). It is written
beside its destination and renamed into place, so a reader never sees half a site.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from cnnapp.demo import runtime
from cnnapp.demo.model import DemoModel
from cnnapp.errors import CnnappError
from cnnapp.number import inkmap

PAGE = runtime.WEB / "page"
FACTS = "model.json"
VENDOR = Path("vendor") / "tasks-vision"
# The marker this module writes into every site: only a folder holding it is replaced (or emptied). Any
# other non-empty folder, a web project with its own index.html and model.json included, is refused.
MARKER = ".cnnapp-demo-site"


def write_site(model: DemoModel, out: str | Path, runtime_dir: str | Path) -> Path:
    """Write the site for `model` into `out` (replacing a site written there before); return `out`.

    Args:
        model: the checked model (`cnnapp.demo.model.read_model`).
        out: the site folder; must be new, empty, or a site written by this function (its `MARKER`).
        runtime_dir: the installed npm package (`cnnapp.demo.runtime.ensure_installed`).
    """
    out, runtime_dir = Path(out), Path(runtime_dir)
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for page_file in sorted(PAGE.iterdir()):
            shutil.copy2(page_file, staging / page_file.name)
        shutil.copy2(model.path, staging / model.path.name)
        # The page's "read a number" mode runs the ink map before the classifier (cnnapp.number).
        (staging / inkmap.FILE).write_bytes(inkmap.inkmap_tflite())
        (staging / FACTS).write_text(json.dumps(model.facts(), indent=2) + "\n")
        (staging / MARKER).write_text("written by python -m cnnapp.demo; this folder is replaced whole\n")
        for name in runtime.FILES:
            target = staging / VENDOR / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(runtime_dir / name, target)
        staging.chmod(0o755)  # mkdtemp makes it 0700; a web server's user must read it
        _replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _check_replaceable(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise CnnappError(f"--out {out} is a file: name a folder for the site")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise CnnappError(
            f"--out {out} is not a demo site cnnapp wrote (no {MARKER} in it), and replacing it would delete "
            "its files: name a new or empty folder"
        )


def _replace(staging: Path, out: Path) -> None:
    """Swap the finished site in; the old one (if any) is renamed away first and deleted after."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
        out.rename(old / out.name)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
