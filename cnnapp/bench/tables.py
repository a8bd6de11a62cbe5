"""The bench's result as the Markdown tables the CLI prints: one per section, headed by the machine."""

from __future__ import annotations

from pathlib import Path


def _rate(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _flops(value: float) -> str:
    return f"{value / 1e9:,.1f} G"


def format_table(result: dict) -> str:
    """The bench as text tables, one per section, headed by the machine."""
    machine = result["machine"]
    config = result["config"]
    lines = [
        f"cnnapp bench — {machine['device']}, {machine['cpu_cores']} CPU cores, "
        f"TensorFlow {machine['tensorflow']}"
    ]
    if "speed" in result:
        peak = result["peak"]
        lines += [
            "",
            f"Training speed at {config['image_size']}×{config['image_size']}×3, "
            f"batch {config['batch_size']}, "
            f"SGD+momentum, {result['precision']}{', XLA' if result['jit'] else ''} "
            f"(medians of {config['repeats']} alternating repeats × {config['steps']} steps)",
            f"matmul peak: {_flops(peak['flops_per_s'])}FLOP/s ({peak['n']}×{peak['n']} {peak['dtype']}, "
            f"{peak['device']})",
            header_line(
                (
                    "model",
                    "params",
                    "ours img/s",
                    "keras.app img/s",
                    "ratio (min–max)",
                    "train GFLOP/img",
                    "ours FLOP/s",
                    "of peak",
                    "keras.app of peak",
                )
            ),
        ]
        for row in result["speed"]:
            lines.append(
                table_row(
                    (
                        row["model"],
                        f"{row['params']:,}",
                        _rate(row["ours_images_per_s"]),
                        _rate(row["reference_images_per_s"]),
                        f"{row['ratio']:.2f} ({row['ratio_min']:.2f}–{row['ratio_max']:.2f})",
                        f"{row['train_flops_per_image'] / 1e9:.2f}",
                        _flops(row["ours_flops_per_s"]),
                        f"{row['ours_peak_fraction']:.1%}",
                        f"{row['reference_peak_fraction']:.1%}",
                    )
                )
            )
    if "pipeline" in result:
        lines += [
            "",
            "Input pipeline (cnnapp.data.training_pipeline) against the models' consumption",
            header_line(("source", "pipeline img/s", "consumers")),
        ]
        for row in result["pipeline"]:
            consumers = (
                ", ".join(
                    f"{m} {_rate(c['images_per_s'])} img/s: {c['verdict']}"
                    for m, c in row["consumers"].items()
                )
                or "(speed section not run)"
            )
            lines.append(table_row((row["source"], _rate(row["images_per_s"]), consumers)))
    if result.get("folder", {}).get("jpeg") or result.get("folder", {}).get("first_batch"):
        lines += [
            "",
            "Image folders (cnnapp.data folder:PATH)",
            header_line(("measure", "cnnapp", "reference", "result")),
        ]
        jpeg = result["folder"].get("jpeg")
        if jpeg:
            verdict = (
                "meets"
                if jpeg["ratio"] >= jpeg["target"]
                else f"misses by {jpeg['target'] - jpeg['ratio']:.2f}"
            )
            lines.append(
                table_row(
                    (
                        f"{jpeg['images']:,} JPEGs 300×400 → short side 256, crop 224, flip (img/s)",
                        _rate(jpeg["ours_images_per_s"]),
                        _rate(jpeg["reference_images_per_s"]) + " (plain tf.data)",
                        f"{jpeg['ratio']:.2f}× ({verdict} ≥ {jpeg['target']}×)",
                    )
                )
            )
            verdict = "meets" if jpeg["cpu_ratio"] >= jpeg["target"] else "misses"
            lines.append(
                table_row(
                    (
                        "the same: CPU time per image (ms; steadier than img/s on a shared machine)",
                        f"{jpeg['ours_cpu_ms']:.2f}",
                        f"{jpeg['reference_cpu_ms']:.2f}",
                        f"{jpeg['cpu_ratio']:.2f}× ({verdict} ≥ {jpeg['target']}×)",
                    )
                )
            )
        first = result["folder"].get("first_batch")
        if first:
            over = first["seconds"] - first["target_seconds"]
            verdict = "meets" if over <= 0 else f"misses by {over:.1f} s"
            lines.append(
                table_row(
                    (
                        f"{first['files']:,} 8×8 PNGs: load to first batch (s)",
                        f"{first['seconds']:.2f}",
                        "-",
                        f"{verdict} (≤ {first['target_seconds']:g} s)",
                    )
                )
            )
    if "litert" in result:
        lines += [
            "",
            f"LiteRT latency per image, batch 1, 1 thread — {result['litert']['origin']}",
            header_line(("model", "file", "mode", "ms/image", "speedup vs float32", "KiB", "integer only")),
        ]
        for row in result["litert"]["rows"]:
            speedup = f"{row['speedup']:.2f}×" if "speedup" in row else "-"
            lines.append(
                table_row(
                    (
                        row["model"],
                        Path(row["file"]).name or "(converted)",
                        row["mode"],
                        f"{row['latency_ms']:.3f}",
                        speedup,
                        f"{row['bytes'] / 1024:,.0f}",
                        "yes" if row["integer_only"] else "no",
                    )
                )
            )
    return "\n".join(lines)


def header_line(cells) -> str:
    """A Markdown table's header and rule after a blank line: the printed tables paste into Markdown as is."""
    return "\n" + table_row(cells) + "\n" + table_row(["---"] * len(cells))


def table_row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"
