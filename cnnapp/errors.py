"""The one error type users see, and the wrapper that turns it into a one-line message at the CLI edge."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence


class CnnappError(ValueError):
    """Bad input from a user: the message names the problem and the fix, on one line."""


def unknown(kind: str, name: str, valid: Sequence[str]) -> CnnappError:
    """The error for an unknown name, listing the valid ones."""
    return CnnappError(f"unknown {kind} {name!r}; valid {kind}s: {', '.join(sorted(valid))}")


def run_cli(main: Callable[[Sequence[str] | None], int | None], prog: str) -> None:
    """Run a CLI's `main(argv)`, turning a CnnappError into `prog: error: ...` and exit status 2."""
    try:
        status = main(sys.argv[1:])
    except CnnappError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(status or 0)
