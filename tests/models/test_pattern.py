"""The lectures' pattern INPUT → [[CONV → RELU]*N → POOL?]*M → [FC → RELU]*K → FC as a trainable architecture:
its string is read one way, the network trains a step through the real command, and its audit is the layer
calculator's for the same N, M, K (one expansion in cnnapp.models.pattern)."""

import pytest

from cnnapp import audit, models
from cnnapp.audit import calc
from cnnapp.errors import CnnappError
from cnnapp.models import pattern
from cnnapp.runs import load_run
from cnnapp.train import main


@pytest.mark.parametrize(
    "text, expected",
    [
        ("INPUT -> [[CONV -> RELU]*2 -> POOL]*3 -> [FC -> RELU]*2 -> FC", (2, 3, 2, True)),
        ("input→[[conv→relu]*3]*2→fc", (3, 2, 0, False)),  # no pool, no hidden FC
        ("INPUT -> [[CONV -> RELU] -> POOL] -> [FC -> RELU] -> FC", (1, 1, 1, True)),  # a missing *N is once
        ("INPUT -> [[CONV -> RELU]*0 -> POOL]*2 -> [FC -> RELU]*0 -> FC", (0, 2, 0, True)),
    ],
)
def test_the_lectures_string_is_read(text, expected):
    parsed = pattern.parse(text)
    assert (parsed.n, parsed.m, parsed.k, parsed.pool) == expected
    assert pattern.parse(parsed.text) == parsed


@pytest.mark.parametrize(
    "text, message",
    [
        ("INPUT -> [[CONV -> RELU]*N -> POOL?]*M -> [FC -> RELU]*K -> FC", "with numbers for N, M and K"),
        ("INPUT -> [[CONV -> RELU]*2 -> POOL?]*2 -> FC", "write POOL for a pool after every stage"),
        ("INPUT -> [[CONV -> RELU]*0]*0 -> FC", "the pattern needs"),
        ("CONV -> FC", "is not the lectures'"),
    ],
)
def test_a_pattern_that_is_not_the_lectures_says_what_is(text, message):
    with pytest.raises(CnnappError, match=message):
        pattern.parse(text)


def test_an_input_too_small_for_the_pools_is_an_error():
    with pytest.raises(CnnappError, match="at least 8×8"):
        models.build("pattern", input_shape=(4, 4, 1), pattern="INPUT -> [[CONV -> RELU] -> POOL]*3 -> FC")


@pytest.mark.parametrize("n, m, k", [(1, 2, 1), (2, 3, 2), (3, 1, 0)])
def test_its_audit_is_the_calculators(n, m, k):
    text = pattern.Pattern(n, m, k).text
    model = models.build("pattern", input_shape=(16, 16, 1), pattern=text, filters=8, fc_units=24)
    totals = audit.audit_model(model).totals
    steps = calc.calculate_layers((16, 16, 1), calc.pattern_text(text, filters=8, fc_units=24))
    assert (totals.params, totals.macs) == (sum(s.params for s in steps), sum(s.macs for s in steps))
    assert totals.params == model.count_params()
    convs = [layer for layer in model.layers if layer.name.startswith("conv")]
    assert [c.filters for c in convs] == [8 * 2**stage for stage in range(m) for _ in range(n)]


def test_the_digits_recipe_trains_a_step_through_the_command(tmp_path):
    out = tmp_path / "run"
    overrides = ["train.epochs=1", "train.steps_per_epoch=2", "train.batch_size=8", "data.limit=64"]
    argv = ["--recipe", "pattern-digits", "--out", str(out), "--quiet"]
    assert main(argv + [a for o in overrides for a in ("--set", o)]) == 0
    run = load_run(out)
    assert run.meta["architecture"] == "pattern"
    trained = run.model("last")
    built = models.build("pattern", input_shape=(16, 16, 1), **run.recipe.model.options)
    for layer in built.layers:
        if layer.weights:
            assert trained.get_layer(layer.name).count_params() == layer.count_params(), layer.name
    assert 0.0 <= run.report["top1_accuracy"] <= 1.0
