"""A real image folder changed between two loads changes the run's fingerprint, and the check names what:
a file added, a file renamed, files swapped between class folders (the same names and sizes, labels
permuted), a class folder renamed; a run recorded before the content hash still resumes on its data."""

import numpy as np
import pytest
from PIL import Image

from cnnapp import fingerprint
from cnnapp.data import load_dataset
from cnnapp.errors import CnnappError
from cnnapp.recipes import load_recipe


def _folder(root, suffix="png"):
    """Two classes of three images; as BMP every file has the same size (uncompressed), only pixels differ."""
    for label, name in enumerate(("a", "b")):
        (root / name).mkdir(parents=True)
        for i in range(3):
            pixels = np.full((8, 8), 40 * i + 7 * label, np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.{suffix}")
    return root


def _print(root):
    recipe = load_recipe("lenet5-digits", [f'data.dataset="folder:{root}"'])
    return fingerprint.make(recipe, load_dataset(f"folder:{root}").info)


def _refused(saved, root, tmp_path, words):
    with pytest.raises(CnnappError, match=words) as raised:
        fingerprint.check(saved, _print(root), tmp_path)
    message = str(raised.value)
    assert "\n" not in message and "start a new run with --out NEW_FOLDER" in message, message


def test_a_changed_folder_is_other_data_and_renamed_classes_are_other_classes(tmp_path):
    root = _folder(tmp_path / "images")
    saved = _print(root)
    fingerprint.check(saved, _print(root), tmp_path)  # the same folder: goes on
    Image.fromarray(np.full((8, 8), 255, np.uint8)).save(root / "a" / "3.png")  # a file added
    _refused(saved, root, tmp_path, r"other data \(6 files, now 7: files were added or removed\)")
    saved = _print(root)
    (root / "a" / "3.png").rename(root / "a" / "4.png")
    _refused(saved, root, tmp_path, "its 7 files were renamed, moved to another class folder or resized")
    saved = _print(root)
    (root / "b").rename(root / "c")
    _refused(saved, root, tmp_path, "other classes")


def test_labels_permuted_with_the_same_names_and_sizes_are_other_data(tmp_path):
    root = _folder(tmp_path / "images", "bmp")
    sizes = {p.stat().st_size for p in root.rglob("*.bmp")}
    assert len(sizes) == 1  # names and sizes alone could not tell the folders apart
    saved = _print(root)
    (root / "a").rename(root / "swap")  # the classes' images trade places: every label is wrong
    (root / "b").rename(root / "a")
    (root / "swap").rename(root / "b")
    after = _print(root)
    assert after["classes"] == saved["classes"]
    _refused(saved, root, tmp_path, "the same 6 file names and sizes with other contents")


def test_one_file_swapped_between_two_classes_is_other_data(tmp_path):
    root = _folder(tmp_path / "images", "bmp")
    saved = _print(root)
    first, second = root / "a" / "1.bmp", root / "b" / "1.bmp"
    data = first.read_bytes()
    first.write_bytes(second.read_bytes())
    second.write_bytes(data)
    _refused(saved, root, tmp_path, "with other contents: files swapped between class folders")


def test_a_large_file_edited_in_its_middle_changes_the_content_hash(tmp_path):
    """Only the ends of a large file are read: a PNG's pixel edit reaches its end (Adler-32 and CRC)."""
    root = tmp_path / "images"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        noise = np.random.default_rng(len(name)).integers(0, 256, (128, 128, 3), np.uint8)
        Image.fromarray(noise).save(root / name / "0.png")
    path = root / "a" / "0.png"
    assert path.stat().st_size > 4 * fingerprint.SAMPLE_BYTES
    before = fingerprint.files_identity(root.rglob("*.png"), root)
    size, pixels = path.stat().st_size, np.asarray(Image.open(path)).copy()
    pixels[64, 64] ^= 1  # one pixel, in the middle of the file
    Image.fromarray(pixels).save(path)
    assert path.stat().st_size == size  # noise does not compress: the same size, so names and sizes agree
    after = fingerprint.files_identity(root.rglob("*.png"), root)
    assert before.split(", content")[0] == after.split(", content")[0] and before != after


def test_a_run_recorded_before_the_content_hash_resumes_on_its_unchanged_folder(tmp_path):
    root = _folder(tmp_path / "images")
    now = _print(root)
    older = {**now, "dataset": now["dataset"].split(", content")[0]}  # "6 files, sha256 ..." only
    fingerprint.check(older, now, tmp_path)
    Image.fromarray(np.full((8, 8), 255, np.uint8)).save(root / "a" / "3.png")
    _refused(older, root, tmp_path, "6 files, now 7")


def test_a_tfds_version_is_other_data_in_one_line(tmp_path):
    saved = {"dataset": "tfds mnist/3.0.1"}
    with pytest.raises(CnnappError, match="other data \\(dataset 'tfds mnist/3.0.1', now 'tfds mnist/3.0.2'"):
        fingerprint.check(saved, {"dataset": "tfds mnist/3.0.2"}, tmp_path)


def test_scores_on_changed_data_get_one_warning_line_and_the_same_data_none(tmp_path):
    root = _folder(tmp_path / "images", "bmp")
    saved = _print(root)
    assert fingerprint.stale_data_warning("runs/x", saved, saved["dataset"]) is None
    assert fingerprint.stale_data_warning("runs/x", None, "anything") is None  # a run that recorded none
    (root / "a").rename(root / "swap")
    (root / "b").rename(root / "a")
    (root / "swap").rename(root / "b")
    warning = fingerprint.stale_data_warning("runs/x", saved, _print(root)["dataset"])
    assert warning.startswith("WARNING: runs/x was trained with other data (the same 6 file names"), warning
    assert warning.endswith("these scores are not of the data it trained on") and "\n" not in warning
