"""The parameter story: AlexNet against GoogLeNet at ImageNet size, in float32 and int8 TFLite bytes.

The lectures' case for GoogLeNet on phones: at test time the parameters are the memory, and GoogLeNet has
8.7× fewer than AlexNet as measured here (6,998,552 against the two-tower 60,965,224; no big FC layers: 1×1
reductions and global average pooling). The paper says "12× fewer" and the deck "~2M"; neither matches a
count of the network its own Table 1 specifies (`python -m cnnapp.audit googlenet --lecture` says why).
Sizes need no training, so the models are built untrained (int8 calibrated on random pixels: ranges, not
accuracy, are at stake here).

    table = measure()   # converts each model twice; AlexNet float32 is ~240 MB, kept in memory only
    print(markdown(table))
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnapp import atomic, quiet

MODELS = ("alexnet", "googlenet")

# The lecture's figure beside the measured ratio; the audit keeps the counting that explains the difference.
PAPER_RATIO = (
    "The paper says 12× fewer and the deck ~2M parameters: `python -m cnnapp.audit googlenet --lecture` "
    "says why neither matches the network its Table 1 specifies."
)


def measure(
    names: tuple[str, ...] = MODELS, calibration: int = 4, seed: int = 0, verbose: bool = False
) -> list[dict]:
    """For each architecture at its paper's input size: parameters, top layers, float32 and int8 bytes.

    The converter's own output (Keras's "Saved artifact" block, the quantizer's warnings and statistics lines)
    is hidden unless `verbose`."""
    import keras

    from cnnapp import models
    from cnnapp.deploy import converter
    from cnnapp.deploy.report import gzip_size, parameter_story

    rows = []
    rng = np.random.default_rng(seed)
    for name in names:
        arch = models.get(name)
        options = {"aux_classifiers": False} if "aux_classifiers" in models.options(name) else {}
        keras.utils.set_random_seed(seed)
        model = models.inference_model(models.build(name, **options))
        images = rng.uniform(0, 255, (calibration, *arch.input_shape)).astype(np.float32)
        sizes = {}
        for mode in ("float32", "int8"):
            with quiet.hidden_output(verbose):
                content = converter.convert(model, mode, images if mode == "int8" else None, io="float")
            sizes[mode] = {"bytes": len(content), "gzip_bytes": gzip_size(content)}
            del content
        rows.append(
            {
                "model": name,
                "input_shape": list(arch.input_shape),
                "parameters": parameter_story(model),
                "float32": sizes["float32"],
                "int8": sizes["int8"],
                "int8_ratio": sizes["int8"]["bytes"] / sizes["float32"]["bytes"],
            }
        )
        del model
        keras.backend.clear_session()
    return rows


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def markdown(rows: list[dict]) -> str:
    """The story as a Markdown table, with the ratio of the first model to each other."""
    lines = [
        "# Parameters at test time: AlexNet vs GoogLeNet (ImageNet size, 1000 classes)",
        "",
        "Measured by `python -m cnnapp.story --out export/` (untrained weights; sizes do not depend on "
        "training). int8 is full-integer post-training quantization.",
        "",
        "| model | input | parameters | largest layers | float32 .tflite | int8 .tflite | int8 / float32 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        p = r["parameters"]
        top = ", ".join(f"{t['layer']} {100 * t['share']:.0f}%" for t in p["top_layers"])
        shape = "×".join(map(str, r["input_shape"]))
        lines.append(
            f"| {r['model']} | {shape} | {p['total']:,} | {top} | {_mb(r['float32']['bytes'])} | "
            f"{_mb(r['int8']['bytes'])} | {100 * r['int8_ratio']:.1f}% |"
        )
    if len(rows) >= 2:
        a, b = rows[0], rows[1]
        lines += [
            "",
            f"{a['model']} has {a['parameters']['total'] / b['parameters']['total']:.1f}× the parameters of "
            f"{b['model']}; int8 {b['model']} is {_mb(b['int8']['bytes'])}, "
            f"{a['float32']['bytes'] / b['int8']['bytes']:.0f}× smaller than float32 {a['model']}.",
        ]
        if (a["model"], b["model"]) == ("alexnet", "googlenet"):
            lines.append(PAPER_RATIO)
    return "\n".join(lines) + "\n"


def write(rows: list[dict], out_dir: str | Path) -> None:
    """parameter-story.json and parameter-story.md in `out_dir` (numbers only: the big files are not kept)."""
    out = Path(out_dir)
    atomic.write_json(out / "parameter-story.json", rows)
    atomic.write_text(out / "parameter-story.md", markdown(rows))
