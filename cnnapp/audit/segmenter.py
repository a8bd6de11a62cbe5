"""The size of a segmenter: the audit's units, weights and MACs, and the MACs per output pixel.

A segmenter's cost grows with the image, so the number that compares heads and backbones is per output
pixel: every MAC of the network divided by the H×W pixels it labels.
"""

from __future__ import annotations

from cnnapp.audit.core import Audit, audit_model, shapes_only


def audit_segmenter(backbone: str, head: str, num_classes: int, *, batch_size: int = 1, **options) -> Audit:
    """Audit `build_segmenter(backbone, head, num_classes, **options)` (built with shapes only)."""
    from cnnapp.models import build_segmenter

    with shapes_only():
        model = build_segmenter(backbone, head, num_classes, **options)
    result = audit_model(model, batch_size=batch_size)
    result.options = {"backbone": backbone, "head": head, "num_classes": num_classes, **options}
    return result


def segmenter_size(result: Audit) -> dict:
    """Units, weights (parameters), MACs and MACs per output pixel of an audited segmenter."""
    height, width = result.rows[-1].output_shape[:2]
    totals = result.totals
    return {
        "units": totals.units,
        "weights": totals.params,
        "macs": totals.macs,
        "output_pixels": int(height * width),
        "macs_per_output_pixel": totals.macs / (height * width),
    }
