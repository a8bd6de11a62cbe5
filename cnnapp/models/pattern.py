"""The lectures' pattern INPUT → [[CONV → RELU]*N → POOL?]*M → [FC → RELU]*K → FC as a network you train.

    models.build("pattern", pattern="INPUT -> [[CONV -> RELU]*2 -> POOL]*2 -> [FC -> RELU]*1 -> FC")

The one home of the pattern: `parse` reads the lecture's string, `layers` expands it into the layer list the
builder here and the layer calculator (`python -m cnnapp.audit.calc INPUT --pattern ...`) both use, so a
trained pattern net and the calculator's sizing of it are the same network. The lecture leaves the layers'
sizes open; the usual choices are taken: 3×3 'same' convs (the VGG rule), `filters` doubled at every stage
after the first, 2×2 max pools, `fc_units` in each hidden FC layer.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from cnnapp.errors import CnnappError
from cnnapp.models.common import initializer, predictions, resolve_keras, start
from cnnapp.models.spec import Architecture

LECTURE = "INPUT -> [[CONV -> RELU]*N -> POOL?]*M -> [FC -> RELU]*K -> FC"
DEFAULT = "INPUT -> [[CONV -> RELU]*2 -> POOL]*2 -> [FC -> RELU]*1 -> FC"

# After spaces are dropped, arrows written ->, upper case. A missing *N means once; POOL left out, no pool.
_GRAMMAR = re.compile(
    r"INPUT->\[\[CONV->RELU\](?:\*(?P<n>\d+))?(?P<pool>->POOL\??)?\](?:\*(?P<m>\d+))?"
    r"(?:->\[FC->RELU\](?:\*(?P<k>\d+))?)?->FC"
)


@dataclasses.dataclass(frozen=True)
class Pattern:
    """The pattern's numbers: N convs per stage, M stages, each ending in a pool or not, K hidden FC."""

    n: int
    m: int
    k: int
    pool: bool = True

    @property
    def text(self) -> str:
        pool = " -> POOL" if self.pool else ""
        return f"INPUT -> [[CONV -> RELU]*{self.n}{pool}]*{self.m} -> [FC -> RELU]*{self.k} -> FC"


@dataclasses.dataclass(frozen=True)
class Layer:
    """One layer of the expanded pattern: `conv` (FILTERS, 3×3, stride 1, 'same', ReLU), `pool` (2×2 max,
    stride 2) or `fc` (UNITS; ReLU unless it is the classifier)."""

    kind: str
    number: int = 0
    size: int = 1
    stride: int = 1
    padding: int | str = 0


def parse(text: str) -> Pattern:
    """The lecture's string, with numbers for N, M and K, e.g. `INPUT -> [[CONV -> RELU]*2 -> POOL]*3 ->
    [FC -> RELU]*2 -> FC` (→ or ->; a missing *N is once; leave POOL out for no pooling)."""
    flat = re.sub(r"\s+", "", str(text)).upper().replace("→", "->")
    match = _GRAMMAR.fullmatch(flat)
    if not match:
        raise CnnappError(
            f"pattern {text!r} is not the lectures' {LECTURE} with numbers for N, M and K (e.g. {DEFAULT!r})"
        )
    if match["pool"] == "->POOL?":
        raise CnnappError(f"pattern {text!r}: write POOL for a pool after every stage, or leave it out")
    n, m, k = (int(match[g]) if match[g] is not None else 1 for g in ("n", "m", "k"))
    k = k if "[FC->RELU]" in flat else 0
    return checked(Pattern(n, m, k, match["pool"] is not None))


def checked(pattern: Pattern) -> Pattern:
    """PATTERN if its numbers make a network (the lecture's N, M, K ≥ 0, with some conv or pool)."""
    if min(pattern.n, pattern.m, pattern.k) < 0 or pattern.n == pattern.m == 0:
        raise CnnappError(
            f"the pattern needs N, M, K ≥ 0 and some layer; got N={pattern.n}, M={pattern.m}, K={pattern.k}"
        )
    return pattern


def layers(pattern: Pattern, *, filters: int = 32, fc_units: int = 512, classes: int = 10) -> list[Layer]:
    """The pattern's layers in order, the classifier (`fc` of `classes`) last."""
    checked(pattern)
    if min(filters, fc_units, classes) < 1:
        raise CnnappError(f"filters, fc_units and classes must be ≥ 1; got {filters}, {fc_units}, {classes}")
    out: list[Layer] = []
    for stage in range(pattern.m):
        out += [Layer("conv", filters * 2**stage, 3, 1, "same")] * pattern.n
        out += [Layer("pool", 0, 2, 2)] if pattern.pool else []
    return out + [Layer("fc", fc_units)] * pattern.k + [Layer("fc", classes)]


def min_size(pattern: Pattern) -> int:
    """The smallest input side whose maps stay at least 1×1 through the pools."""
    return 2**pattern.m if pattern.pool else 1


def pattern_net(
    input_shape: Sequence[int] = (32, 32, 3),
    num_classes: int = 10,
    include_top: bool = True,
    pooling: str | None = None,
    pattern: str = DEFAULT,
    filters: int = 32,
    fc_units: int = 512,
    init: str = "he",
    classifier_activation: str | None = "softmax",
    keras_module=None,
):
    """The network the pattern string describes (see the module docstring), ReLU after every conv and hidden
    FC, He initialization (the ReLU choice; `init` takes the zoo's names)."""
    K = resolve_keras(keras_module)
    parsed = parse(pattern)
    inputs = start(K, input_shape, num_classes, "pattern", min_size(parsed), (include_top, pooling))
    *body, classifier = layers(parsed, filters=filters, fc_units=fc_units, classes=num_classes)
    x, stage, conv, fc = inputs, 1, 0, 0
    for layer in body:
        if layer.kind == "conv":
            conv += 1
            x = K.layers.Conv2D(layer.number, layer.size, layer.stride, "same", activation="relu",
                                kernel_initializer=initializer(init, "he_normal"),
                                name=f"conv{stage}_{conv}")(x)  # fmt: skip
        elif layer.kind == "pool":
            x = K.layers.MaxPooling2D(layer.size, layer.stride, name=f"pool{stage}")(x)
            stage, conv = stage + 1, 0
        else:
            if not include_top:
                break
            if fc == 0:
                x = K.layers.Flatten(name="flatten")(x)
            fc += 1
            dense_init = initializer(init, "he_normal")
            x = K.layers.Dense(
                layer.number, activation="relu", kernel_initializer=dense_init, name=f"fc{fc}"
            )(x)
    if not include_top:  # keras.applications' convention: the last map, or its global pool
        if pooling is not None:
            pool = K.layers.GlobalAveragePooling2D if pooling == "avg" else K.layers.GlobalMaxPooling2D
            x = pool(name=f"{pooling}_pool")(x)
        return K.Model(inputs, x, name="pattern")
    if fc == 0:
        x = K.layers.Flatten(name="flatten")(x)
    classifier_init = initializer(init, "glorot_uniform") if init != "he" else "glorot_uniform"
    outputs = predictions(K, classifier.number, classifier_activation, classifier_init)(x)
    return K.Model(inputs, outputs, name="pattern")


ARCHITECTURES = (
    Architecture(
        "pattern",
        pattern_net,
        {},
        paper=f"The lectures' pattern {LECTURE} (CS231n), here {DEFAULT}",
        input_shape=(32, 32, 3),
        num_classes=10,
        task="CIFAR-10",
        training_examples=50_000,
        small_options={"num_classes": 10, "filters": 8, "fc_units": 32},
    ),
)
