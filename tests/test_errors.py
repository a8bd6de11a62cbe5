"""Fast tier: the one error users see — unknown names list the valid ones, ranges say the span, the machine's
errors become one line naming the file and the fix, and everything else (a bug) keeps its traceback."""

import errno

import pytest
import tensorflow as tf

from cnnapp import errors
from cnnapp.errors import CnnappError


def _run(main, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        errors.run_cli(main, "cnnapp x", [])
    return exit_.value.code, capsys.readouterr().err


def test_printable_escapes_control_and_format_characters_only():
    assert errors.printable("café 7 – ok") == "café 7 – ok"
    assert errors.printable("a\x1b]0;title\x07b\u202ec\n") == "a\\x1b]0;title\\x07b\\u202ec\\x0a"


def test_unknown_names_list_the_valid_ones_sorted_and_ranges_say_their_span():
    error = errors.unknown("dataset", "mnsit", ["mnist", "digits"])
    assert isinstance(error, CnnappError) and str(error) == (
        "unknown dataset 'mnsit'; valid datasets: digits, mnist"
    )
    errors.check_range(None, "--top")  # not given: the default
    errors.check_range(5, "--top", 1, 10)
    with pytest.raises(CnnappError, match=r"^--top must be between 1 and 10; got 11$"):
        errors.check_range(11, "--top", 1, 10)
    with pytest.raises(CnnappError, match=r"^--samples must be at least 1; got 0$"):
        errors.check_range(0, "--samples")


def test_an_os_error_is_its_file_and_the_fix():
    full = OSError(errno.ENOSPC, "No space left on device", "/runs/x/resume.npz")
    assert errors.describe_os_error(full).startswith("no space left on the device writing /runs/x/resume.npz")
    assert "read-only" in errors.describe_os_error(OSError(errno.EROFS, "Read-only", "/ro"))
    assert errors.describe_os_error(OSError(errno.EBUSY, "Device busy", "/dev/x")) == "/dev/x: Device busy"
    assert errors.describe_os_error(OSError(errno.EACCES, "denied")).startswith(
        "permission denied for a file"
    )


def test_run_cli_turns_user_and_machine_errors_into_one_line_and_exit_2(capsys):
    def user_error(argv):
        raise CnnappError("bad\nthing: fix it")

    def disk_full(argv):
        raise OSError(errno.ENOSPC, "No space left on device", "/tmp/out.tflite")

    def out_of_memory(argv):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor\nmore detail")

    assert _run(user_error, capsys) == (2, "cnnapp x: error: bad thing: fix it\n")
    code, err = _run(disk_full, capsys)
    assert code == 2 and err.count("\n") == 1 and "/tmp/out.tflite: free some space" in err
    code, err = _run(out_of_memory, capsys)
    assert code == 2 and err == (
        "cnnapp x: error: out of memory or disk (OOM when allocating tensor); lower train.batch_size or free "
        "some space\n"
    )


def test_run_cli_exits_with_mains_status_130_on_ctrl_c_and_a_bug_keeps_its_traceback(capsys):
    def interrupted(argv):
        raise KeyboardInterrupt

    def bug(argv):
        raise ZeroDivisionError("division by zero")

    assert _run(lambda argv: 3, capsys) == (3, "")
    assert _run(lambda argv: None, capsys) == (0, "")
    assert _run(interrupted, capsys) == (130, "cnnapp x: interrupted\n")
    with pytest.raises(ZeroDivisionError):
        errors.run_cli(bug, "cnnapp x", [])


def test_an_optional_package_missing_names_its_install():
    assert errors.missing_package(ModuleNotFoundError(name="numpy")) is None  # not optional: a broken install
    message = errors.missing_package(ModuleNotFoundError(name="jax.numpy"))
    assert message == "the package jax, for the JAX backend, is not installed: pip install 'cnnapp[jax]'"
    errors.require_optional("numpy")  # installed: nothing happens
    with pytest.raises(CnnappError, match="no_such_package_here is not installed"):
        errors.require_optional("no_such_package_here")
