"""Drive the demo page in headless Chromium (Debian's package) with Playwright, recording what it requests.

Playwright's own browser download is never used: it launches the system Chromium, with the flags that keep
it from making background connections (updates, sync, safe browsing) a closed network refuses.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",  # headless here has no GPU: the page runs the runtime's CPU path
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A synthetic camera (a test pattern) that needs no permission prompt: the live view can be tested.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
)
PHONE = {"width": 390, "height": 844}  # a phone's CSS viewport (iPhone 12–15)


def chromium() -> str | None:
    """The system Chromium's path, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def driver() -> Iterator[object]:
    """Playwright, started once: `launch` opens as many browsers as a test needs from it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@contextlib.contextmanager
def launch(user_data_dir: Path, camera_video: Path | None = None, playwright=None) -> Iterator[object]:
    """A headless system Chromium with a new empty profile: yields a Playwright BrowserContext.

    `camera_video` (a .y4m file) is what the fake camera films instead of Chromium's test pattern;
    `playwright` (from `driver`) is started here when not given.
    """
    with contextlib.ExitStack() as stack:
        playwright = playwright or stack.enter_context(driver())
        camera = [f"--use-file-for-fake-video-capture={camera_video}"] if camera_video else []
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=chromium(),
            headless=True,
            args=[*CHROMIUM_FLAGS, *camera],
            viewport=PHONE,
            device_scale_factor=2,
        )
        try:
            yield context
        finally:
            context.close()


class DemoPage:
    """The demo page open in a tab, with every request and console error it made."""

    def __init__(self, context, url: str, timeout_ms: float = 60_000, init_script: str | None = None):
        self.url = url
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.page = context.new_page()
        self.page.set_default_timeout(timeout_ms)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(msg.text))
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        if init_script:  # runs before the page's own scripts (e.g. to take the camera away)
            self.page.add_init_script(init_script)
        self.page.goto(url)
        # Ready (the model is loaded) or failed: either way the status says so.
        self.page.wait_for_function(
            "!document.getElementById('choose').disabled"
            " || document.getElementById('status').className === 'error'"
        )

    @property
    def status(self) -> str:
        return self.page.inner_text("#status")

    def ready(self) -> bool:
        return self.page.is_enabled("#choose")

    def pick(self, image: Path) -> list[tuple[str, str]]:
        """Choose `image` in the page's own file input; return the shown (label, probability) rows."""
        self.page.set_input_files("#choose", str(image))
        self._wait_for(image.name)
        return self._rows()

    def _rows(self) -> list[tuple[str, str]]:
        """The shown (label, probability) rows, each label as the model's file names it."""
        rows = self.page.locator("#results li")
        return [
            (rows.nth(i).get_attribute("data-label"), rows.nth(i).locator(".prob").inner_text())
            for i in range(rows.count())
        ]

    def answer(self) -> tuple[str, str]:
        """The page's answer: ("class", label) or ("none", "") when it says "not a digit"."""
        answer = self.page.locator("#answer")
        return answer.get_attribute("data-verdict"), answer.get_attribute("data-label")

    def answers(self) -> int:
        return int(self.page.get_attribute("#results", "data-count") or 0)

    def draw(self, strokes, pointer: str = "mouse") -> None:
        """Draw `strokes` (unit-square points, `handwriting.STROKES`) on the pad as a person does: with the
        mouse, or a finger (touch events, which the browser turns into pointer events); await the answer."""
        box = self.page.locator("#pad").bounding_box()
        left, top, width, height = box["x"], box["y"], box["width"], box["height"]
        points = [[(left + x * width, top + y * height) for x, y in stroke] for stroke in strokes]
        before = self.answers()
        if pointer == "mouse":
            for stroke in points:
                self.page.mouse.move(*stroke[0])
                self.page.mouse.down()
                for point in stroke[1:]:
                    self.page.mouse.move(*point, steps=8)
                self.page.mouse.up()
        else:
            self._touch(points)
        self.page.wait_for_function(
            "n => Number(document.getElementById('results').dataset.count || 0) >= n",
            arg=before + len(strokes),
        )

    def _touch(self, points) -> None:
        cdp = self.page.context.new_cdp_session(self.page)
        for stroke in points:
            path = [stroke[0]]
            for (x0, y0), (x1, y1) in zip(stroke, stroke[1:], strict=False):
                path += [(x0 + (x1 - x0) * t / 8, y0 + (y1 - y0) * t / 8) for t in range(1, 9)]
            for kind, (x, y) in [("touchStart", path[0])] + [("touchMove", p) for p in path[1:]]:
                cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        cdp.detach()

    def pad_png(self) -> bytes:
        """The pad's pixels as a PNG, as the page handed them to the model."""
        import base64

        data_url = self.page.evaluate("document.getElementById('pad').toDataURL('image/png')")
        return base64.b64decode(data_url.split(",", 1)[1])

    def snap_camera(self) -> list[tuple[str, str]]:
        """Open the live camera view (read continuously), pause on a frame; return its shown rows."""
        self.page.click("#live")
        self.page.click("#snap")
        self._wait_for("camera")
        return self._rows()

    def drop(self, name: str, mime: str, content: bytes) -> str:
        """Drop a file on the page as a user drags one from their desktop; return the state it ends in."""
        transfer = self.page.evaluate_handle(
            """([name, mime, bytes]) => {
                const transfer = new DataTransfer();
                transfer.items.add(new File([new Uint8Array(bytes)], name, { type: mime }));
                return transfer;
            }""",
            [name, mime, list(content)],
        )
        self.page.dispatch_event("#stage", "drop", {"dataTransfer": transfer})
        return self._wait_for(name)

    def _wait_for(self, name: str) -> str:
        self.page.wait_for_function(
            "name => document.getElementById('results').dataset.source === name", arg=name
        )
        return self.page.get_attribute("#results", "data-state")

    def foreign_requests(self) -> list[str]:
        """Requests that went anywhere but the page's own server (blob: and data: URLs stay in the tab)."""
        home = urlsplit(self.url).netloc
        foreign = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme == "data" or (parts.scheme == "blob" and urlsplit(parts.path).netloc == home):
                continue
            if parts.scheme in ("http", "https") and parts.netloc == home:
                continue
            foreign.append(url)
        return foreign
