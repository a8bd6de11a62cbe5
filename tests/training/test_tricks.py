"""The tricks' training-side pieces: EMA, top-k checkpoints, calibration, AdamW, and the modern recipes
being their paper recipes plus tricks only (smoothing, soft targets: tasks/test_classification.py)."""

import keras
import numpy as np
import pytest

from cnnapp import compat, evaluation, recipes
from cnnapp.recipes import load_recipe
from cnnapp.runs import RunDir
from cnnapp.training import ablation, tricks
from cnnapp.training.optimizers import make_optimizer


def test_ema_tracks_the_weights_with_its_momentum():
    cfg = load_recipe(
        "lenet5-digits", ["optimizer.ema=true", "optimizer.ema_momentum=0.5", "optimizer.momentum=0"]
    )
    optimizer = make_optimizer(cfg.optimizer, 0.1)
    weight = keras.Variable(np.array([1.0, -2.0], "float32"))
    optimizer.build([weight])
    average, values = None, []
    for step in range(4):
        optimizer.apply([keras.ops.ones(2)], [weight])
        values.append(weight.numpy().copy())
        average = values[0] if step == 0 else 0.5 * average + 0.5 * values[-1]
    _, averages = compat.ema_slots(optimizer)
    np.testing.assert_allclose(averages[0].numpy(), average, rtol=1e-6)
    assert not np.allclose(average, values[-1]), "the average lags the weights"


def test_adamw_decays_kernels_not_biases():
    cfg = load_recipe(
        "lenet5-digits", ["optimizer.name=adamw", "optimizer.decoupled_weight_decay=0.5"]
    ).optimizer
    optimizer = make_optimizer(cfg, 0.1)
    kernel, bias = (
        keras.Variable(np.ones(2, "float32"), name="kernel"),
        keras.Variable(np.ones(2, "float32"), name="bias"),
    )
    optimizer.build([kernel, bias])
    optimizer.apply([keras.ops.zeros(2), keras.ops.zeros(2)], [kernel, bias])  # no gradient: decay only
    assert isinstance(optimizer, keras.optimizers.AdamW)
    np.testing.assert_allclose(kernel.numpy(), 1 - 0.1 * 0.5, rtol=1e-6)
    np.testing.assert_array_equal(bias.numpy(), 1.0)


def test_top_checkpoints_keep_the_k_best_and_delete_the_rest(tmp_path):
    run = RunDir(tmp_path)
    run.checkpoints_dir.mkdir(parents=True)
    top = tricks.TopCheckpoints(run, 2)

    def save(which):
        run.checkpoint_file(which).write_text(which)

    for epoch, error in enumerate([0.3, 0.2, 0.25, 0.2, 0.1], start=1):
        top.update(epoch, error, 1.0, save)
    assert [e[2] for e in top.kept] == [5, 2]  # 0.1, then the first of the two 0.2s
    assert sorted(p.stem for p in run.checkpoints_dir.iterdir()) == ["top-0002", "top-0005"]
    again = tricks.TopCheckpoints(run, 2)
    again.restore(top.state())
    assert again.kept == top.kept and again.report()[0]["checkpoint"] == "checkpoints/top-0005.keras"


def test_ece_is_zero_when_confidence_is_accuracy_and_the_gap_otherwise():
    calibrated = np.array([[0.75, 0.25]] * 4)
    assert evaluation.expected_calibration_error(calibrated, np.array([0, 0, 0, 1])) == pytest.approx(0.0)
    confident = np.array([[0.99, 0.01]] * 4)
    assert evaluation.expected_calibration_error(confident, np.array([0, 0, 1, 1])) == pytest.approx(0.49)


MODERN = [n for n in recipes.names() if n.endswith("-modern")]
TRICK_KEYS = {"train.label_smoothing", "train.keep_top_k", "optimizer.ema", "optimizer.ema_momentum",
              "schedule.name", "schedule.warmup", "model.options"}  # fmt: skip


@pytest.mark.parametrize("name", MODERN)
def test_a_modern_recipe_is_its_paper_recipe_plus_tricks_only(name):
    base = recipes.base_of(name)
    assert base and not base.endswith("-modern")
    mine, paper = load_recipe(name).to_dict(), load_recipe(base).to_dict()
    changed = {
        f"{s}.{k}" for s in mine if isinstance(mine[s], dict) for k in mine[s] if mine[s][k] != paper[s][k]
    }
    changed = {key for key in changed if not key.startswith("batch_augment.")}
    assert changed <= TRICK_KEYS, changed - TRICK_KEYS
    assert mine["model"]["options"].keys() - paper["model"]["options"].keys() <= {"stochastic_depth"}
    assert load_recipe(base).batch_augment == recipes.BatchAugmentSection(), "paper recipes have none"


def test_recipe_bases_merge_tables_and_refuse_loops(tmp_path):
    (tmp_path / "a.toml").write_text('base = "lenet5-digits"\n[train]\nlabel_smoothing = 0.2\n')
    recipe = load_recipe(tmp_path / "a.toml")
    assert recipe.name == "a" and recipe.train.label_smoothing == 0.2 and recipe.train.holdout == 0.1
    (tmp_path / "b.toml").write_text(f'base = "{tmp_path / "c.toml"}"\n')
    (tmp_path / "c.toml").write_text(f'base = "{tmp_path / "b.toml"}"\n')
    with pytest.raises(recipes.CnnappError, match="leads back to itself"):
        load_recipe(tmp_path / "b.toml")


def test_ablation_rows_turn_each_trick_off_against_the_paper():
    rows = ablation.variants("lenet5-digits-modern", ["mixup", "cosine", "adamw"], [])
    assert rows["-mixup"] == ("lenet5-digits-modern", ["batch_augment.mixup_alpha=0.0"])
    assert rows["-cosine"][1] == ['schedule.name="plateau"', "schedule.warmup=0.0"]
    assert rows["+adamw"][1][0] == 'optimizer.name="adamw"'
    assert rows["paper"] == ("lenet5-digits", [])
    with pytest.raises(recipes.CnnappError, match="unknown trick"):
        ablation.variants("lenet5-digits-modern", ["dropblock"], [])


def test_ablate_none_compares_the_recipe_with_its_paper_recipe_only():
    rows = ablation.variants("resnet20-digits-modern", [], [])
    assert rows == {"recipe": ("resnet20-digits-modern", []), "paper": ("resnet20-digits", [])}
    with pytest.raises(recipes.CnnappError, match="no paper recipe"):
        ablation.variants("resnet20-digits", [], [])


def test_augmix_replaces_randaugment_where_the_recipe_has_it():
    """AugMix and RandAugment are alternatives (a recipe refuses both): the row swaps one for the other."""
    modern = ablation.variants("lenet5-digits-modern", ["augmix"], [])["+augmix"][1]
    on = ["batch_augment.augmix=true", "batch_augment.augmix_factor=0.1"]
    assert modern == [*on, "batch_augment.randaugment_ops=0"]
    assert load_recipe("lenet5-digits-modern", modern).batch_augment.augmix
    assert ablation._label("+augmix", modern) == "with augmix instead of randaugment"
    paper = ablation.variants("lenet5-digits", ["augmix"], [])["+augmix"][1]
    assert paper == on and ablation._label("+augmix", paper) == "with augmix"
