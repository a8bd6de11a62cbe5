"""`python -m cnnapp.data check folder:PATH`: every image decoded once, every failure listed, the counts per
class and split, channels and sizes; exit 1 while a file does not decode."""

import io

import numpy as np
import pytest
from PIL import Image

from cnnapp.data.__main__ import main as data_main
from cnnapp.errors import CnnappError


def png(shape=(6, 9, 3)) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def write(path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def test_check_lists_every_bad_file(tmp_path, capsys):
    for label in ("cat", "dog"):
        for i in range(3):
            write(tmp_path / "train" / label / f"{i}.png", png())
    write(tmp_path / "train" / "dog" / "9.png", b"\x89PNG\r\n\x1a\n" + bytes(40))
    assert data_main(["check", f"folder:{tmp_path}", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "7 images in 2 classes" in out and str(tmp_path / "train" / "dog" / "9.png") in out
    assert "6 colour" in out and "6×9: 6" in out
    (tmp_path / "train" / "dog" / "9.png").unlink()
    assert data_main(["check", f"folder:{tmp_path}"]) == 0
    assert "every image decodes" in capsys.readouterr().out


def test_counts_per_split_and_grey_images(tmp_path, capsys):
    for split, count in (("train", 3), ("test", 2)):
        for label in ("one", "seven"):
            for i in range(count):
                write(tmp_path / split / label / f"{i}.png", png((5, 5)))
    assert data_main(["check", str(tmp_path), "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["class", "test", "train"] and lines[3].split() == ["seven", "2", "3"]
    assert "channels: 10 grey" in lines


def test_a_class_name_with_terminal_escapes_is_printed_harmless(tmp_path, capsys):
    write(tmp_path / "train" / "a\x1b]0;pwned\x07" / "0.png", png())
    write(tmp_path / "train" / "b" / "0.png", png())
    assert data_main(["check", f"folder:{tmp_path}", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out


def test_check_reads_folders_only():
    with pytest.raises(CnnappError, match="check reads image folders: give folder:PATH, not 'digits'"):
        data_main(["check", "digits"])
