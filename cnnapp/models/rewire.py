"""One layer put between a functional model's input and the layers that read it, by rewiring its config.

`get_config`/`from_config` are public API in keras and tf_keras alike, and the result stays one flat graph
that tfmot can quantize or prune layer by layer. The run's `normalization` layer (`cnnapp.runs`) and the
export's RGB→grey front (`cnnapp.deploy.front`) are put in this way.
"""

from __future__ import annotations

import copy


def input_name(config: dict) -> str:
    """The name of the one input layer of a functional model's config."""
    inputs = config["input_layers"]  # Keras 3: [name, 0, 0] for one input; tf_keras: [[name, 0, 0]]
    if isinstance(inputs[0], list | tuple):
        if len(inputs) != 1:
            raise ValueError("a single-input model is needed")
        inputs = inputs[0]
    return inputs[0]


def insert_after_input(config: dict, entry: dict, after: str | None = None) -> None:
    """Put the serialized layer `entry` (with its "name") right after the input layer (or the layer `after`),
    in place: it reads that layer, and every layer that read it reads `entry` instead."""
    image = after or input_name(config)
    consumers = [c for c in config["layers"] if _references(c["inbound_nodes"], image)]
    if not consumers:
        raise ValueError("the model's input feeds no layer")
    entry["inbound_nodes"] = copy.deepcopy(consumers[0]["inbound_nodes"][:1])
    for consumer in consumers:
        consumer["inbound_nodes"] = _rename(consumer["inbound_nodes"], image, entry["name"])
    position = next(i for i, c in enumerate(config["layers"]) if c["name"] == image) + 1
    config["layers"].insert(position, entry)


def with_normalization(model, mean, std, keras_module=None):
    """A copy of functional `model` (fresh weights) whose input first passes a `normalization` layer.

    (x − mean) / std per channel, in float32 whatever the dtype policy. Done by rewiring the model's config —
    public API in both keras and tf_keras — so the result stays one flat graph.
    """
    from cnnapp.models.common import resolve_keras

    K = resolve_keras(keras_module)
    config = copy.deepcopy(model.get_config())
    layer = K.layers.Normalization(
        axis=-1,
        mean=list(map(float, mean)),
        variance=[float(s) ** 2 for s in std],
        dtype="float32",
        name="normalization",
    )
    entry = dict(K.layers.serialize(layer))
    entry["name"] = "normalization"
    insert_after_input(config, entry)
    return K.Model.from_config(config)


# out_j = in_(2 - j): the kernel of a 1×1 conv that reverses the channel order, (1, 1, in, out).
_REVERSE_CHANNELS = [[[[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]]]


def with_channel_flip(model, keras_module=None):
    """A copy of functional `model` (fresh weights) with `rgb_to_bgr` right after its `normalization` layer.

    A fixed, non-trainable 1×1 conv (a standard layer: it saves, converts and quantizes like any other) that
    reverses the channel order, for weights trained on BGR images (Caffe's, keras.applications' VGG16, VGG19,
    ResNet50): the model still takes RGB pixels, as every export does.
    """
    from cnnapp.models.common import resolve_keras

    K = resolve_keras(keras_module)
    config = copy.deepcopy(model.get_config())
    layer = K.layers.Conv2D(
        3,
        1,
        use_bias=False,
        trainable=False,
        kernel_initializer=K.initializers.Constant(_REVERSE_CHANNELS),
        dtype="float32",
        name="rgb_to_bgr",
    )
    entry = dict(K.layers.serialize(layer))
    entry["name"] = "rgb_to_bgr"
    insert_after_input(config, entry, after="normalization")
    return K.Model.from_config(config)


# Inbound nodes name the layer they read: Keras 3 as {"keras_history": [name, node, tensor]}, tf_keras as
# [name, node, tensor, {kwargs}].
def _is_ref(node, name) -> bool:
    return isinstance(node, list | tuple) and len(node) == 4 and node[0] == name and isinstance(node[3], dict)


def _references(nodes, name) -> bool:
    if isinstance(nodes, dict):
        history = nodes.get("keras_history")
        if isinstance(history, list | tuple) and history and history[0] == name:
            return True
        return any(_references(v, name) for v in nodes.values())
    if isinstance(nodes, list | tuple):
        return _is_ref(nodes, name) or any(_references(v, name) for v in nodes)
    return False


def _rename(nodes, old, new):
    if isinstance(nodes, dict):
        out = {k: _rename(v, old, new) for k, v in nodes.items()}
        history = out.get("keras_history")
        if isinstance(history, list | tuple) and history and history[0] == old:
            out["keras_history"] = [new, *history[1:]]
        return out
    if isinstance(nodes, list | tuple):
        if _is_ref(nodes, old):
            return [new, *nodes[1:]]
        return [_rename(v, old, new) for v in nodes]
    return nodes
