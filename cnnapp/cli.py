"""What every cnnapp command line shares: the argument parser with `--verbose`."""

from __future__ import annotations

import argparse
import sys

import cnnapp


class _ShowStartupLog(argparse.Action):
    """`--verbose`: write TensorFlow's start-up log, captured when cnnapp was imported, to stderr."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=False, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, True)
        sys.stderr.write(cnnapp.STARTUP_LOG)
        sys.stderr.flush()


class ArgumentParser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` with the `--verbose` flag every cnnapp CLI takes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_argument(
            "--verbose",
            action=_ShowStartupLog,
            help="show TensorFlow's C++ start-up log (hidden by default; TF_CPP_MIN_LOG_LEVEL=0 shows all)",
        )
