"""The lectures' rules of thumb, checked on one model and said in plain sentences.

Most units and connections are in the conv layers, most weights in the fully connected ones; parameters are
the memory of a deployed model, activations the memory of training.
"""

from __future__ import annotations

from cnnapp.audit.counting import CONV, FC, POOL


def _share(part: int, whole: int) -> str:
    if not whole:
        return "0%"
    share = 100 * part / whole
    if 0 < share < 1:
        return "<1%"
    if 99 < share < 100:
        return ">99%"
    return f"{share:.0f}%"


def human(n: float, unit: str = "") -> str:
    """1234567 → "1.2M"; bytes with unit "B" → "1.2 MB" (powers of 1000)."""
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= factor:
            value = f"{n / factor:.1f}{prefix}"
            return f"{value[:-1]} {prefix}{unit}" if unit else value
    return f"{int(n)} {unit}" if unit else str(int(n))


def _kind(totals, kind: str, key: str) -> int:
    return totals.by_kind.get(kind, {}).get(key, 0)


def sentences(audit) -> list[str]:
    """Plain-sentence rules of thumb for `audit` (inference path, then auxiliary heads and memory)."""
    t = audit.totals
    out = []
    fc_w, conv_w = _kind(t, FC, "weights"), _kind(t, CONV, "weights")
    fc_m, conv_m = _kind(t, FC, "macs"), _kind(t, CONV, "macs")
    conv_u = _kind(t, CONV, "units") + _kind(t, POOL, "units")
    out.append(
        f"{_share(fc_w, t.weights)} of weights are in fully connected layers, {_share(conv_w, t.weights)} in "
        f"conv layers; {_share(conv_m, t.macs)} of connections (multiply-adds) are in conv layers, "
        f"{_share(fc_m, t.macs)} in fully connected layers; {_share(conv_u, t.units)} of units are in conv "
        f"and pooling layers."
    )
    in_effect = [
        r for r in audit.rows if r.main_path and r.kind == CONV and r.weights and r.macs == r.weights
    ]
    holds = fc_w > conv_w and conv_m > fc_m
    if in_effect:  # both readings in one sentence: by layer type, and by what the layer computes
        names = ", ".join(r.name for r in in_effect)
        moved_w = sum(r.weights for r in in_effect)
        moved_m = sum(r.macs for r in in_effect)
        holds_in_effect = fc_w + moved_w > conv_w - moved_w and conv_m - moved_m > fc_m + moved_m
        verdict = lambda ok: "holds" if ok else "does not hold"  # noqa: E731
        out.append(
            f"The lectures' rule of thumb (most weights fully connected, most connections conv) "
            f"{verdict(holds)} counting {names} as the conv layer{'s' if len(in_effect) > 1 else ''} Keras "
            f"builds ({_share(fc_w, t.weights)} of weights fully connected), and {verdict(holds_in_effect)} "
            f"counting {'them' if len(in_effect) > 1 else 'it'} as fully connected, which "
            f"{'they are' if len(in_effect) > 1 else 'it is'} in effect: the kernel covers the whole input "
            f"map, so each weight is used once ({_share(fc_w + moved_w, t.weights)} of weights)."
        )
    elif conv_w and fc_w:
        out.append(
            "The lectures' rule of thumb holds: most weights are in the fully connected layers, most "
            "connections in the conv layers."
            if holds
            else "The lectures' rule of thumb (most weights fully connected, most connections conv) does not "
            f"hold here: the {'conv' if conv_w >= fc_w else 'fully connected'} layers hold most weights."
        )
    elif conv_w:
        out.append("There is no fully connected layer: all weights and connections are in conv layers.")
    weighted = [r for r in audit.rows if r.main_path and r.weights]
    if weighted and t.weights:
        big = max(weighted, key=lambda r: r.weights)
        out.append(
            f"The largest layer, {big.name}, holds {human(big.weights)} weights "
            f"({_share(big.weights, t.weights)} of all)."
        )
    m = audit.memory
    if m is not None:
        out.append(
            f"Deployed, the parameters take {human(m.parameter_bytes['float32'], 'B')} at float32 "
            f"({human(m.parameter_bytes['int8'], 'B')} at int8) and one forward pass needs at most "
            f"{human(m.peak_activation_bytes_per_example, 'B')} of activations per image; training keeps "
            f"{human(m.activation_bytes_per_example, 'B')} of activations per example, "
            f"{human(m.training_activation_bytes, 'B')} at batch {m.batch_size}."
        )
    if audit.auxiliary is not None:
        aux = audit.auxiliary
        out.append(
            f"The auxiliary heads ({aux.layers} layers) add {human(aux.params)} parameters "
            f"({_share(aux.params, aux.params + t.params)} of the training network) and "
            f"{human(aux.macs)} multiply-adds; they are dropped at inference and not in the totals above."
        )
    uncounted = t.not_counted + (audit.auxiliary.not_counted if audit.auxiliary else [])
    if uncounted:
        names = ", ".join(uncounted)
        out.append(f"Not counted (layer type unknown to the audit; its units and MACs are missing): {names}.")
    return out
