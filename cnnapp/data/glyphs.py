"""Letters and signs that are not digits, rendered from fonts as MNIST holds a digit: the `none` class's
hardest examples (a phone pointed at a word must not read a digit in it).

    bank(28)  # float32 [N, 28, 28], 0-255, white on black, each glyph fitted into the centre 20×20 box

The fonts are Pillow's own default font (always there) and the DejaVu faces of Debian's fonts-dejavu-core
when installed. Characters that a hand can make look like a digit (O o D Q → 0, I l i j | ! → 1, Z z → 2,
S s → 5, b G → 6, T → 7, B → 8, g q → 9, and so on) are left out: a model must not learn to refuse a 1.
"""

from __future__ import annotations

import functools
import pathlib

import numpy as np

CHARACTERS = "ACEFHKMNPRUVWXYacdefhkmnprtuvwxy#@&%+=?*$<>{}[]~^"
DEJAVU = pathlib.Path("/usr/share/fonts/truetype/dejavu")
DEJAVU_FACES = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSans-ExtraLight.ttf",
)
RENDER = 64  # glyphs are drawn at this size, then fitted into the box


def _fonts():
    from PIL import ImageFont

    fonts = [ImageFont.load_default(size=RENDER)]
    fonts += [
        ImageFont.truetype(str(DEJAVU / face), RENDER) for face in DEJAVU_FACES if (DEJAVU / face).is_file()
    ]
    return fonts


def _render(character: str, font, size: int) -> np.ndarray:
    """One glyph, white on black, its longer side scaled to 20/28 of `size`, centred by its box."""
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (2 * RENDER, 2 * RENDER), 0)
    ImageDraw.Draw(canvas).text((RENDER // 2, RENDER // 4), character, fill=255, font=font)
    box = canvas.getbbox()
    glyph = canvas.crop(box)
    fit = size * 20 / 28 / max(glyph.size)
    glyph = glyph.resize((max(1, round(glyph.width * fit)), max(1, round(glyph.height * fit))), Image.LANCZOS)
    out = Image.new("L", (size, size), 0)
    out.paste(glyph, ((size - glyph.width) // 2, (size - glyph.height) // 2))
    return np.asarray(out, np.float32)


@functools.cache
def bank(size: int = 28) -> np.ndarray:
    """Every character of CHARACTERS in every available font: float32 [N, size, size], 0-255."""
    return np.stack([_render(c, font, size) for font in _fonts() for c in CHARACTERS])
