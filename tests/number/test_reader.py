"""`python -m cnnapp.predict --number`: photos of numbers in, PATH<TAB>NUMBER out; bad input in one line."""

import numpy as np
import pytest
from PIL import Image

from cnnapp import predict
from cnnapp.errors import CnnappError
from cnnapp.number import scenes

MODEL = "export/lenet5-phone"  # the committed phone classifier the README names


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("numbers")
    shot = scenes.make_scenes("validation", 2, 11)
    paths = {}
    for i, (frame, number) in enumerate(zip(shot.frames, shot.numbers, strict=True)):
        paths[number] = folder / f"n{i}.jpg"
        Image.fromarray(frame).save(paths[number], quality=95)
    grey = Image.fromarray(shot.frames[0]).convert("L").resize((333, 201))  # grey, odd size, not 4:3
    grey.save(folder / "grey.png")
    rgba = np.concatenate([shot.frames[1], np.full((*shot.frames[1].shape[:2], 1), 255, np.uint8)], -1)
    Image.fromarray(rgba).save(folder / "rgba.png")
    Image.new("RGB", (640, 480), (225, 220, 205)).save(folder / "blank.png")
    bars = Image.new("L", (320, 240), 235)
    for k in range(14):  # fourteen strokes: more marks than a number has
        bars.paste(40, (10 + 22 * k, 90, 17 + 22 * k, 150))
    bars.save(folder / "bars.png")
    return folder, paths, shot.numbers


def test_each_photo_prints_its_number(photos, capsys):
    folder, paths, numbers = photos
    files = [*paths.values(), folder / "grey.png", folder / "rgba.png"]
    assert predict.main(["--number", MODEL, *map(str, files)]) == 0
    lines = capsys.readouterr().out.splitlines()
    read = dict(line.split("\t") for line in lines)
    assert [read[str(p)] for p in paths.values()] == numbers  # these two the classifier reads right today
    assert read[str(folder / "grey.png")] == numbers[0] and read[str(folder / "rgba.png")] == numbers[1]


def test_a_frame_without_digits_prints_an_empty_number_and_says_so(photos, capsys):
    folder, _, _ = photos
    assert predict.main(["--number", MODEL, str(folder / "blank.png"), str(folder / "bars.png")]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"{folder / 'blank.png'}\t", f"{folder / 'bars.png'}\t"]
    assert "no digits in the frame" in err and "not a number: 14 marks" in err


@pytest.mark.parametrize(
    "model, image, message",
    [
        (MODEL, "missing.png", "no image at missing.png"),
        (MODEL, "README.md", "cannot read image README.md: not an image file"),
        ("no/such/model", None, "no model at no/such/model"),
        ("export", None, "export holds no int8.tflite"),
        ("export/number/inkmap.tflite", None, "labels are not the digits"),
    ],
)
def test_bad_input_is_one_line(model, image, message, photos):
    image = image or str(photos[0] / "blank.png")  # images are read (and checked) before the model
    with pytest.raises(CnnappError, match=message):
        predict.main(["--number", model, image])
