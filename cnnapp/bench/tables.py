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
        f"TensorFlow {machine['tensorflow']}",
        *_machine_lines(machine),
        f"precision {result['precision']}: {result.get('precision_reason', '')}",
    ]
    if "tuning" in result:
        lines += tuning_lines(result["tuning"])
    if "roofs" in result:
        lines += roof_lines(result["roofs"])
    if "speed" in result:
        lines += [
            "",
            f"Training speed at {config['image_size']}×{config['image_size']}×3, "
            f"batch {config['batch_size']}, "
            f"SGD+momentum, {result['precision']}{', XLA' if result['jit'] else ''} "
            f"(medians of ≥ {config['repeats']} A-B-B-A rounds × {config['steps']} steps; "
            f"'noisy': rounds spread beyond ±10%)",
        ]
        lines += speed_lines(result["speed"])
    if result.get("memory"):
        lines += memory_lines(result["memory"])
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
        lines += litert_lines(result["litert"])
    if result.get("targets"):
        lines += target_lines(result["targets"])
    return "\n".join(lines)


def _machine_lines(machine: dict) -> list[str]:
    lines = []
    if machine.get("cpu"):
        lines.append(f"CPU: {machine['cpu']} ({machine['instruction_sets']})")
    if machine.get("load_average"):
        start = ", ".join(f"{v:.2f}" for v in machine["load_average"])
        end = ", ".join(f"{v:.2f}" for v in machine.get("load_average_end") or [])
        lines.append(f"load average (1, 5, 15 min) at start {start}" + (f", at end {end}" if end else ""))
    return lines


def tuning_lines(tuning: dict) -> list[str]:
    """Threads and oneDNN candidates, each child process's median step (ms) per round, and the choice."""
    if "error" in tuning:
        return ["", f"Threads and oneDNN: not tuned, TensorFlow's defaults used ({tuning['error']})"]
    lines = [
        "",
        f"Threads and oneDNN, chosen by measurement ({tuning['precision']} probe-net step, one process each, "
        f"palindrome order): {tuning['chosen']['name']} — {tuning['applied']}",
        header_line(("setting", "intra-op", "inter-op", "oneDNN", "step ms (per round)", "CPU ms")),
    ]
    for row in tuning["candidates"]:
        lines.append(
            table_row(
                (
                    row["name"],
                    row["intra"] or "default",
                    row["inter"] or "default",
                    "on" if row["onednn"] else "off",
                    ", ".join(f"{t:.0f}" for t in row["step_ms"]),
                    ", ".join(f"{t:.0f}" for t in row["cpu_ms"]),
                )
            )
        )
    return lines


def roof_lines(roofs: dict) -> list[str]:
    """The roof per dtype: the matmul sizes tried, each one's rate, the best, and why the growth stopped."""
    lines = [
        "",
        f"Roof: dense n×n matmul per dtype, sizes doubled until the rate stops rising "
        f"(best: {roofs['best']})",
    ]
    lines.append(header_line(("dtype", "roof GFLOP/s", "at n", "GFLOP/s by size", "stopped")))
    for dtype, found in roofs.items():
        if dtype == "best":
            continue
        if "error" in found:
            lines.append(table_row((dtype, "-", "-", found["error"], "no kernel")))
            continue
        sizes = ", ".join(f"{s['n']}: {s['flops_per_s'] / 1e9:,.0f}" for s in found["sizes"])
        lines.append(
            table_row((dtype, f"{found['flops_per_s'] / 1e9:,.1f}", found["n"], sizes, found["stopped"]))
        )
    return lines


def _ratio(row: dict, prefix: str) -> str:
    noisy = ", noisy" if row.get(f"{prefix}_noisy") else ""
    return f"{row[prefix]:.2f} ({row[prefix + '_min']:.2f}–{row[prefix + '_max']:.2f}{noisy})"


def speed_lines(rows: list[dict]) -> list[str]:
    """Ours against keras.applications in the same precision and in its default float32, with the fraction of
    the roof of the dtype each computes in, and process CPU time per image beside wall time."""
    lines = [
        header_line(
            (
                "model",
                "params",
                "ours img/s",
                "keras.app img/s",
                "ratio (min–max)",
                "keras.app float32 img/s",
                "ratio to float32 keras.app",
                "CPU ms/img ours, keras.app",
                "train GFLOP/img",
                "ours of roof",
                "keras.app of roof",
                "rounds",
            )
        )
    ]
    for row in rows:
        lines.append(
            table_row(
                (
                    row["model"],
                    f"{row['params']:,}",
                    _rate(row["ours_images_per_s"]),
                    _rate(row["reference_images_per_s"]),
                    _ratio(row, "ratio"),
                    _rate(row["default_images_per_s"]),
                    _ratio(row, "default_ratio"),
                    f"{row['ours_cpu_ms_per_image']:.1f}, {row['reference_cpu_ms_per_image']:.1f}",
                    f"{row['train_flops_per_image'] / 1e9:.2f}",
                    f"{row['ours_peak_fraction']:.1%} ({row['roof_dtype']})",
                    f"{row['reference_peak_fraction']:.1%}",
                    row["rounds"],
                )
            )
        )
    return lines


def memory_lines(rows: list[dict]) -> list[str]:
    lines = [
        "",
        "Training memory: two SGD+momentum steps in a fresh process, float32, against the audit's estimate",
        header_line(
            ("model", "input, batch", "measured MiB", "how", "audit MiB", "error", "audit leaves out")
        ),
    ]
    for row in rows:
        if "error_message" in row:
            lines.append(table_row((row["model"], "-", "-", row["error_message"], "-", "-", "-")))
            continue
        lines.append(
            table_row(
                (
                    row["model"],
                    f"{row['image_size']}², {row['batch_size']}",
                    f"{row['measured_bytes'] / 2**20:,.0f}",
                    row["how"],
                    f"{row['estimated_bytes'] / 2**20:,.0f}",
                    f"{row['error']:+.0%}",
                    row.get("left_out", "-"),
                )
            )
        )
    return lines


def litert_lines(litert: dict) -> list[str]:
    """LiteRT latency per export (with XNNPACK off where profiled), and a model's per-layer profile."""
    lines = [
        "",
        f"LiteRT latency per image, batch 1, 1 thread — {litert['origin']}",
        header_line(("model", "file", "mode", "ms/image", "speedup vs float32", "KiB", "integer only",
                     "builtin kernels (no XNNPACK) ms", "xnnpack 2 threads ms")),
    ]  # fmt: skip
    for row in litert["rows"]:
        kernels = row.get("kernels_ms", {})
        lines.append(
            table_row(
                (
                    row["model"],
                    Path(row["file"]).name or "(converted)",
                    row["mode"],
                    f"{row['latency_ms']:.3f}",
                    f"{row['speedup']:.2f}×" if "speedup" in row else "-",
                    f"{row['bytes'] / 1024:,.0f}",
                    "yes" if row["integer_only"] else "no",
                    f"{kernels['builtin kernels, 1 thread']:.3f}" if kernels else "-",
                    f"{kernels['xnnpack, 2 threads']:.3f}" if kernels else "-",
                )
            )
        )
    if litert.get("layers"):
        layers = litert["layers"]
        lines += [
            "",
            f"{layers['model']} layer by layer (µs, XNNPACK, 1 thread; each prefix's latency less the "
            "previous one's, the first row holds the invocation's fixed cost; a few µs is within the noise)",
            header_line(("layer", "float32 µs", "int8 µs")),
        ]
        lines += [
            table_row((r["layer"], f"{r['float32_us']:.1f}", f"{r['int8_us']:.1f}")) for r in layers["rows"]
        ]
    return lines


def target_lines(rows: list[dict]) -> list[str]:
    verdicts = {True: "meets", False: "MISSES", None: "n/a here"}
    lines = ["", "Targets", header_line(("target", "measured", "result"))]
    lines += [table_row((row["target"], row["measured"], verdicts[row["met"]])) for row in rows]
    return lines


def header_line(cells) -> str:
    """A Markdown table's header and rule after a blank line: the printed tables paste into Markdown as is."""
    return "\n" + table_row(cells) + "\n" + table_row(["---"] * len(cells))


def table_row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


BEGIN, END = "<!-- bench tables: begin -->", "<!-- bench tables: end -->"


def refresh_doc(doc_path: str | Path, json_path: str | Path) -> None:
    """Put `format_table` of the bench JSON at `json_path` between the BEGIN and END markers of the Markdown
    file `doc_path`: the numbers a page shows are the committed measurement's, never typed by hand."""
    import json

    from cnnapp import atomic

    doc = Path(doc_path).read_text()
    head, _, rest = doc.partition(BEGIN)
    _, _, tail = rest.partition(END)
    table = format_table(json.loads(Path(json_path).read_text()))
    atomic.write_text(doc_path, f"{head}{BEGIN}\n\n{table}\n\n{END}{tail}")
