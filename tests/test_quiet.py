"""Fast tier: a noisy step (a converter, an interpreter, Keras's SavedModel print) is hidden unless --verbose,
and what it wrote is shown when it fails with something other than a one-line error of ours.

That importing a cnnapp module (TensorFlow with it) prints nothing is tests/test_import_side_effects.py's.
"""

import os
import sys

import pytest

from cnnapp import quiet
from cnnapp.errors import CnnappError


def _noisy(error: BaseException | None = None):
    os.write(1, b"Saved artifact at '/tmp/x'. TensorSpec(shape=(None, 32, 32, 3))\n")  # C++ or a print
    os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
    print("a Python print")
    print("a Python warning", file=sys.stderr)
    if error is not None:
        raise error


def test_a_noisy_step_is_hidden_by_default_and_shown_by_verbose(capfd):
    with quiet.hidden_output():
        _noisy()
    assert capfd.readouterr() == ("", "")
    with quiet.hidden_output(verbose=True):
        _noisy()
    out, err = capfd.readouterr()
    assert "Saved artifact" in out and "a Python print" in out and "XNNPACK" in err


def test_a_failing_step_shows_what_it_wrote_unless_the_error_explains_itself(capfd):
    with pytest.raises(ZeroDivisionError), quiet.hidden_output():
        _noisy(ZeroDivisionError("a bug"))
    err = capfd.readouterr().err
    assert "Saved artifact" in err and "XNNPACK" in err and "a Python warning" in err
    with pytest.raises(CnnappError), quiet.hidden_output():
        _noisy(CnnappError("bad input: the fix"))
    assert capfd.readouterr() == ("", "")
