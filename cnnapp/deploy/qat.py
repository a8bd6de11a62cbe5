"""Quantization-aware training on the tf_keras twin, with the layers tfmot's default scheme does not know.

tfmot's default 8-bit registry covers the standard layers (Conv2D, Dense, pooling, Concatenate,
BatchNorm, ...). Five of ours are not in it: the input `Normalization`, the export's RGB→grey front
`RgbToGrey`, AlexNet's `LocalResponseNormalization`, LeNet-5's `ScaledTanh` and the CIFAR ResNets' option-A
`ShortcutA`. They have no weights and are built from ops with
int8 kernels, so they take `OutputQuantizeConfig`: fake-quantize the output, leaving the converter to
quantize the ops inside with the ranges on either side.
"""

from __future__ import annotations

import functools

from cnnapp.deploy.optimize import _clone_wrapping, _compile, _steps, require_tf_keras
from cnnapp.deploy.xnnpack import pools_as_depthwise
from cnnapp.errors import CnnappError

# Layers that take OutputQuantizeConfig: weight-free, built from ops that have int8 kernels.
_OUTPUT_ONLY = (
    "Normalization", "LocalResponseNormalization", "ScaledTanh", "ShortcutA", "Rescaling", "RgbToGrey",
)  # fmt: skip


@functools.cache
def output_quantize_config():
    """The QuantizeConfig class for weight-free layers: a moving-average 8-bit quantizer on the output."""
    import tensorflow_model_optimization as tfmot

    class OutputQuantizeConfig(tfmot.quantization.keras.QuantizeConfig):
        def get_weights_and_quantizers(self, layer):
            return []

        def get_activations_and_quantizers(self, layer):
            return []

        def set_quantize_weights(self, layer, quantize_weights):
            pass

        def set_quantize_activations(self, layer, quantize_activations):
            pass

        def get_output_quantizers(self, layer):
            return [
                tfmot.quantization.keras.quantizers.MovingAverageQuantizer(
                    num_bits=8, per_axis=False, symmetric=False, narrow_range=False
                )
            ]

        def get_config(self):
            return {}

    return OutputQuantizeConfig


def quantize_aware(twin, scheme: str = "default"):
    """Annotate every layer of tf_keras `twin` and apply quantization: the model gains fake-quant nodes.

    Args:
        twin: a trained tf_keras model (possibly pruned or clustered and stripped).
        scheme: "default" (8-bit), "prune" (keeps the zeros of a pruned model: PQAT) or "cluster" (keeps the
            shared values of a clustered model: CQAT).

    Raises:
        CnnappError: naming a layer that neither tfmot nor cnnapp knows how to quantize.
    """
    import tensorflow_model_optimization as tfmot

    require_tf_keras(twin)
    twin = pools_as_depthwise(twin)  # as int8 conversions do: XNNPACK has no int8 average pool
    qk = tfmot.quantization.keras
    registry = qk.default_8bit.Default8BitQuantizeRegistry()
    config_class = output_quantize_config()

    def annotate(layer):
        kind = type(layer).__name__
        if kind == "InputLayer":
            return layer
        if kind in _OUTPUT_ONLY:
            return qk.quantize_annotate_layer(layer, quantize_config=config_class())
        # Batch norm is not in the registry because tfmot folds it into the conv before it (its layout
        # transforms run inside quantize_apply), so it is annotated and left to them.
        if registry.supports(layer) or kind == "BatchNormalization":
            return qk.quantize_annotate_layer(layer)
        raise CnnappError(
            f"layer {layer.name!r} ({kind}) has no quantization config: give it a "
            f"tfmot QuantizeConfig in cnnapp/deploy/qat.py or use a post-training mode (--mode int8)"
        )

    annotated = _clone_wrapping(twin, annotate)
    schemes = {
        "default": qk.default_8bit.Default8BitQuantizeScheme,
        "prune": tfmot.experimental.combine.Default8BitPrunePreserveQuantizeScheme,
        "cluster": tfmot.experimental.combine.Default8BitClusterPreserveQuantizeScheme,
    }
    scope = {"OutputQuantizeConfig": config_class, **_custom_layers()}
    with qk.quantize_scope(scope):
        return qk.quantize_apply(annotated, schemes[scheme]())


def _custom_layers() -> dict:
    import tf_keras

    from cnnapp.deploy.front import grey_front_layer
    from cnnapp.models import layers, resnet

    return {
        "RgbToGrey": grey_front_layer(tf_keras),
        "LocalResponseNormalization": layers.lrn_layer(tf_keras),
        "ScaledTanh": layers.scaled_tanh_layer(tf_keras),
        "ShortcutA": resnet.shortcut_a_layer(tf_keras),
    }


def qat(twin, data, epochs: int, learning_rate: float = 1e-5, scheme: str = "default"):
    """Quantization-aware fine-tuning: annotate, apply, train `epochs` on `data`; returns the QAT model."""
    _steps(data)
    model = quantize_aware(twin, scheme)
    calibrate_ranges(model, twin, next(iter(data))[0])
    _compile(model, learning_rate)
    if epochs > 0:
        model.fit(data, epochs=epochs, verbose=0, shuffle=False)  # a tf.data pipeline
    _pin_input_range(model)
    return model


def _pin_input_range(model, low: float = 0.0, high: float = 255.0) -> None:
    """Set the input quantizer's range to the pixel range [0, 255].

    Its moving-average range is still drifting from its initial value after a few epochs; if it differs from
    the converter's calibrated input scale, int8 needs a float DEQUANTIZE/QUANTIZE pair at the input.
    (tfmot's `fix_input_output_range` does this too, but rebuilds the model and loses the trained weights.)
    """
    for layer in model.layers:
        if type(layer).__name__ == "QuantizeLayer":
            for var in layer.weights:
                if var.name.split("/")[-1].split(":")[0].endswith("_min"):
                    var.assign(low)
                elif var.name.split("/")[-1].split(":")[0].endswith("_max"):
                    var.assign(high)


def fake_quant_layers(model) -> list[str]:
    """Names of the layers carrying quantizers (QuantizeWrapper, QuantizeLayer): proof QAT changed it."""
    return [layer.name for layer in model.layers if type(layer).__name__.startswith("Quantize")]


def calibrate_ranges(model, twin, images) -> None:
    """Start every activation range at the float model's observed min/max on `images`.

    tfmot's moving-average quantizers start at [-6, 6] and move with decay 0.999, so after the few hundred
    steps of a short fine-tuning a ReLU range of, say, [0, 40] is still clipped (measured on the quarter-width
    GoogLeNet: 182 of 360 digits wrong before training, 69 after an epoch). Starting from the observed ranges
    is what post-training calibration does; fine-tuning then adapts the weights to them.
    """
    import tf_keras as K

    layers = [layer for layer in twin.layers if type(layer).__name__ != "InputLayer"]
    dense = [layer for layer in layers if type(layer).__name__ == "Dense"]
    probe = K.Model(twin.inputs, [layer.output for layer in layers] + [layer.input for layer in dense])
    values = [v.numpy() for v in probe(images, training=False)]
    ranges = {layer.name: {"post": values[i]} for i, layer in enumerate(layers)}
    for layer, x in zip(dense, values[len(layers) :], strict=True):  # softmax quantizes its logits
        kernel, *bias = layer.get_weights()
        ranges[layer.name]["pre"] = x @ kernel + (bias[0] if bias else 0.0)
    for layer in model.layers:
        inner = getattr(layer, "layer", None)
        if inner is None or inner.name not in ranges:
            continue
        for var in layer.weights:
            short = var.name.split("/")[-1].split(":")[0]
            kind, _, end = short.rpartition("_")
            source = {"post_activation": "post", "output": "post", "pre_activation": "pre"}.get(kind)
            if source is None or end not in ("min", "max") or source not in ranges[inner.name]:
                continue
            value = ranges[inner.name][source]
            var.assign(min(float(value.min()), 0.0) if end == "min" else max(float(value.max()), 0.0))
