"""python -m cnnapp.audit.calc: output shapes, weights and connections of stacked layers, with the arithmetic.

python -m cnnapp.audit.calc 227x227x3 conv:96:11:4 pool:3:2 fc:4096
python -m cnnapp.audit.calc 7x7x1 conv:1:3:3
python -m cnnapp.audit.calc --stack 3 --depth 3 --channels 64
python -m cnnapp.audit.calc --story
python -m cnnapp.audit.calc --inception 3a
python -m cnnapp.audit.calc 16x16x1 --pattern "INPUT -> [[CONV -> RELU]*1 -> POOL]*2 -> [FC -> RELU]*1 -> FC"
"""

from __future__ import annotations

from collections.abc import Sequence

from cnnapp import cli
from cnnapp.audit import calc
from cnnapp.audit.calc import stories
from cnnapp.errors import CnnappError, run_cli


def main(argv: Sequence[str] | None = None) -> int:
    parser = cli.ArgumentParser(
        prog="python -m cnnapp.audit.calc",
        description="Each layer's output shape, weights and connections, and the arithmetic that gives them. "
        "Layers: conv:FILTERS:SIZE[:STRIDE[:PADDING|same]], pool:SIZE[:STRIDE], avgpool:SIZE[:STRIDE], "
        "lc:FILTERS:SIZE[:STRIDE] (locally connected), fc:UNITS.",
    )
    parser.add_argument("input", nargs="?", help="the input, HEIGHTxWIDTHxCHANNELS (e.g. 227x227x3)")
    parser.add_argument("layers", nargs="*", help="the layers, e.g. conv:96:11:4 pool:3:2 fc:4096")
    parser.add_argument(
        "--stack",
        type=int,
        metavar="K",
        help="compare stacked K×K convs with one conv of the same receptive field (the VGG argument)",
    )
    parser.add_argument("--depth", type=int, default=3, help="how many K×K convs are stacked (default 3)")
    parser.add_argument("--channels", type=int, default=64, help="channels in and out (default 64)")
    parser.add_argument("--size", type=int, default=56, help="side of the maps (default 56)")
    parser.add_argument(
        "--story",
        action="store_true",
        help="fully connected → locally connected → conv on the lectures' 1000×1000 image",
    )
    parser.add_argument(
        "--inception",
        metavar="STAGE",
        help="GoogLeNet's inception STAGE (e.g. 3a) naive and with 1×1 reductions",
    )
    parser.add_argument(
        "--pattern",
        nargs="+",
        metavar="N M K | TEXT",
        help="after an input: the lectures' INPUT → [[CONV → RELU]*N → POOL?]*M → [FC → RELU]*K → FC, as "
        "three numbers or the string itself (the `pattern` architecture's own parsing)",
    )
    parser.add_argument(
        "--filters", type=int, default=32, help="--pattern: the first stage's filters (default 32)"
    )
    parser.add_argument(
        "--fc-units", type=int, default=512, help="--pattern: each hidden FC's units (default 512)"
    )
    args = parser.parse_args(argv)

    chosen = [args.input is not None, args.stack is not None, args.story, args.inception is not None]
    if sum(chosen) != 1:
        raise CnnappError("give an input and layers, or one of --stack K, --story, --inception STAGE")
    if args.stack is not None:
        if args.stack < 1 or args.depth < 1 or args.channels < 1 or args.size < 1:
            raise CnnappError("--stack, --depth, --channels and --size must be at least 1")
        lines = stories.stack_vs_single(args.stack, args.depth, args.channels, args.size)
        title = (
            f"{args.depth} stacked {args.stack}×{args.stack} convs against one conv of the same receptive "
            f"field, {args.channels} → {args.channels} channels on {args.size}×{args.size} maps"
        )
        text = stories.render(title, lines)
    elif args.story:
        title = "One layer on a 1000×1000 grey image: fully connected, locally connected, convolutional"
        text = stories.render(title, stories.fc_local_conv())
    elif args.inception is not None:
        title = f"GoogLeNet inception {args.inception} at 224×224: naive (Figure 2a) and with 1×1 reductions"
        text = stories.render(title, stories.inception(args.inception), receptive_field=False)
    elif args.pattern is not None:
        text = calc.render(
            calc.calculate_layers(
                calc.parse_input(args.input), _pattern(args.pattern, args.filters, args.fc_units)
            )
        )
    else:
        if not args.layers:
            raise CnnappError("give at least one layer after the input, e.g. 227x227x3 conv:96:11:4")
        specs = [calc.parse_layer(s) for s in args.layers]
        text = calc.render(calc.calculate_layers(calc.parse_input(args.input), specs))
    print(text, end="")
    return 0


def _pattern(words: list[str], filters: int, fc_units: int) -> list[calc.Spec]:
    if len(words) == 3 and all(w.isdigit() for w in words):
        n, m, k = map(int, words)
        return calc.pattern(n, m, k, filters=filters, fc_units=fc_units)
    return calc.pattern_text(" ".join(words), filters=filters, fc_units=fc_units)


if __name__ == "__main__":
    run_cli(main, "python -m cnnapp.audit.calc")
