"""Fast tier: the static site the demo writes — its files, no CDN, replaced only where cnnapp wrote it
(marked, or an earlier cnnapp's exact files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnnapp.demo import runtime, site, write_site
from cnnapp.errors import CnnappError


def test_writes_a_static_site_and_replaces_only_sites(plain_model, fake_web, tmp_path):
    out = write_site(plain_model, tmp_path / "site", runtime.installed_dir())
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == sorted(
        [
            "index.html",
            "demo.js",
            "pad.js",
            "number.js",
            "inkmap.tflite",
            "model.json",
            "plain.tflite",
            site.MARKER,
        ]
        + [f"vendor/tasks-vision/{name}" for name in runtime.FILES]
    )
    assert (out / "plain.tflite").read_bytes() == plain_model.path.read_bytes()
    facts = json.loads((out / "model.json").read_text())
    assert facts["model"] == "plain.tflite" and facts["classes"] == 3 and facts["input"]["shape"] == [8, 8, 3]
    page = (out / "index.html").read_text()
    assert 'type="file"' in page and 'accept="image/*"' in page and "capture" in page and "aria-live" in page
    assert "http" not in (out / "demo.js").read_text().replace("https:", "")  # no CDN: everything is vendored
    write_site(plain_model, out, runtime.installed_dir())  # a site is replaced whole
    assert not list(tmp_path.glob(".site*"))  # no staging folder left behind
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("keep")
    for name in ("index.html", "model.json"):  # a web project of the user's: looks like a site, is not ours
        (tmp_path / "mine" / name).write_text("{}")
    with pytest.raises(CnnappError, match="is not a demo site cnnapp wrote"):
        write_site(plain_model, tmp_path / "mine", runtime.installed_dir())
    assert (tmp_path / "mine" / "thesis.txt").read_text() == "keep"


def test_a_site_written_before_the_marker_is_replaced_and_nothing_like_it_is(plain_model, fake_web, tmp_path):
    def earlier_site(name: str) -> Path:  # what an earlier cnnapp wrote: the same files, no marker
        out = write_site(plain_model, tmp_path / name, runtime.installed_dir())
        (out / site.MARKER).unlink()
        return out

    write_site(plain_model, earlier_site("old"), runtime.installed_dir())
    assert (tmp_path / "old" / site.MARKER).is_file()  # replaced, and marked from now on
    (earlier_site("notes") / "notes.txt").write_text("mine")  # a file cnnapp never writes
    edited = earlier_site("edited")
    (edited / "index.html").write_text((edited / "index.html").read_text() + "<!-- my page -->")
    (earlier_site("two") / "other.tflite").write_bytes(plain_model.path.read_bytes())
    (earlier_site("folder") / "vendor" / "mine").mkdir()
    for name in ("notes", "edited", "two", "folder"):
        before = sorted(p.relative_to(tmp_path) for p in (tmp_path / name).rglob("*"))
        with pytest.raises(CnnappError, match="is not a demo site cnnapp wrote"):
            write_site(plain_model, tmp_path / name, runtime.installed_dir())
        assert sorted(p.relative_to(tmp_path) for p in (tmp_path / name).rglob("*")) == before
