"""The page's runtime, MediaPipe Tasks for the web, installed by `npm ci` from the pinned `web/` lock file.

The site vendors these files (no CDN): the ES module bundle and the WebAssembly runtime in its two builds
(`FilesetResolver` picks the SIMD one where the browser has WebAssembly SIMD, the other on older browsers).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from cnnapp.errors import CnnappError

# The page and the npm lock file of its runtime: package data (cnnapp/web/), a real folder once installed.
WEB = Path(str(resources.files("cnnapp") / "web"))
PACKAGE = "@mediapipe/tasks-vision"
# Paths inside the npm package that the site needs (package.json carries the version and licence).
FILES = (
    "package.json",
    "vision_bundle.mjs",
    "wasm/vision_wasm_internal.js",
    "wasm/vision_wasm_internal.wasm",
    "wasm/vision_wasm_nosimd_internal.js",
    "wasm/vision_wasm_nosimd_internal.wasm",
)


def pinned_version(web: Path | None = None) -> str:
    """The version of the runtime that `web/package-lock.json` pins."""
    web = web or WEB
    lock = json.loads((web / "package-lock.json").read_text())
    return lock["packages"][f"node_modules/{PACKAGE}"]["version"]


def cache_dir() -> Path:
    """Where the runtime is installed when the package's own web/ does not hold it: an installed package's
    folder is not the user's to write (it may be read-only; uninstalling would leave node_modules behind)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cnnapp" / "web"


def _home(web: Path | None) -> Path:
    """The folder whose node_modules holds (or will hold) the runtime: WEB (a checkout that ran `npm ci`
    there, as CI does) when it is installed there, the user's cache otherwise."""
    if web is not None:
        return web
    return WEB if is_installed(WEB) else cache_dir()


def installed_dir(web: Path | None = None) -> Path:
    return _home(web) / "node_modules" / PACKAGE


def is_installed(web: Path | None = None) -> bool:
    """True when every vendored file is there at the pinned version."""
    web = web or WEB
    root = web / "node_modules" / PACKAGE
    if not all((root / name).is_file() for name in FILES):
        return False
    return json.loads((root / "package.json").read_text()).get("version") == pinned_version(web)


def ensure_installed(web: Path | None = None, log: Callable[[str], None] | None = None) -> Path:
    """Install the pinned runtime with `npm ci` if it is missing; return the package folder.

    Raises:
        CnnappError: npm is not installed, or `npm ci` failed (its last lines are in the message).
    """
    web = _home(web)
    if is_installed(web):
        return installed_dir(web)
    if web == cache_dir():  # the package's pinned lock file, installed in the cache
        web.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(WEB / name, web / name)
    npm = shutil.which("npm")
    if npm is None:
        raise CnnappError(
            f"the page's runtime ({PACKAGE} {pinned_version(web)}) is not installed and npm is not on PATH: "
            f"install Node.js with npm (`apt-get install npm`) and run this again (it runs `npm ci` in {web})"
        )
    if log:
        log(f"installing the page's runtime ({PACKAGE} {pinned_version(web)}): npm ci in {web}")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=web, capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or not is_installed(web):
        tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise CnnappError(
            f"`npm ci` in {web} failed ({tail}): check the npm registry is reachable and run it again"
        )
    return installed_dir(web)
