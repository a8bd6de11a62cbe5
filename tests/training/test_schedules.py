"""Fast tier: the learning-rate schedules of a recipe — step, cosine, warm-up, and the plateau cut."""

import pytest
import tensorflow as tf

from cnnapp.recipes import load_recipe
from cnnapp.training.schedules import PlateauCut, RecipeSchedule


def schedule(recipe_overrides, steps=10, epochs=10):
    recipe = load_recipe("lenet5-digits", recipe_overrides + [f"train.epochs={epochs}"])
    return RecipeSchedule(recipe.optimizer.lr, recipe.schedule, steps, steps * epochs)


def test_step_cosine_and_warmup_schedules():
    s = schedule(["schedule.name=step", "schedule.step_size=3", "schedule.factor=0.5", "optimizer.lr=0.1"])
    assert [round(float(s(e * 10)), 6) for e in (0, 2, 3, 6)] == [0.1, 0.1, 0.05, 0.025]
    s = schedule(
        ["schedule.name=step", 'schedule.unit="steps"', "schedule.boundaries=[32, 48]", "optimizer.lr=0.1"]
    )
    assert [round(float(s(i)), 6) for i in (31, 32, 47, 48)] == [0.1, 0.01, 0.01, 0.001]
    s = schedule(["schedule.name=cosine", "optimizer.lr=0.1"])
    assert [float(s(i)) for i in (0, 50, 100)] == pytest.approx([0.1, 0.05, 0.0], rel=1e-6, abs=1e-8)
    s = schedule(["schedule.name=constant", "schedule.warmup=2", "optimizer.lr=0.1"])
    assert [float(s(i)) for i in (0, 10, 20)] == pytest.approx([0.001, 0.0505, 0.1], rel=1e-6)


def test_plateau_divides_by_10_after_patience_at_most_max_cuts_times():
    s = schedule(["schedule.name=plateau", "schedule.patience=2", "schedule.max_cuts=2", "optimizer.lr=0.1"])
    cut = PlateauCut(s)
    cut.set_model(type("M", (), {"optimizer": type("O", (), {"iterations": tf.constant(5)})()})())
    errors = [0.5, 0.4, 0.4, 0.45, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]
    scales = []
    for epoch, error in enumerate(errors):
        cut.on_epoch_end(epoch, {"val_accuracy": 1 - error})
        scales.append(round(float(s.scale.numpy()), 6))
    assert scales == [1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01]
    assert float(s(100)) == pytest.approx(0.001, rel=1e-6)
    state = cut.state()
    assert state["cuts"] == 2 and state["best"] == pytest.approx(0.3)
    other = PlateauCut(schedule(["schedule.name=plateau"]))
    other.restore(state)
    assert other.state() == state and float(other.schedule.scale.numpy()) == pytest.approx(0.01)
