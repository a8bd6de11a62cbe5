"""The zoo under JAX with TensorFlow made unimportable, as a process: `python jax_worker.py DIR NAME ...`.

Run with KERAS_BACKEND=jax (Keras picks its backend at import). For every NAME, DIR holds what the TensorFlow
side wrote: `NAME.weights.h5` (a small build's weights, and the same as `NAME.weights.npz`), `NAME.x.npy` (a
batch) and `NAME.labels.npy`. This process builds the same small model, loads those weights (checking they
arrive exactly), predicts the batch (`NAME.jax.y.npy`), trains one
step with `fit` and writes the weights and predictions after it (`NAME.jax.weights.h5`, `NAME.jax.fit.y.npy`)
for the TensorFlow side to load, audits the model, and prints one JSON line with what it saw.
"""

import importlib.abc
import json
import sys
import time


class _NoTensorFlow(importlib.abc.MetaPathFinder):
    """Makes `import tensorflow` (and tf_keras, which imports it) fail, as on a machine without it."""

    attempts: list[str] = []

    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("tensorflow", "tf_keras"):
            self.attempts.append(name)
            raise ImportError(f"{name} is not installed here (blocked by the test)")
        return None


def main(argv):
    directory, *names = argv
    sys.meta_path.insert(0, _NoTensorFlow())
    start = time.perf_counter()
    import keras
    import numpy as np

    from cnnapp import audit, models

    report = {"backend": keras.backend.backend(), "import_s": time.perf_counter() - start, "models": {}}
    for name in names:
        began = time.perf_counter()
        path = f"{directory}/{name}"
        model = _build(name, models, audit)
        model.load_weights(f"{path}.weights.h5")
        saved = np.load(f"{path}.weights.npz")
        loaded_exactly = all(
            np.array_equal(np.asarray(w), saved[f"w{i}"]) for i, w in enumerate(model.weights)
        ) and len(saved.files) == len(model.weights)
        x, labels = np.load(f"{path}.x.npy"), np.load(f"{path}.labels.npy")
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
        np.save(f"{path}.jax.y.npy", _main_output(model.predict(x, batch_size=len(x), verbose=0)))
        before = [np.array(w) for w in model.trainable_weights]
        targets = [labels] * len(model.outputs) if len(model.outputs) > 1 else labels
        loss = model.fit(x, targets, batch_size=len(x), epochs=1, verbose=0).history["loss"][-1]
        after = [np.array(w) for w in model.trainable_weights]
        changed = sum(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))
        model.save_weights(f"{path}.jax.weights.h5")
        np.save(f"{path}.jax.fit.y.npy", _main_output(model.predict(x, batch_size=len(x), verbose=0)))
        totals = audit.audit_model(model).totals
        report["models"][name] = {
            "loaded_exactly": bool(loaded_exactly),
            "loss": float(loss),
            "weights_changed": changed,
            "weights": len(before),
            "audit": {"params": totals.params, "macs": totals.macs},
            "seconds": time.perf_counter() - began,
        }
    report["tensorflow_import_attempts"] = sorted(set(_NoTensorFlow.attempts))
    report["tensorflow_loaded"] = "tensorflow" in sys.modules
    report["cpu_s"] = time.process_time()
    print(json.dumps(report))


def _build(name, models, audit):
    """A small build. LeNet's builders draw from cnnapp's own initializers (the ±2.4/F uniform, the partial
    table's per-fan-in kernels), so they are built for real, on JAX; every other model draws only from Keras's
    own initializers, whose values TensorFlow's weights replace at once, and is built with shapes only:
    drawing them eagerly on JAX compiles one small kernel per weight shape (18 s for the small GoogLeNet)."""
    import keras

    keras.utils.set_random_seed(0)
    options = models.get(name).small_options
    if name.startswith("lenet"):
        return models.build(name, **options)
    with audit.shapes_only():
        return models.build(name, **options)


def _main_output(outputs):
    return outputs[0] if isinstance(outputs, list | tuple) else outputs


if __name__ == "__main__":
    main(sys.argv[1:])
