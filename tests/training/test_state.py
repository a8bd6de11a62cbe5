"""What a run keeps between epochs (`training.state`): best and last checkpoints chosen by validation error
(then loss), the resume state round-trip and its refusals, Polyak averages swapped in and out exactly, and
the epoch clock."""

import json

import keras
import numpy as np
import pytest

from cnnapp.errors import CnnappError
from cnnapp.runs import RunDir
from cnnapp.training import state


def compiled(ema=False):
    x = keras.Input((3,), name="image")
    model = keras.Model(x, keras.layers.Dense(2, activation="softmax", name="predictions")(x))
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9, use_ema=ema), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    return model


def one_step(model):
    model.fit(np.ones((4, 3), "float32"), np.array([0, 1, 0, 1]), epochs=1, verbose=0)


class Plateau:
    def state(self):
        return {"best": 0.5, "wait": 1, "cuts": 0, "scale": 1.0}


def checkpointer(tmp_path, model, **kwargs):
    run = RunDir(tmp_path)
    run.checkpoints_dir.mkdir(parents=True)
    callback = state.RunCheckpoint(run, model, Plateau(), state.EpochClock(4), **kwargs)
    callback.set_model(model)
    return run, callback


def test_best_follows_the_error_then_the_loss_and_last_is_every_epoch(tmp_path):
    model = compiled()
    one_step(model)
    run, callback = checkpointer(tmp_path, model, fingerprint="abc")
    callback.on_epoch_end(0, {"val_accuracy": 0.8, "val_loss": 0.6})
    best_time = run.checkpoint_file("best").stat().st_mtime_ns
    callback.on_epoch_end(1, {"val_accuracy": 0.7, "val_loss": 0.1})  # worse error: not best
    assert (callback.best_epoch, callback.best) == (1, pytest.approx(0.2))
    assert run.checkpoint_file("best").stat().st_mtime_ns == best_time
    callback.on_epoch_end(2, {"val_accuracy": 0.8, "val_loss": 0.3})  # same error, lower loss: best
    assert (callback.best_epoch, callback.best_loss) == (3, 0.3)
    assert run.checkpoint_file("last").is_file()
    with np.load(run.state_file) as data:
        extra = json.loads(str(data["extra"]))
    assert extra["epochs_done"] == 3 and extra["best_epoch"] == 3 and extra["fingerprint"] == "abc"
    assert extra["plateau"] == Plateau().state() and extra["clock"]["images"] == 0


def test_a_worker_that_does_not_save_keeps_the_best_weights_in_memory(tmp_path):
    model = compiled()
    one_step(model)
    run, callback = checkpointer(tmp_path, model)
    callback.save = False
    callback.on_epoch_end(0, {"val_accuracy": 0.9})
    assert callback.best_epoch == 1 and len(callback.best_weights) == 2
    assert not run.state_file.exists() and not any(run.checkpoints_dir.iterdir())


def test_the_resume_state_round_trips_and_refuses_another_runs(tmp_path):
    model = compiled()
    one_step(model)
    path = tmp_path / "resume.npz"
    state.save_state(path, model, model.optimizer, {"epochs_done": 1, "fingerprint": "mine"})
    fresh = compiled()
    extra = state.load_state(path, fresh, fresh.optimizer, fingerprint="mine")
    assert extra["epochs_done"] == 1
    for ours, theirs in zip(fresh.variables + fresh.optimizer.variables,
                            model.variables + model.optimizer.variables, strict=True):  # fmt: skip
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(CnnappError, match="belongs to another run .* start a new run with --out NEW_FOLDER"):
        state.load_state(path, fresh, fresh.optimizer, fingerprint="theirs")


def test_a_state_of_another_model_shape_is_refused(tmp_path):
    model = compiled()
    path = tmp_path / "resume.npz"
    state.save_state(path, model, model.optimizer, {})
    x = keras.Input((3,), name="image")
    other = keras.Model(x, keras.layers.Dense(2)(keras.layers.Dense(4)(x)))
    other.compile("sgd", "mse")
    with pytest.raises(ValueError, match="2 saved model variables, the model has 4"):
        state.load_state(path, other, other.optimizer)


def test_mid_epoch_metrics_are_added_and_a_state_without_them_refused(tmp_path):
    model = compiled()
    one_step(model)
    path = tmp_path / "resume.npz"
    state.save_state(path, model, model.optimizer, {}, model.metrics_variables)
    before = [v.numpy().copy() for v in model.metrics_variables]
    state.add_metric_values(path, model)
    for variable, old in zip(model.metrics_variables, before, strict=True):
        np.testing.assert_allclose(variable.numpy(), 2 * old)
    state.save_state(path, model, model.optimizer, {})
    with pytest.raises(CnnappError, match="holds no running metrics of this model for its stopped epoch"):
        state.add_metric_values(path, model)


def test_averaged_weights_swap_in_and_back_exactly():
    model = compiled(ema=True)
    model.optimizer.build(model.trainable_variables)
    for step in range(3):  # applied by hand: `fit` ends by writing the averages into the weights
        grads = [np.full(v.shape, step + 1.0, "float32") for v in model.trainable_variables]
        model.optimizer.apply(grads, model.trainable_variables)
    own = [v.numpy().copy() for v in model.trainable_variables]
    with state.averaged_weights(model.optimizer):
        inside = [v.numpy().copy() for v in model.trainable_variables]
    assert any(not np.array_equal(a, b) for a, b in zip(inside, own, strict=True))
    for variable, value in zip(model.trainable_variables, own, strict=True):
        np.testing.assert_array_equal(variable.numpy(), value)
    plain = compiled()
    with state.averaged_weights(plain.optimizer):  # no averages: nothing changes
        pass


def test_the_clock_counts_training_time_and_carries_a_stopped_epoch():
    clock = state.EpochClock(images_per_epoch=100)
    clock.restore({"seconds": 10.0, "images": 500, "in_epoch": 2.0})
    clock.on_epoch_begin(0)
    assert clock.in_epoch() >= 2.0
    clock.on_test_begin()
    logs = {}
    clock.on_epoch_end(0, logs)
    assert logs["epoch_seconds"] >= 2.0 and clock.images == 600
    assert logs["images_per_second"] == pytest.approx(100 / logs["epoch_seconds"])
    assert clock.state() == {"seconds": pytest.approx(10.0 + logs["epoch_seconds"]), "images": 600}
