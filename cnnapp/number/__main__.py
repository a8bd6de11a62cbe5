"""Read handwritten numbers: `python -m cnnapp.number export OUT` and `python -m cnnapp.number world MODEL`.

    python -m cnnapp.number export export/number                 # the ink map, inkmap.tflite, for phones
    python -m cnnapp.number world export/lenet5-phone --out export/number   # number-world.json and .md
    python -m cnnapp.number choose export/lenet5-phone --out export/number  # number-split-choice.json

`world` reads photos of numbers made from mnist4k's validation digits with MODEL's float32 and int8 exports
(an export folder) and writes the results; docs/number.md explains them. `choose` reads photos made from the
train digits with the glue's touching-digit constants and variations of them (how they were chosen).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from cnnapp import atomic, cli, errors, paths, quiet


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = cli.ArgumentParser(prog="python -m cnnapp.number", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write the ink map, OUT/inkmap.tflite")
    export.add_argument("out", help="the folder to write into")
    world = commands.add_parser("world", help="the number world evaluation of an export folder")
    world.add_argument("model", help="a folder holding a digit classifier's float32.tflite and int8.tflite")
    world.add_argument("--out", required=True, help="where number-world.json and .md go")
    world.add_argument("--numbers", type=int, default=None, help="numbers per layout (default 400/200/200)")
    choose = commands.add_parser("choose", help="the touching-digit constants on train-split scenes")
    choose.add_argument("model", help="a folder holding a digit classifier's int8.tflite")
    choose.add_argument("--out", required=True, help="where number-split-choice.json goes")
    choose.add_argument("--numbers", type=int, default=None, help="numbers per layout (default 200/300/200)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = paths.out_folder(args.out)
    quiet.start_tensorflow()
    if args.command == "export":
        from cnnapp.number import inkmap  # deferred, as the two below: --help answers before numpy loads

        out.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(out / inkmap.FILE, inkmap.inkmap_tflite())
        print(f"wrote {paths.printable(str(out / inkmap.FILE))}")
        return 0
    errors.check_range(args.numbers, "--numbers", 1)
    if args.command == "choose":
        from cnnapp.number import choice  # deferred: see above

        counts = {k: args.numbers for k in choice.COUNTS} if args.numbers else None
        path = choice.write_choice(choice.choose_split(Path(args.model), counts=counts), out)
        print(f"wrote {paths.printable(str(path))}")
        return 0
    from cnnapp.number import world  # deferred: see above

    counts = {k: args.numbers for k in world.COUNTS} if args.numbers else None
    results = world.evaluate_numbers(Path(args.model), counts=counts)
    for path in world.write_results(results, out):
        print(f"wrote {paths.printable(str(path))}")
    print(world.markdown(results))
    return 0


if __name__ == "__main__":
    errors.run_cli(main, "python -m cnnapp.number")
