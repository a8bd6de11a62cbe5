"""Quantization-aware training, pruning and weight clustering with tensorflow-model-optimization.

tfmot 0.8 accepts only Keras 2 models, so everything here works on the `tf_keras` twin of the trained Keras 3
model (same builder, `keras_module=tf_keras`, weights copied with `set_weights`). Each function fine-tunes
for a few epochs on the recipe's data and returns a tf_keras model ready for the converter: pruned and
clustered models are stripped of their wrappers, the QAT model keeps its fake-quant nodes (the converter reads
their ranges).
"""

from __future__ import annotations

import numpy as np

from cnnapp.errors import CnnappError

# Layers whose kernels are pruned and clustered: they hold (nearly) all the parameters.
_WEIGHTED = ("Conv2D", "Dense", "DepthwiseConv2D")


def require_tf_keras(model) -> None:
    """tfmot works on tf_keras (Keras 2) models only: anything else is a clear error, not a deep traceback."""
    module = type(model).__module__
    if not module.startswith("tf_keras"):
        raise CnnappError(
            f"tensorflow-model-optimization takes tf_keras models, got a {type(model).__name__} "
            f"from {module.split('.')[0]}"
            f": build the twin with cnnapp.runs.build_model(meta, tf_keras) and copy the weights "
            "with set_weights"
        )


def make_twin(model, build_twin) -> object:
    """The tf_keras twin of Keras 3 `model`: `build_twin()` builds the same graph, then weights are copied."""
    twin = build_twin()
    require_tf_keras(twin)
    ours, theirs = model.get_weights(), twin.get_weights()
    if [w.shape for w in ours] != [w.shape for w in theirs]:
        raise CnnappError(
            f"the tf_keras twin of {model.name} has different weights: rebuild it from the run's run.json"
        )
    twin.set_weights(ours)
    return twin


def _compile(model, learning_rate: float) -> None:
    import tf_keras as K

    model.compile(
        optimizer=K.optimizers.Adam(learning_rate),
        loss=K.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )


def _steps(data) -> int:
    import tensorflow as tf

    steps = int(data.cardinality())
    if steps <= 0 or steps == tf.data.INFINITE_CARDINALITY:
        raise CnnappError("fine-tuning data must be a finite, batched tf.data.Dataset")
    return steps


def _clone_wrapping(model, wrap):
    """Clone `model`, passing each layer (the trained one: the clone keeps its weights) through `wrap`."""
    import tf_keras as K

    return K.models.clone_model(model, clone_function=wrap)


def prune(twin, data, sparsity: float, epochs: int, learning_rate: float = 1e-4):
    """Magnitude pruning of every Conv2D/Dense kernel to `sparsity`, ramped by PolynomialDecay, then stripped.

    The sparsity rises from 0 over the first two thirds of the fine-tuning steps and is held for the rest, so
    the remaining weights recover from the last pruning step.
    """
    import tensorflow_model_optimization as tfmot

    require_tf_keras(twin)
    if not 0 < sparsity < 1:
        raise CnnappError(f"--prune takes a sparsity between 0 and 1 (e.g. 0.5); got {sparsity}")
    steps = _steps(data) * max(epochs, 1)
    schedule = tfmot.sparsity.keras.PolynomialDecay(
        initial_sparsity=0.0,
        final_sparsity=sparsity,
        begin_step=0,
        end_step=max(1, (2 * steps) // 3),
        frequency=1,
    )

    def wrap(layer):
        if type(layer).__name__ in _WEIGHTED:
            return tfmot.sparsity.keras.prune_low_magnitude(layer, pruning_schedule=schedule)
        return layer

    pruned = _clone_wrapping(twin, wrap)
    _compile(pruned, learning_rate)
    pruned.fit(
        data,
        epochs=max(epochs, 1),
        verbose=0,
        shuffle=False,  # the data is a tf.data pipeline, shuffled or not by its maker
        callbacks=[tfmot.sparsity.keras.UpdatePruningStep()],
    )
    return tfmot.sparsity.keras.strip_pruning(pruned)


def cluster(twin, data, clusters: int, epochs: int, learning_rate: float = 1e-5):
    """Weight clustering of each Conv2D/Dense kernel into `clusters` shared values, fine-tuned, stripped."""
    import tensorflow_model_optimization as tfmot

    require_tf_keras(twin)
    if clusters < 2:
        raise CnnappError(f"--cluster takes a number of clusters of at least 2 (e.g. 16); got {clusters}")
    params = {
        "number_of_clusters": int(clusters),
        "cluster_centroids_init": tfmot.clustering.keras.CentroidInitialization.KMEANS_PLUS_PLUS,
    }

    def wrap(layer):
        if type(layer).__name__ in _WEIGHTED:
            return tfmot.clustering.keras.cluster_weights(layer, **params)
        return layer

    clustered = _clone_wrapping(twin, wrap)
    _compile(clustered, learning_rate)
    if epochs > 0:
        clustered.fit(data, epochs=epochs, verbose=0, shuffle=False)  # a tf.data pipeline
    return tfmot.clustering.keras.strip_clustering(clustered)


def weight_stats(model) -> dict:
    """Sparsity and distinct values of the Conv2D/Dense kernels: what pruning and clustering should change."""
    kernels = [
        layer.get_weights()[0]
        for layer in model.layers
        if type(layer).__name__ in _WEIGHTED and layer.get_weights()
    ]
    if not kernels:
        return {"kernel_weights": 0, "zero_fraction": 0.0, "max_distinct_per_kernel": 0}
    total = sum(k.size for k in kernels)
    zeros = sum(int(np.sum(k == 0)) for k in kernels)
    return {
        "kernel_weights": int(total),
        "zero_fraction": zeros / total,
        "max_distinct_per_kernel": int(max(len(np.unique(k)) for k in kernels)),
    }
