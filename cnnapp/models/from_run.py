"""A run's model graph around its architecture: raw pixels → `normalization` (→ `rgb_to_bgr`) → the network.

    model = from_run(meta, architecture, keras)   # architecture: the task's builder output (cnnapp.tasks)

One flat functional graph (no nested model), so tfmot can quantize or prune it layer by layer. Which network
is built (a classifier, a segmenter) is the run's task's choice (`cnnapp.tasks.build_model`); the rewiring is
the same for every task and lives here, with the zoo.
"""

from __future__ import annotations

from cnnapp.models import rewire
from cnnapp.models.registry import inference_model


def from_run(meta: dict, architecture, keras_module, *, training: bool = False, keep_weights: bool = False):
    """`architecture` (built for `meta`'s input shape and classes) behind the run's normalization.

    Args:
        meta: a run's run.json as a dict (`RunMeta.to_dict()`): `normalization`, optional `channel_order`.
        architecture: the freshly built network (its builder may have loaded weights: a backbone).
        keras_module: keras or tf_keras, the one `architecture` was built with.
        training: keep training-only heads (GoogLeNet's auxiliary classifiers); the default is the inference
            model, whose weights a saved checkpoint's `get_weights()` fits.
        keep_weights: copy the builder's weights across the rewiring (which starts afresh): a builder that
            loads a backbone's weights asks for it.
    """
    norm = meta["normalization"]
    model = rewire.with_normalization(architecture, norm["mean"], norm["std"], keras_module)
    if meta.get("channel_order") == "bgr":  # weights trained on BGR images (cnnapp.training.transfer)
        model = rewire.with_channel_flip(model, keras_module)
    if keep_weights:
        for layer in architecture.layers:
            if layer.weights:
                model.get_layer(layer.name).set_weights(layer.get_weights())
    return model if training else inference_model(model)
