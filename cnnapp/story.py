"""The parameter story at ImageNet size: AlexNet against GoogLeNet, parameters and float32/int8 TFLite bytes.

    python -m cnnapp.story --out export/

"Train on a cluster, run on a phone": parameters are the memory a phone must hold. Measured on untrained
weights (no model or data needed); writes `parameter-story.json` and `.md` into --out and prints the table.
"""

from __future__ import annotations

from collections.abc import Sequence

from cnnapp import cli
from cnnapp.deploy import story
from cnnapp.errors import run_cli
from cnnapp.paths import out_folder


def parse_args(argv: Sequence[str] | None):
    parser = cli.ArgumentParser(prog="python -m cnnapp.story", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="the folder for parameter-story.json and .md (default: print only)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    table = story.measure(verbose=args.verbose)
    if args.out is not None:
        story.write(table, out_folder(args.out))
    print(story.markdown(table))
    return 0


if __name__ == "__main__":
    run_cli(main, "python -m cnnapp.story")
