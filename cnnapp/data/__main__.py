"""`python -m cnnapp.data check folder:PATH`: decode every image of a folder once, with a progress bar.

Training does not decode a folder up front (it would take hours for an ImageNet-sized one); it stops at the
first file that does not decode. This check reads them all, in parallel, and lists every file that fails, the
images per class and split, and the channels and sizes found. Exit status 0 when every image decodes, 1 when
some do not.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from cnnapp import cli
from cnnapp.errors import CnnappError, printable, run_cli

PROG = "python -m cnnapp.data"


def parser() -> argparse.ArgumentParser:
    p = cli.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    commands = p.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="decode every image of a folder, list the ones that fail")
    check.add_argument("dataset", help="folder:PATH (or a path to the folder)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from cnnapp.data.folder import FOLDER_PREFIX, check_folder

    path = args.dataset.removeprefix(FOLDER_PREFIX)
    if not args.dataset.startswith(FOLDER_PREFIX) and "/" not in path and "\\" not in path:
        raise CnnappError(f"check reads image folders: give folder:PATH, not {args.dataset!r}")
    bars = []

    def progress(done: int, total: int) -> None:
        if not bars:
            import keras

            bars.append(keras.utils.Progbar(total, unit_name="image"))
        bars[0].update(done)

    result = check_folder(path, progress=None if args.quiet else progress)
    print(f"{result['images']} images in {len(result['classes'])} classes")
    splits = sorted({split for counts in result["classes"].values() for split in counts})
    print("class".ljust(24) + "".join(split.rjust(12) for split in splits))
    for name, counts in result["classes"].items():
        print(
            printable(name)[:23].ljust(24) + "".join(str(counts.get(split, 0)).rjust(12) for split in splits)
        )
    kinds = result["channels"].items()
    channels = ", ".join(f"{count} {'grey' if depth == 1 else 'colour'}" for depth, count in kinds)
    print(f"channels: {channels or 'none decoded'}")
    sizes = ", ".join(f"{h}×{w}: {count}" for (h, w), count in result["sizes"].items())
    print(f"most common sizes (H×W): {sizes or 'none'}")
    if result["failed"]:
        print(f"{len(result['failed'])} image(s) do not decode; remove or replace them:")
        for failed, reason in result["failed"]:
            print(printable(f"  {failed}: {reason}"))
        return 1
    print("every image decodes")
    return 0


if __name__ == "__main__":
    run_cli(main, PROG)
