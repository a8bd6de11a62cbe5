"""Write the demo site: one page, its script, the model, its facts and the vendored runtime, in one folder.

    out/index.html, out/demo.js            the page (from web/page/)
    out/<model>.tflite, out/model.json     the very exported file, and what the page says about it
    out/vendor/tasks-vision/...            MediaPipe Tasks for the web (ES module + WebAssembly), no CDN

The folder is static: any web server can host it (HTTPS for the live camera on a phone). It is written
beside its destination and renamed into place, so a reader never sees half a site. It replaces only a
folder that is new, empty, marked as a site (MARKER) or exactly a site an earlier cnnapp wrote.
"""

from __future__ import annotations

import hashlib
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
# Sites written before the marker existed are recognised by what cnnapp wrote into them, exactly: one of the
# pages it has shipped (the sha256 of each index.html version), the page's scripts, model.json, one .tflite
# and the vendored runtime, and no other file. A user's folder with its own index.html and model.json is not.
SHIPPED_PAGES = frozenset(
    {
        "81e7f15afdce2907bc917adde2c347627669971b09321f00376ab3089fca1d77",
        "8c2314d2a254635d0b5ef441729e3997f949b29114c0139594bba7f7301d23d2",
        "9432b880355b01221a23b68a9659fab092475a0b434d57adf29df1d2cfbd1f15",
        "bffd61c6193699aefd880ffbcc12c6da54fb8b7beb474083111a40a967284c5f",
        "cb477f66aa2ee59611bc7379fb40051ecd2f085cb48fcf93d2d5e141cb14def3",
        "d394042f777053cfe102e1b817947ec83b7603be74e80194b22a34e26f382087",
        "e1599eced224b7708962419b5929c36f0d8b00b347cd1ba150e8a227aa71f1b8",
        "f0775cd7895a94d72391609922a27c011eca901a3635ed7398712a59e76cf111",
    }
)
SHIPPED_SCRIPTS = frozenset({"demo.js", "pad.js", "number.js"})


def write_site(model: DemoModel, out: str | Path, runtime_dir: str | Path) -> Path:
    """Write the site for `model` into `out` (replacing a site written there before); return `out`.

    Args:
        model: the checked model (`cnnapp.demo.model.read_model`).
        out: the site folder; must be new, empty, or a site written by this function (its `MARKER`).
        runtime_dir: the installed npm package (`cnnapp.demo.runtime.ensure_installed`).
    """
    out, runtime_dir = Path(out), Path(runtime_dir)
    check_replaceable(out)
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


def check_replaceable(out: Path) -> None:
    """Refuse, in one line, an `out` that is a file or a non-empty folder that is not a site cnnapp wrote."""
    if out.exists() and not out.is_dir():
        raise CnnappError(f"--out {out} is a file: name a folder for the site")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file() and not _site_before_marker(out):
        raise CnnappError(
            f"--out {out} is not a demo site cnnapp wrote (no {MARKER} in it), and replacing it would delete "
            "its files: name a new or empty folder"
        )


def _site_before_marker(out: Path) -> bool:
    """Whether `out` holds exactly a site an earlier cnnapp wrote, without the marker (see SHIPPED_PAGES)."""
    vendor = {(VENDOR / name).as_posix() for name in runtime.FILES}
    folders = {VENDOR.parent.as_posix(), VENDOR.as_posix(), *(Path(f).parent.as_posix() for f in vendor)}
    files, dirs = set(), set()
    for path in out.rglob("*"):
        if path.is_symlink():
            return False
        (dirs if path.is_dir() else files).add(path.relative_to(out).as_posix())
    # the number reader's ink map is a page file (sites since the number mode), not the site's model
    models = {f for f in files if "/" not in f and f.endswith(".tflite") and f != inkmap.FILE}
    page = files - vendor - models - {FACTS, inkmap.FILE}
    if len(models) != 1 or not vendor <= files or not dirs <= folders or "index.html" not in page:
        return False
    if not page - {"index.html"} <= SHIPPED_SCRIPTS:
        return False
    if hashlib.sha256((out / "index.html").read_bytes()).hexdigest() not in SHIPPED_PAGES | {_page_hash()}:
        return False
    try:
        package = json.loads((out / VENDOR / "package.json").read_text())
        facts = json.loads((out / FACTS).read_text())
        return isinstance(facts, dict) and package.get("name") == runtime.PACKAGE
    except (OSError, ValueError, AttributeError):
        return False


def _page_hash() -> str:
    return hashlib.sha256((PAGE / "index.html").read_bytes()).hexdigest()


def _replace(staging: Path, out: Path) -> None:
    """Swap the finished site in; the old one (if any) is renamed away first and deleted after."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
        out.rename(old / out.name)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
