"""Fast tier: the page's pinned npm runtime — an exact version, and an install that needs npm says so."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from cnnapp.demo import runtime
from cnnapp.errors import CnnappError


def test_runtime_install_needs_npm(tmp_path, monkeypatch):
    web = tmp_path / "web"
    web.mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy(runtime.WEB / name, web / name)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(CnnappError, match=r"npm is not on PATH.*npm ci"):
        runtime.ensure_installed(web)


def test_the_pinned_runtime_is_exact():
    package = json.loads((runtime.WEB / "package.json").read_text())
    assert package["dependencies"] == {runtime.PACKAGE: runtime.pinned_version()}  # no ^ or ~ range


def test_an_installed_package_is_not_written_the_runtime_goes_to_the_cache(tmp_path, monkeypatch):
    package = tmp_path / "site-packages" / "cnnapp" / "web"  # no node_modules: what `pip install` leaves
    package.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(runtime.WEB / name, package / name)
    monkeypatch.setattr(runtime, "WEB", package)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cache = tmp_path / "cache" / "cnnapp" / "web"
    assert runtime.installed_dir() == cache / "node_modules" / runtime.PACKAGE
    ran = []

    def npm_ci(argv, cwd, **kwargs):  # what `npm ci` leaves: the pinned package's files
        ran.append(cwd)
        root = cwd / "node_modules" / runtime.PACKAGE
        for name in runtime.FILES:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(json.dumps({"version": runtime.pinned_version()}))
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(subprocess, "run", npm_ci)
    assert runtime.ensure_installed() == cache / "node_modules" / runtime.PACKAGE
    assert ran == [cache]
    assert sorted(p.name for p in package.iterdir()) == ["package-lock.json", "package.json"]  # untouched
    assert runtime.ensure_installed() == cache / "node_modules" / runtime.PACKAGE and len(ran) == 1  # once
