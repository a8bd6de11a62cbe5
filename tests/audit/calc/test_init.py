"""The layer calculator: the lecture's arithmetic, the 'doesn't fit' case, the same numbers as the audit,
the lecture's layer pattern (its size arguments: test_stories.py; its command line: test_main.py)."""

import pytest

from cnnapp.audit import calc
from cnnapp.errors import CnnappError


def test_alexnet_first_layers():
    steps = calc.calculate("227x227x3 conv:96:11:4 pool:3:2 fc:4096").steps
    assert [s.output_shape for s in steps] == [(55, 55, 96), (27, 27, 96), (4096,)]
    assert steps[0].params == 11 * 11 * 3 * 96 + 96 and steps[0].macs == 55 * 55 * 96 * 363
    assert "(227 − 11)/4 + 1 = 55" in steps[0].arithmetic[0]
    assert steps[2].weights == 27 * 27 * 96 * 4096


def test_a_stride_that_does_not_fit_shows_the_fraction_and_the_padding_that_fits():
    (step,) = calc.calculate("7x7x1 conv:1:3:3").steps
    assert not step.fits and step.output_shape == (2, 2, 1)
    assert "(7 − 3)/3 + 1 = 2.33: doesn't fit! (padding 1 would fit" in step.arithmetic[0]
    (alexnet,) = calc.calculate("224x224x3 conv:96:11:4").steps  # the paper's stated crop
    assert "54.25" in alexnet.arithmetic[0] and "an input side of 227" in alexnet.arithmetic[0]


def test_padding_and_same():
    steps = calc.calculate("32x32x3 conv:6:5:1:2 pool:2 conv:16:5:1:same").steps
    assert [s.output_shape for s in steps] == [(32, 32, 6), (16, 16, 6), (16, 16, 16)]


def test_the_calculator_counts_as_the_audit():
    from cnnapp import audit

    steps = calc.calculate("32x32x1 conv:6:5 avgpool:2 conv:16:5 avgpool:2 conv:120:5 fc:84 fc:10").steps
    lenet = audit.audit_architecture("lenet5").totals
    assert sum(s.params for s in steps) == lenet.params and sum(s.macs for s in steps) == lenet.macs


def test_the_lectures_pattern():
    specs = calc.pattern(2, 3, 1)
    assert [s.kind for s in specs] == ["conv", "conv", "pool"] * 3 + ["fc", "fc"]
    steps = calc.calculate_layers((32, 32, 3), specs)
    assert steps[-3].output_shape == (4, 4, 128) and steps[-1].output_shape == (10,)
    with pytest.raises(CnnappError, match="the pattern needs"):
        calc.pattern(0, 0, 1)
