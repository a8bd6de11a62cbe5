"""The demo site in a real browser (`python -m pytest -m browser`): headless Chromium classifies the 20
committed test digits through the page's own file input with LiteRT's answers, offline; digits drawn on the
pad with the mouse and a finger are read, a blank pad is refused; the camera (Chromium's fake one, filming a
digit on paper) classifies, and without a camera the page offers the file picker; a dropped non-image file
gets a message on the page.

Needs Debian's Chromium (`apt-get install chromium`), Playwright for Python (requirements.txt) and the page's
runtime (`npm ci` in web/, which the demo command runs when npm is there); skips, saying which is missing.
A missing or broken export fails.
"""

from __future__ import annotations

import math

import pytest

from cnnapp.demo import runtime
from tests.demo import browser, exports, handwriting

pytestmark = pytest.mark.browser
ALLOWED_DIFFERENCES = 1  # the browser decodes the PNG itself


# Drawn on the pad: by mouse, and by finger (multi-stroke 4).
DRAWN = (("7", "mouse"), ("4", "touch"), ("0", "mouse"))
FILMED = "3"  # the digit on paper the fake camera films


def _needs_chromium():
    if browser.chromium() is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    pytest.importorskip(
        "playwright", reason="Playwright for Python is not installed (pip install -r requirements.txt)"
    )


@pytest.fixture(scope="module")
def playwright():
    _needs_chromium()
    with browser.driver() as driver:
        yield driver


@pytest.fixture(scope="module")
def context(playwright, tmp_path_factory):
    with browser.launch(tmp_path_factory.mktemp("chromium-profile"), playwright=playwright) as ctx:
        yield ctx


@pytest.fixture(scope="module")
def runtime_dir():
    from cnnapp.demo import runtime
    from cnnapp.errors import CnnappError

    try:
        return runtime.ensure_installed()
    except CnnappError as error:
        pytest.skip(f"the page's runtime is missing: {error}")


@pytest.fixture(scope="module", params=exports.MODELS)
def site(request, runtime_dir, tmp_path_factory):
    """(model, address) of the site written and served for one committed export."""
    from cnnapp.demo import serve, write_site

    model = exports.demo_model(request.param)
    out = write_site(model, tmp_path_factory.mktemp("site") / request.param, runtime_dir)
    with serve.serving(out) as url:
        yield model, url


def test_page_shows_litert_top1_offline(context, site):
    model, url = site
    page = browser.DemoPage(context, url)
    assert page.ready(), page.status
    shown = [page.pick(image) for image in exports.DIGITS]
    expected = exports.litert_top1(model.path, exports.DIGITS)
    assert len(shown) == 20 and all(len(rows) == 5 for rows in shown)
    assert {label for rows in shown for label, _ in rows} <= set(model.labels)  # names from the file
    differ = [
        (image.name, rows[0][0], [model.labels[i] for i in top])
        for image, rows, top in zip(exports.DIGITS, shown, expected, strict=True)
        if model.labels.index(rows[0][0]) not in top
    ]
    assert len(differ) <= ALLOWED_DIFFERENCES, f"page vs LiteRT (image, page, LiteRT): {differ}"
    assert "classified in" in page.status and " ms" in page.status
    assert url.startswith("http://127.0.0.1:")
    assert any(u.endswith(".wasm") for u in page.requests) and any(
        u.endswith(model.path.name) for u in page.requests
    )
    assert page.foreign_requests() == [], "the page must work offline"
    assert page.page_errors == []
    page.page.close()


@pytest.mark.parametrize("site", exports.MODELS[:1], indirect=True)  # the page's own behaviour: one model
def test_non_image_file_gets_a_message_not_an_error(context, site):
    _, url = site
    page = browser.DemoPage(context, url)
    before = list(page.console_errors)  # the wasm runtime logs its start-up to console.error
    assert page.drop("notes.txt", "text/plain", b"not a picture") == "refused"
    assert "notes.txt is not an image" in page.status
    assert page.page.get_attribute("#status", "class") == "error"
    assert page.drop("broken.png", "image/png", b"\x89PNG not really") == "refused"
    assert "broken.png could not be decoded" in page.status
    assert page.console_errors == before and page.page_errors == []
    digit = exports.DIGITS[0]
    assert page.drop(digit.name, "image/png", digit.read_bytes()) == "done"  # and the page recovers
    page.page.close()


@pytest.mark.parametrize("site", exports.PHONE_MODELS, indirect=True)
def test_a_digit_drawn_on_the_pad_is_read(context, site):
    model, url = site
    page = browser.DemoPage(context, url)
    assert page.page.is_visible("#pad") and page.ready(), page.status
    read = []
    for digit, pointer in DRAWN:
        page.page.click("#clear")
        page.draw(handwriting.STROKES[digit], pointer)
        assert page.answer() == exports.litert_verdict(model, page.pad_png()), "page vs LiteRT on the pad"
        read.append((digit, pointer, page.answer(), page.status))
    assert [answer for *_, answer, _ in read] == [("class", d) for d, _ in DRAWN], read
    assert page.page_errors == []
    page.page.close()


@pytest.mark.parametrize("site", exports.PHONE_MODELS, indirect=True)
def test_a_blank_pad_is_refused(context, site):
    model, url = site
    page = browser.DemoPage(context, url)
    page.page.click("#classify-pad")  # nothing drawn: the pad is white paper
    page.page.wait_for_function("document.getElementById('results').dataset.source === 'pad'")
    assert page.answer() == ("none", ""), f"a blank pad read as a digit: {page.status}"
    assert page.page.inner_text("#answer") == "Not a digit" and page.status.startswith("not a digit: ")
    assert page.answer() == exports.litert_verdict(model, page.pad_png())
    page.page.close()


@pytest.mark.parametrize("site", exports.MODELS[:1], indirect=True)
def test_the_refusal_rule_shown_is_the_exports(context, site):
    model, url = site
    page = browser.DemoPage(context, url)
    rule, shown = model.refusal(), page.page.inner_text("#rule")
    if rule["source"] is None:
        assert "has no refusal rule in its export" in shown and "under 50%" in shown
    else:
        assert f"“{rule['label']}”" in shown and f"under {100 * rule['min_score']:g}%" in shown, shown
    measured = page.page.inner_text("#measured")
    accuracy = model.facts()["accuracy"]
    shown_top1 = math.floor(1000 * accuracy["top1"] + 0.5) / 10  # the page's toFixed(1) rounds half up
    assert f"Top-1 {shown_top1:.1f}% on the {accuracy['images']} held-out" in measured
    assert page.page.inner_text("#credits") == model.facts()["credits"]
    if model.world:  # the world evaluation beside the export: every set's number is on the page
        shown = page.page.inner_text("#world")
        assert all(f"{s['name']} {s['percent']:.1f}%" in shown for s in model.world["scores"]), shown
    page.page.close()


@pytest.mark.parametrize("site", exports.PHONE_MODELS[:1], indirect=True)
def test_the_camera_reads_a_digit_on_paper(playwright, site, tmp_path):
    _, url = site
    video = handwriting.write_y4m(handwriting.render(FILMED), tmp_path / "digit.y4m")
    with browser.launch(tmp_path / "profile", camera_video=video, playwright=playwright) as filming:
        page = browser.DemoPage(filming, url)
        page.snap_camera()
        assert page.page.is_visible("#camera") and page.page_errors == []
        assert page.answer() == ("class", FILMED), page.status


@pytest.mark.parametrize("site", exports.MODELS[:1], indirect=True)
def test_without_a_camera_the_file_picker_is_offered(context, site):
    _, url = site
    page = browser.DemoPage(context, url, init_script="delete MediaDevices.prototype.getUserMedia")
    assert page.page.is_hidden("#live") and page.page.is_visible("#camera-note")
    assert page.page.get_attribute("#camera-note", "data-reason") == "unavailable"
    assert "take a photo or choose a picture" in page.page.inner_text("#camera-note")
    assert page.page.is_enabled("#photo") and page.page.is_enabled("#choose")
    page.page.close()
    refused = "Promise.reject(new DOMException('denied', 'NotAllowedError'))"
    refusing = f"MediaDevices.prototype.getUserMedia = () => {refused}"
    page = browser.DemoPage(context, url, init_script=refusing)
    page.page.click("#live")
    page.page.wait_for_selector("#camera-note", state="visible")
    assert page.page.get_attribute("#camera-note", "data-reason") == "refused"
    assert "permission was refused" in page.page.inner_text("#camera-note") and page.page.is_hidden("#camera")
    assert page.pick(exports.DIGITS[0]) and page.page_errors == []  # the fallback works
    page.page.close()


@pytest.mark.parametrize("site", exports.MODELS[:1], indirect=True)
def test_live_camera_frame_is_classified(context, site):
    model, url = site
    page = browser.DemoPage(context, url)  # Chromium's synthetic camera; 127.0.0.1 is a secure context
    rows = page.snap_camera()
    assert len(rows) == 5 and {label for label, _ in rows} <= set(model.labels)
    assert page.page.is_visible("#camera") and page.page_errors == []
    page.page.close()


@pytest.mark.parametrize("site", exports.MODELS[:1], indirect=True)
def test_controls_are_labelled_and_file_urls_are_explained(context, site):
    _, url = site
    page = browser.DemoPage(context, url)
    assert page.page.get_by_label("Choose a picture").get_attribute("type") == "file"
    assert page.page.get_by_label("Take a photo").get_attribute("capture") == "environment"
    assert page.page.get_by_role("status").get_attribute("aria-live") == "polite"
    page.page.close()
    local = context.new_page()  # the same page opened as a file: it cannot run, and says so
    local.goto(f"file://{runtime.WEB / 'page' / 'index.html'}")
    assert "must be served over http(s)" in local.inner_text("#status")
    local.close()
