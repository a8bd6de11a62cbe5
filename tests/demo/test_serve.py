"""Fast tier: the site served on localhost with the content types browsers need."""

from __future__ import annotations

import urllib.request

from cnnapp.demo import runtime, serve, write_site


def test_serves_the_site_on_localhost_with_the_types_browsers_need(plain_model, fake_web, tmp_path):
    out = write_site(plain_model, tmp_path / "site", runtime.installed_dir())
    with serve.serving(out) as url:
        assert url.startswith("http://127.0.0.1:")
        types = {}
        for name in (
            "",
            "demo.js",
            "vendor/tasks-vision/vision_bundle.mjs",
            "vendor/tasks-vision/wasm/vision_wasm_internal.wasm",
            "model.json",
        ):
            with urllib.request.urlopen(url + name) as response:
                types[name] = response.headers["Content-Type"]
    assert types[""].startswith("text/html") and types["demo.js"] == "text/javascript"
    assert types["vendor/tasks-vision/vision_bundle.mjs"] == "text/javascript"
    assert types["vendor/tasks-vision/wasm/vision_wasm_internal.wasm"] == "application/wasm"
