"""Keras graphs rewritten, before an int8 conversion, into ops XNNPACK runs in int8.

LiteRT's CPU delegate (XNNPACK) takes int8 convolutions, fully connected layers, tanh and multiplies, but not
int8 AVERAGE_POOL_2D: each one runs on LiteRT's built-in kernels and cuts the graph into one more delegate
partition, whose entry and exit cost more than a small model's pooling itself. Measured on LeNet-5 (batch 1,
one thread, this 2-core AVX-512 CPU): int8 took 16.6 µs against float32's 12.0 µs with its two pools, in four
delegate partitions; with the pools as depthwise convolutions, 11.7 µs against 11.9 µs, in two.

A 2×2 average pool of stride 2 is a depthwise 2×2 convolution of stride 2 with every weight 1/4 and no bias:
the same numbers in float (0.25 is exact), and in int8 too (per-channel weight scales store 1/4 as 127 ×
0.25/127). Only "valid" pools are rewritten: with "same" padding a pool averages fewer cells at the border,
which constant weights do not.
"""

from __future__ import annotations


def _keras_of(model):
    if type(model).__module__.startswith("tf_keras"):
        import tf_keras

        return tf_keras
    import keras

    return keras


def average_pools(model) -> list:
    """The model's top-level `AveragePooling2D` layers that `pools_as_depthwise` rewrites."""
    K = _keras_of(model)
    return [
        layer
        for layer in model.layers
        if isinstance(layer, K.layers.AveragePooling2D)
        and layer.padding == "valid"
        and getattr(layer, "data_format", "channels_last") == "channels_last"
    ]


def pools_as_depthwise(model):
    """`model` with each valid average pool a constant depthwise convolution of the same window and stride
    (same name, so `--float-layers` and the debug table still find it); `model` itself when it has none.

    The other layers are shared with `model`, weights and all: the copy is for the converter only.
    """
    pools = {id(layer) for layer in average_pools(model)}
    if not pools:
        return model
    K = _keras_of(model)

    def clone(layer):
        if id(layer) not in pools:
            return layer
        rows, cols = layer.pool_size
        return K.layers.DepthwiseConv2D(
            (rows, cols),
            strides=layer.strides,
            padding="valid",
            use_bias=False,
            depthwise_initializer=K.initializers.Constant(1.0 / (rows * cols)),
            trainable=False,
            name=layer.name,
        )

    return K.models.clone_model(model, clone_function=clone)
