"""Fast tier: recipes load, validate, take overrides, and round-trip through the saved TOML."""

import inspect
import tomllib

import pytest

from cnnapp import models, recipes
from cnnapp.errors import CnnappError

NAMES = recipes.names()


@pytest.mark.parametrize("name", NAMES)
def test_every_recipe_loads_and_round_trips(name):
    recipe = recipes.load_recipe(name)
    assert recipe.name == name
    assert recipe.model.architecture in models.names()
    valid = set(models.options(recipe.model.architecture))
    if recipe.model.head:  # a segmenter: its backbone's options and the head's own (build_segmenter)
        valid |= set(inspect.signature(models.build_segmenter).parameters)
    unknown_options = set(recipe.model.options) - valid
    assert not unknown_options, f"{name}: options its builder does not take: {unknown_options}"
    assert recipes.from_dict(tomllib.loads(recipe.to_toml())) == recipe


def test_every_architecture_has_a_recipe_with_its_papers_epochs():
    assert set(models.names()) <= set(NAMES)
    # The papers' numbers (the size audit multiplies by them).
    expected = {
        "alexnet": 90,
        "vgg16": 74,
        "resnet50": 120,
        "resnet20": 182,
        "lenet5": 20,
        "lenet1989": 23,
        "zfnet": 70,
    }
    for name, epochs in expected.items():
        assert recipes.load_recipe(name).train.epochs == epochs, name


def test_alexnet_recipe_is_the_papers():
    r = recipes.load_recipe("alexnet")
    assert (r.optimizer.name, r.optimizer.momentum, r.optimizer.weight_decay, r.optimizer.lr) == (
        "sgd",
        0.9,
        5e-4,
        0.01,
    )
    assert (r.schedule.name, r.schedule.factor, r.schedule.max_cuts, r.train.batch_size) == (
        "plateau",
        0.1,
        3,
        128,
    )
    g = recipes.load_recipe("googlenet")
    assert g.optimizer.ema and (g.schedule.name, g.schedule.factor, g.schedule.step_size) == ("step", 0.96, 8)
    assert (g.data.pipeline.area_min, g.data.pipeline.area_max) == (0.08, 1.0)


def test_overrides_use_toml_values_and_apply_before_freezing():
    r = recipes.load_recipe(
        "alexnet",
        [
            "optimizer.lr=0.05",
            "train.epochs=2",
            'data.augment=["flip"]',
            "optimizer.name=adam",
            "model.options.towers=1",
            "schedule.warmup=1",
        ],
    )
    assert r.optimizer.lr == 0.05 and r.train.epochs == 2 and r.data.pipeline.augment == ("flip",)
    assert r.optimizer.name == "adam" and r.model.options["towers"] == 1 and r.schedule.warmup == 1.0
    with pytest.raises(AttributeError):
        r.optimizer.lr = 1.0  # frozen
    with pytest.raises(TypeError):
        r.model.options["towers"] = 2  # frozen too


@pytest.mark.parametrize(
    "override, message",
    [
        ("foo=1", "unknown section 'foo'"),
        ("foo.bar=1", "unknown section 'foo'; known: model, data, optimizer, schedule, train"),
        ("optimizer.lr=abc", "optimizer.lr must be a float, got 'abc'"),
        ("optimizer.lrate=0.1", "unknown key optimizer.lrate; known keys of [optimizer]: "),
        ("train.epochs=2.5", "train.epochs must be an int, got 2.5"),
        ("train.deterministic=1", "train.deterministic must be a bool"),
        (
            "optimizer.name=adagrad",
            "unknown optimizer 'adagrad'; valid optimizers: adadelta, adam, adamw, rmsprop, sgd",
        ),
        ('data.augment=["cutout"]', "unknown augmentation 'cutout'"),
        ("optimizer.lr", "bad override 'optimizer.lr'; write section.key=value"),
        ("data.image_size=[1]", "data.image_size must be an int"),
    ],
)
def test_bad_overrides_are_one_line_errors(override, message):
    with pytest.raises(CnnappError) as error:
        recipes.load_recipe("lenet5-digits", [override])
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_unknown_recipe_lists_the_valid_ones():
    with pytest.raises(
        CnnappError, match="unknown recipe 'alexnett'; valid recipes: .*alexnet, alexnet-cifar10"
    ):
        recipes.load_recipe("alexnett")


def test_unknown_key_in_a_file_lists_known_keys(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("[train]\nepochs = 3\nbatchsize = 4\n")
    with pytest.raises(
        CnnappError, match=r"unknown key train.batchsize; known keys of \[train\]: .*batch_size"
    ):
        recipes.load_recipe(path)
    path.write_text("[train\n")
    with pytest.raises(CnnappError, match="not valid TOML"):
        recipes.load_recipe(path)


def test_toml_writer_round_trips_awkward_values():
    table = {
        "name": 'a "quoted"\\ name\n',
        "x": {
            "f": 1e-05,
            "i": -3,
            "b": False,
            "l": [[1.0, 2.5], [3.0]],
            "inf": float("inf"),
            "sub": {"k": "v"},
            "empty": {},
        },
    }
    assert tomllib.loads(recipes.dumps_toml(table)) == table


def test_adadelta_takes_the_papers_defaults_unless_the_recipe_sets_them():
    table = {"name": "x", "model": {"architecture": "lenet5"}, "optimizer": {"name": "adadelta"}}
    plain = recipes.from_dict(table).optimizer
    assert (plain.lr, plain.rho, plain.epsilon) == (1.0, 0.95, 1e-6)  # Zeiler 2012; Keras's lr is 0.001
    overrides = ['optimizer.name="adadelta"', "optimizer.rho=0.9"]
    chosen = recipes.load_recipe("lenet5-digits", overrides).optimizer
    assert (chosen.rho, chosen.lr, chosen.epsilon) == (0.9, 0.02, 1e-6)  # the recipe's own lr and rho
