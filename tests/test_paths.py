"""Fast tier: names and paths from users and files — run names stay one folder, --out is never empty,
non-UTF-8 text is a one-line error, and the shipped data is found without TensorFlow."""

import pytest

from cnnapp import paths
from cnnapp.errors import CnnappError


def test_a_plain_run_name_passes_and_a_path_or_a_hidden_name_does_not():
    assert paths.check_run_name("lenet5-digits_v2.1") == "lenet5-digits_v2.1"
    for bad in ("", ".", "..", ".hidden", "a/b", "a\\b", "/abs", "bell\x07"):
        with pytest.raises(CnnappError, match=r"cannot name a run folder \(runs/NAME\).*--out DIR") as caught:
            paths.check_run_name(bad)
        assert "\n" not in str(caught.value) and "\x07" not in str(caught.value)  # printed escaped
    with pytest.raises(CnnappError, match="^run name 'x/y'"):
        paths.check_run_name("x/y", where="run name")


def test_out_folder_is_the_path_given_and_refuses_empty_or_control_characters(tmp_path):
    assert paths.out_folder(None) is None
    assert paths.out_folder(str(tmp_path / "mine")) == tmp_path / "mine"
    assert paths.out_folder(tmp_path) == tmp_path  # a PathLike too
    with pytest.raises(CnnappError, match=r"--site is empty; name a folder \(e.g. --site runs/mine\)"):
        paths.out_folder("  ", "--site")
    with pytest.raises(CnnappError, match=r"--out 'a\\x1b\[2Jb' holds control characters"):
        paths.out_folder("a\x1b[2Jb")


def test_read_utf8_reads_text_and_names_a_file_in_another_encoding(tmp_path):
    good, bad = tmp_path / "good.txt", tmp_path / "labels.txt"
    good.write_text("café\n", encoding="utf-8")
    bad.write_bytes("ok\ncafé\n".encode("latin-1"))
    assert paths.read_utf8(good) == "café\n"
    with pytest.raises(
        CnnappError, match=r"labels file .*labels.txt is not UTF-8 text \(byte 6\); save it as"
    ):
        paths.read_utf8(bad, "labels file")


def test_the_shipped_data_folder_holds_the_shipped_files():
    assert (paths.ASSETS / "digits" / "digits.npz").is_file()
    assert (paths.ASSETS / "lectures" / "figures.toml").is_file()
