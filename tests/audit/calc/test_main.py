"""Fast tier: `python -m cnnapp.audit.calc` prints the lecture's table and makes bad input one-line errors."""

import pytest

from cnnapp.audit.calc.__main__ import main
from cnnapp.errors import CnnappError


@pytest.mark.parametrize(
    "argv, message",
    [
        (["227x227", "conv:96"], "is not conv:FILTERS:SIZE"),
        (["227x227x3", "norm:5"], "unknown kind 'norm'"),
        (["big", "fc:10"], "is not HEIGHTxWIDTHxCHANNELS"),
        (["5x5x1", "conv:1:7"], "does not fit a 5-pixel side"),
        (["5x5x1", "fc:3", "conv:1:1"], "needs image maps"),
        ([], "give an input and layers"),
    ],
)
def test_errors(argv, message):
    with pytest.raises(CnnappError, match=message):
        main(argv)


def test_cli_prints(capsys):
    assert main(["7x7x1", "conv:1:3:3"]) == 0
    assert "doesn't fit!" in capsys.readouterr().out
