"""The number reader in a real browser (`python -m pytest -m browser`): the page's glue (number.js, on the
page's MediaPipe Tasks) and the Python reader read the same photos of numbers and give the same answer."""

from __future__ import annotations

import pytest
from PIL import Image

from cnnapp.number import glue, scenes
from tests.demo import browser, exports

pytestmark = pytest.mark.browser
MODEL = "lenet5-phone"
TOUCHING = 12  # touching digits: the split reads every piece, so more of them


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if browser.chromium() is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright", reason="Playwright for Python is not installed")
    from cnnapp.demo import runtime, serve, write_site
    from cnnapp.errors import CnnappError

    try:
        runtime_dir = runtime.ensure_installed()
    except CnnappError as error:
        pytest.skip(f"the page's runtime is missing: {error}")
    out = write_site(exports.demo_model(MODEL), tmp_path_factory.mktemp("site") / MODEL, runtime_dir)
    photos = []
    for layout in scenes.LAYOUTS:  # spaced, touching and broken digits: the glue's every step
        shown = scenes.make_scenes("validation", TOUCHING if layout == "touching" else 4, 31, layout)
        for i, frame in enumerate(shown.frames):
            photos.append(out / f"{layout}-{i}.png")
            Image.fromarray(frame).save(photos[-1])
    odd = Image.fromarray(frame).convert("L").resize((301, 257))  # grey, not 4:3: padded, then scaled
    photos.append(out / "odd.png")
    odd.save(photos[-1])
    with serve.serving(out) as url:
        yield url, photos


def test_the_page_and_python_read_the_same_numbers(site, tmp_path):
    from cnnapp.number.reader import NumberReader, read_image_file

    url, photos = site
    reader = NumberReader(exports.int8_export(MODEL))  # the very file the page runs
    try:
        python = [reader.read(read_image_file(p)) for p in photos]
        marks = [len(glue.find_marks(reader.ink_of(read_image_file(p)))[1]) for p in photos]
    finally:
        reader.close()
    with browser.launch(tmp_path / "profile") as context:
        page = browser.DemoPage(context, url)
        assert page.ready(), page.status
        page_readings = [
            page.page.evaluate("(name) => window.cnnappReadNumber(name)", p.name) for p in photos
        ]
        assert page.page_errors == []
    got = [(r["number"], [d["box"] for d in r["digits"]]) for r in page_readings]
    want = [(r.number, [list(d[2]) for d in r.digits]) for r in python]
    assert got == want, (got, want)
    assert all(len(r.number) > 1 for r in python[:-1]), want  # numbers were found, not empty frames
    touching = [(r, n) for p, r, n in zip(photos, python, marks, strict=True) if p.name.startswith("touch")]
    cut = sum(len(r.number) > n for r, n in touching)
    assert cut >= TOUCHING // 2, (cut, [(r.number, n) for r, n in touching])  # the joined marks were cut


def test_a_number_written_on_the_pad_is_read_as_python_reads_it(site, tmp_path):
    import io

    import numpy as np

    from cnnapp.number.reader import NumberReader
    from tests.demo import handwriting

    url, _ = site
    # "7" then "4", each in its half of the pad, at half the pad's height.
    strokes = [
        [(left + 0.45 * x, 0.25 + 0.5 * y) for x, y in stroke]
        for left, digit in ((0.03, "7"), (0.52, "4"))
        for stroke in handwriting.STROKES[digit]
    ]
    with browser.launch(tmp_path / "profile") as context:
        page = browser.DemoPage(context, url)
        assert page.ready(), page.status
        page.page.click("#number-mode")
        page.draw(strokes)
        shown = page.page.get_attribute("#answer", "data-label")
        assert page.page.get_attribute("#answer", "data-verdict") == "number"
        pad = np.asarray(Image.open(io.BytesIO(page.pad_png())).convert("RGB"))
        assert page.page_errors == []
    reader = NumberReader(exports.int8_export(MODEL))
    try:
        assert shown == reader.read(pad).number and len(shown) == 2, shown
    finally:
        reader.close()
