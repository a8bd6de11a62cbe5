"""Fast tier: the page's pinned npm runtime — an exact version, and an install that needs npm says so."""

from __future__ import annotations

import json
import shutil

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
