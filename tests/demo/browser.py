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
def launch(user_data_dir: Path) -> Iterator[object]:
    """A headless system Chromium with a new empty profile: yields a Playwright BrowserContext."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=chromium(),
            headless=True,
            args=list(CHROMIUM_FLAGS),
            viewport=PHONE,
            device_scale_factor=2,
        )
        try:
            yield context
        finally:
            context.close()


class DemoPage:
    """The demo page open in a tab, with every request and console error it made."""

    def __init__(self, context, url: str, timeout_ms: float = 60_000):
        self.url = url
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.page = context.new_page()
        self.page.set_default_timeout(timeout_ms)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(msg.text))
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
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
        rows = self.page.locator("#results li")
        return [
            (rows.nth(i).locator(".label").inner_text(), rows.nth(i).locator(".prob").inner_text())
            for i in range(rows.count())
        ]

    def snap_camera(self) -> list[tuple[str, str]]:
        """Open the live camera view and classify one frame; return the shown rows."""
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
        self.page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})
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
