"""The export report: size, where the parameters sit, accuracy through LiteRT, agreement, latency, float ops.

`build_report` returns a plain dict (saved as JSON); `markdown` and `compare_table` render it for people.
"""

from __future__ import annotations

import gzip
import os
import platform

import numpy as np

from cnnapp.choices import TEST


def gzip_size(content: bytes) -> int:
    """Bytes after gzip -9: what a download or app bundle costs. Pruning and clustering only pay off here."""
    return len(gzip.compress(content, compresslevel=9, mtime=0))


def parameter_story(model, top: int = 3) -> dict:
    """Total parameters and the `top` layers holding the most, with their share of the total."""
    counts = [(layer.name, int(layer.count_params())) for layer in model.layers if layer.count_params()]
    total = sum(n for _, n in counts)
    counts.sort(key=lambda item: -item[1])
    return {
        "total": total,
        "top_layers": [
            {"layer": name, "params": n, "share": n / total if total else 0.0} for name, n in counts[:top]
        ],
    }


def accuracy(probs: np.ndarray, labels: np.ndarray) -> dict:
    """Top-1 and top-5 accuracy and the number of top-1 errors."""
    top1 = probs.argmax(axis=1)
    k = min(5, probs.shape[1])
    top5 = np.argsort(-probs, axis=1)[:, :k]
    return {
        "top1": float(np.mean(top1 == labels)),
        "top5": float(np.mean(np.any(top5 == labels[:, None], axis=1))),
        "errors": int(np.sum(top1 != labels)),
    }


def machine() -> str:
    return f"{os.cpu_count()}-core {platform.machine()} CPU, no GPU, {platform.system()}"


def build_report(
    *,
    name: str,
    tag: str,
    mode: str,
    io: dict,
    content: bytes,
    float32_content: bytes,
    model,
    labels: np.ndarray,
    lite_probs: np.ndarray,
    keras_probs: np.ndarray,
    float32_probs: np.ndarray,
    latency: dict,
    ops: dict,
    settings: dict,
    weights: dict | None = None,
) -> dict:
    """Everything the export measured, as a JSON-ready dict.

    Args:
        name: the exported model's name; tag: the file stem (mode and optimizations, e.g. "int8-prune50").
        content / float32_content: this export's bytes and the plain float32 export's (the size baseline).
        model: the Keras reference model (parameters are counted on it).
        labels: evaluation labels; lite_probs / keras_probs / float32_probs: outputs of this export through
            LiteRT, of the Keras model, and of the float32 export through LiteRT.
        latency: `LiteModel.latency_ms`; ops: `runtime.op_summary`; settings: how the export was made.
        weights: `optimize.weight_stats` of the pruned/clustered weights, when there were any.
    """
    size, zsize = len(content), gzip_size(content)
    f_size, f_zsize = len(float32_content), gzip_size(float32_content)
    return {
        "model": name,
        "export": tag,
        "mode": mode,
        "io": io,
        "settings": settings,
        "parameters": parameter_story(model),
        "size": {
            "bytes": size,
            "gzip_bytes": zsize,
            "float32_bytes": f_size,
            "float32_gzip_bytes": f_zsize,
            "ratio_to_float32": size / f_size,
            "gzip_ratio_to_float32_gzip": zsize / f_zsize,
        },
        "weights": weights,
        "evaluation": None if labels is None else evaluation(labels, lite_probs, keras_probs, float32_probs),
        "latency_ms": latency,
        "graph": ops,
        "machine": machine(),
    }


def latency_note(mode: str, content: bytes, float32_content: bytes, rep: dict) -> dict | None:
    """Why an integer export is not faster than float32, measured; None when it is.

    Measures float32's latency as `rep`'s was measured, each graph's kernels with XNNPACK on and off on 1
    and 2 threads (`runtime.delegate_profile`), and how XNNPACK takes each graph: its delegate partitions
    and the ops it leaves to LiteRT's built-in kernels (`runtime.xnnpack_partitions`). `latency_text`
    says what those numbers show. An int16x8 export always gets a note: its cost is the question.
    """
    from cnnapp.deploy import runtime

    if mode not in ("int8", "qat", "int16x8"):
        return None
    ms = rep["latency_ms"]["median"]
    lite = runtime.LiteModel(float32_content, num_threads=1)
    float32_ms = lite.latency_ms(np.zeros(lite.input_shape, np.float32), runs=rep["latency_ms"]["runs"])[
        "median"
    ]
    if mode != "int16x8" and ms <= float32_ms:
        return None
    profile = {
        "this export": runtime.delegate_profile(content),
        "float32": runtime.delegate_profile(float32_content),
    }
    kernels = {
        "this export": runtime.xnnpack_partitions(content),
        "float32": runtime.xnnpack_partitions(float32_content),
    }
    share = rep["size"]["bytes"] / rep["size"]["float32_bytes"]
    text = latency_text(mode, ms, float32_ms, profile, kernels, share)
    return {"float32_ms": float32_ms, "text": text, "profile_ms": profile, "xnnpack": kernels}


# XNNPACK on and off within this share of each other: the same kernels run either way.
_SAME_KERNELS = 0.15


def _partitions(n: int) -> str:
    return f"{n} partition" + ("" if n == 1 else "s")


def _ops_named(ops: list[str]) -> str:
    """["AVERAGE_POOL_2D#5", "AVERAGE_POOL_2D#9", "SOFTMAX#20"] → "AVERAGE_POOL_2D ×2, SOFTMAX"."""
    counts: dict[str, int] = {}
    for op in ops:
        name = op.split("#")[0]
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(name + (f" ×{n}" if n > 1 else "") for name, n in counts.items())


def latency_text(mode: str, ms: float, float32_ms: float, profile: dict, kernels: dict, share: float) -> str:
    """What the measured numbers of `latency_note` say, in words (a pure function of them).

    Args:
        ms / float32_ms: this export's and float32's median latency (batch 1, one thread).
        profile: {"this export" | "float32": `runtime.delegate_profile`}.
        kernels: {"this export" | "float32": `runtime.xnnpack_partitions`}.
        share: this export's bytes over float32's.
    """
    mine, base = profile["this export"], profile["float32"]
    on, off = mine["xnnpack, 1 thread"], mine["builtin kernels, 1 thread"]
    taken, reference = kernels["this export"], kernels["float32"]
    timing = f"{ms:.3f} ms per image against float32's {float32_ms:.3f} ms (batch 1, one thread)"
    kernel_times = f"XNNPACK on {on:.3f} ms, off {off:.3f} ms; float32 {base['xnnpack, 1 thread']:.3f} ms"
    if mode == "int16x8":
        if taken["partitions"] == 0:
            kernels_said = (
                "XNNPACK takes none of its ops (it has no kernels for 16-bit activations), so every "
                "convolution and fully connected layer runs on LiteRT's built-in integer kernels"
            )
        else:
            kernels_said = (
                f"XNNPACK takes part of it ({_partitions(taken['partitions'])}) and leaves "
                f"{_ops_named(taken['outside'])} to LiteRT's built-in kernels"
            )
        same = abs(on - off) <= _SAME_KERNELS * max(on, off)
        return (
            f"int16x8 takes {timing}, {ms / float32_ms:.0f}× float32's: {kernels_said} "
            f"({kernel_times}{': the same kernels either way' if same else ''}). "
            "It buys accuracy (16-bit activations), not speed: use it where int8 loses accuracy and latency "
            "does not matter, or on an accelerator with 16×8 kernels."
        )
    float_kinds = {op.split("#")[0] for op in reference["outside"]}
    extra = [op for op in taken["outside"] if op.split("#")[0] not in float_kinds]
    if taken["partitions"] > reference["partitions"] or extra:
        why = (
            f"XNNPACK takes the graph in {_partitions(taken['partitions'])} against float32's "
            f"{reference['partitions']}, leaving {_ops_named(taken['outside'])} to LiteRT's built-in "
            "kernels: every invocation leaves XNNPACK and enters it again around each of them"
        )
    else:
        why = (
            f"XNNPACK takes both graphs alike ({_partitions(taken['partitions'])}), so what int8 adds to an "
            "invocation (quantizing the input, requantizing after every op) outweighs the multiply-adds it "
            "saves on a graph this small"
        )
    return (
        f"{mode} is slower than float32 here ({timing}): {why} ({kernel_times}). For speed, float32 is the "
        f"better phone choice for this export; {mode} keeps its size ({share:.0%} of float32's bytes)."
    )


def _profile_text(note: dict) -> str:
    return "; ".join(
        f"{side}: " + ", ".join(f"{setting} {ms:.3f} ms" for setting, ms in settings.items())
        for side, settings in note["profile_ms"].items()
    )


def evaluation(labels, lite_probs, keras_probs, float32_probs) -> dict:
    """Accuracy through LiteRT, of Keras and of the float32 export; how often the export agrees with Keras."""
    lite = accuracy(lite_probs, labels)
    base = accuracy(float32_probs, labels)
    agree = lite_probs.argmax(1) == keras_probs.argmax(1)
    return {
        "split": TEST,
        "images": int(len(labels)),
        "litert": lite,
        "keras": accuracy(keras_probs, labels),
        "float32_litert": base,
        "agreement_with_keras": float(np.mean(agree)),
        "disagreements_with_keras": int(np.sum(~agree)),
        "images_lost_vs_float32": lite["errors"] - base["errors"],
        "max_abs_prob_diff_vs_keras": float(np.max(np.abs(lite_probs - keras_probs))),
    }


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def markdown(report: dict) -> str:
    """One export's report as Markdown."""
    s, e, p = report["size"], report["evaluation"], report["parameters"]
    top = ", ".join(f"{t['layer']} {t['params']:,} ({_pct(t['share'])})" for t in p["top_layers"])
    settings = ", ".join(f"{k}={v}" for k, v in report["settings"].items())
    lines = [
        f"# {report['model']}: {report['export']}",
        "",
        *(line for warning in report.get("warnings", ()) for line in (f"**{warning}**", "")),
        f"Mode `{report['mode']}`, input {report['io']['input']}, output {report['io']['output']}; "
        f"{settings}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| parameters | {p['total']:,} (top layers: {top}) |",
        f"| bytes on disk | {s['bytes']:,} ({_pct(s['ratio_to_float32'])} of float32 "
        f"{s['float32_bytes']:,}) |",
        f"| gzip bytes | {s['gzip_bytes']:,} ({_pct(s['gzip_ratio_to_float32_gzip'])} of float32 gzip "
        f"{s['float32_gzip_bytes']:,}) |",
    ]
    if "metadata_bytes" in s:
        lines.append(f"| of which TFLite metadata (labels, input, normalization) | {s['metadata_bytes']:,} |")
    if report.get("input"):
        i = report["input"]
        quant = i.get("quantization")
        raw = f", quantized scale {quant['scale']:g}, zero point {quant['zero_point']}" if quant else ""
        front = " (RGB→grey front in the graph)" if i.get("grey_front") else ""
        if i.get("front") == "ink":
            front = " (ink front in the graph: grey, polarity and contrast from the frame)"
        lines.append(f"| input | {'×'.join(map(str, i['shape']))} {i['channels']}{front}{raw} |")
    if "refusal" in report:
        rule = report["refusal"]
        said = (
            f"top label `{rule['label']}`, or top score under {rule['min_score']}, means no digit"
            if rule
            else "none: the model names one of its classes for every frame"
        )
        lines.append(f"| refusal rule | {said} |")
    if report.get("calibration"):
        c = report["calibration"]
        lines.append(
            f"| calibration | temperature {c['temperature']:g}, fitted on {c['frames']} frames "
            f"({c['fitted_on']}): expected calibration error {c['ece_before']:.3f} → {c['ece_after']:.3f} |"
        )
    if report.get("float_layers"):
        f = report["float_layers"]
        gained = (
            f"; test errors {f['errors_all_int8']} all-int8 → {f['errors']} ({f['images_gained']:+d} images)"
            if "errors" in f
            else ""
        )
        lines.append(f"| kept in float | {', '.join(f['layers'])}: {f['bytes_added']:+,} bytes{gained} |")
    if e:
        lite, keras = e["litert"], e["keras"]
        lines += [
            f"| top-1 / top-5 through LiteRT ({e['images']} {e['split']} images) | {_pct(lite['top1'])} / "
            f"{_pct(lite['top5'])} ({lite['errors']} errors) |",
            f"| Keras top-1 / top-5 | {_pct(keras['top1'])} / {_pct(keras['top5'])} "
            f"({keras['errors']} errors) |",
            f"| top-1 agreement with Keras | {_pct(e['agreement_with_keras'])} "
            f"({e['disagreements_with_keras']} images differ) |",
            f"| test images lost vs float32 TFLite | {e['images_lost_vs_float32']} |",
        ]
    else:
        lines.append("| accuracy | not measured (no data: export a run, or pass --dataset) |")
    lines += [
        f"| CPU latency per image (LiteRT, batch 1, {report['latency_ms']['threads']} thread) | "
        f"{report['latency_ms']['median']:.3f} ms median |",
        f"| ops left in float | {', '.join(report['graph']['float_ops']) or 'none'} |",
    ]
    if report.get("weights"):
        w = report["weights"]
        lines.append(
            f"| Conv/Dense kernels | {w['kernel_weights']:,} weights, {_pct(w['zero_fraction'])} zero, "
            f"at most {w['max_distinct_per_kernel']:,} distinct values per kernel |"
        )
    if report.get("latency_note"):
        note = report["latency_note"]
        lines += ["", f"Latency: {note['text']}", "", f"Kernels (ms per image): {_profile_text(note)}."]
    lines += ["", f"Measured on {report['machine']}.", ""]
    return "\n".join(lines)


COMPARE_COLUMNS = (
    "export", "bytes", "% of float32", "gzip bytes", "gzip % of float32 gzip", "top-1", "top-5",
    "agreement", "lost vs float32", "latency ms", "float ops",
)  # fmt: skip


def compare_row(report: dict) -> list[str]:
    s, e = report["size"], report["evaluation"]
    row = [f"`{report['export']}`", f"{s['bytes']:,}", _pct(s["ratio_to_float32"]), f"{s['gzip_bytes']:,}",
           _pct(s["gzip_ratio_to_float32_gzip"])]  # fmt: skip
    if e:
        row += [_pct(e["litert"]["top1"]), _pct(e["litert"]["top5"]), _pct(e["agreement_with_keras"]),
                str(e["images_lost_vs_float32"])]  # fmt: skip
    else:
        row += ["n/a"] * 4
    return row + [f"{report['latency_ms']['median']:.3f}", str(len(report["graph"]["float_ops"]))]


def compare_table(reports: list[dict]) -> str:
    """Several exports of one model side by side, as a Markdown table."""
    if not reports:
        return ""
    head = reports[0]
    e = head["evaluation"]
    if e:
        keras_top1 = _pct(e["keras"]["top1"])
        measured = f"accuracy through LiteRT on {e['images']} {e['split']} images (Keras {keras_top1})"
    else:
        measured = "no evaluation data"
    lines = [
        f"# {head['model']}: exports compared",
        "",
        f"{head['parameters']['total']:,} parameters; {measured}; latency at batch 1 on one thread; "
        f"{head['machine']}.",
        "",
        "| " + " | ".join(COMPARE_COLUMNS) + " |",
        "|" + "---|" * len(COMPARE_COLUMNS),
    ]
    lines += ["| " + " | ".join(compare_row(r)) + " |" for r in reports]
    notes = [r for r in reports if r.get("latency_note")]
    if notes:
        lines += ["", "Latency notes:", ""]
        lines += [
            f"- `{r['export']}`: {r['latency_note']['text']} Kernels: {_profile_text(r['latency_note'])}."
            for r in notes
        ]
    return "\n".join(lines) + "\n"
