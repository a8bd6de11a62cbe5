"""The bench's speed, latency and memory targets, checked against its own measurements and printed with them.

rows = targets(result, cpu_info()["features"])   # [{"target", "measured", "met"}, ...]; met None: n/a
"""

from __future__ import annotations

from pathlib import Path

# The speed targets, stated in the bench's own output (`targets`).
ROOF_SATURATION = 0.85  # the largest size tried within 15% of the roof: the sizes grew far enough
VGG_ROOF_FRACTION = 0.40
RESNET_ROOF_FRACTION = 0.15
AMX_DEFAULT_RATIO = 1.8  # ours in auto against keras.applications' default float32 fit, on an AMX CPU
SAME_PRECISION_RATIO = 1.0


def targets(result: dict, features: dict) -> list[dict]:
    """Each target the bench can check from `result`: {"target", "measured", "met" (None: not applicable)}."""
    rows = []

    def check(target: str, measured: str, met: bool | None) -> None:
        rows.append({"target": target, "measured": measured, "met": met})

    for dtype, found in result.get("roofs", {}).items():
        if isinstance(found, dict) and "sizes" in found:
            last = found["sizes"][-1]
            check(f"{dtype} roof: the largest matmul tried within 15% of the roof",
                  f"{last['n']}²: {last['flops_per_s'] / found['flops_per_s']:.0%} of the roof "
                  f"({found['n']}², {found['flops_per_s'] / 1e9:,.0f} GFLOP/s)",
                  last["flops_per_s"] >= ROOF_SATURATION * found["flops_per_s"])  # fmt: skip
    goals = {"vgg16": VGG_ROOF_FRACTION, "resnet50": RESNET_ROOF_FRACTION}
    for row in result.get("speed", []):
        noisy = " (noisy)" if row.get("ratio_noisy") else ""
        if row["model"] in goals:
            goal = goals[row["model"]]
            name = f"{row['model']} training ≥ {goal:.0%} of the {row['roof_dtype']} roof"
            check(name, f"{row['ours_peak_fraction']:.1%}", row["ours_peak_fraction"] >= goal)
        check(f"{row['model']} ≥ {SAME_PRECISION_RATIO:.1f}× keras.applications, same precision",
              f"{row['ratio']:.2f}× ({row['ratio_min']:.2f}–{row['ratio_max']:.2f}){noisy}",
              row["ratio"] >= SAME_PRECISION_RATIO)  # fmt: skip
        if row["model"] == "vgg16":
            amx = bool(features.get("amx"))
            spread = f"({row['default_ratio_min']:.2f}–{row['default_ratio_max']:.2f})"
            check(f"vgg16 ≥ {AMX_DEFAULT_RATIO}× keras.applications' default float32 fit (on an AMX CPU)",
                  f"{row['default_ratio']:.2f}× {spread}" + ("" if amx else "; this CPU has no AMX"),
                  row["default_ratio"] >= AMX_DEFAULT_RATIO if amx else None)  # fmt: skip
    for row in result.get("litert", {}).get("rows", []):
        if row["mode"] in ("int8", "qat") and "speedup" in row:
            name = Path(row["file"]).stem if row.get("file") else row["mode"]
            check(f"{row['model']} {name}: int8 latency ≤ float32", f"{row['speedup']:.2f}× float32's speed",
                  row["speedup"] >= 1.0)  # fmt: skip
    for row in result.get("memory", []):
        if "error" in row:
            check(f"{row['model']}: the audit's training memory within 25% (or naming what it leaves out)",
                  f"{row['error']:+.0%}", row["within_tolerance"] or "left_out" in row)  # fmt: skip
    return rows
