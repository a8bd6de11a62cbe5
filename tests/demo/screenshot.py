"""Take the README's screenshot of the demo page: `python -m tests.demo.screenshot [EXPORT.tflite]`.

Writes the site for the committed phone LeNet-5 int8 export (or the file given), opens it in headless Chromium
at a phone's size, draws a digit on the pad with the mouse, as a person would, and saves the page to
docs/figures/demo.png.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests.demo import browser, exports, handwriting

FIGURE = exports.ROOT / "docs" / "figures" / "demo.png"
DIGIT = "7"


def main(argv: list[str] | None = None) -> None:
    from cnnapp.demo import read_model, runtime, serve, write_site

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", help="a .tflite with metadata (default: the phone LeNet-5 int8)")
    parser.add_argument("--out", default=str(FIGURE), help=f"the PNG to write (default {FIGURE})")
    parser.add_argument("--digit", default=DIGIT, choices=sorted(handwriting.STROKES), help="the digit drawn")
    args = parser.parse_args(argv)
    model = read_model(args.model or exports.int8_export(exports.PHONE_MODELS[0]))
    with tempfile.TemporaryDirectory() as tmp:
        site = write_site(model, Path(tmp) / "site", runtime.ensure_installed(log=print))
        with serve.serving(site) as url, browser.launch(Path(tmp) / "profile") as context:
            page = browser.DemoPage(context, url)
            page.draw(handwriting.STROKES[args.digit])
            page.page.screenshot(path=args.out, full_page=True)
            shown = page.page.inner_text("#answer")
    print(f"wrote {args.out}: a drawn {args.digit} shown as {shown!r}")


if __name__ == "__main__":
    main()
