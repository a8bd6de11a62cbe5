"""Fast tier: the optimizer a recipe names, and L2 weight decay coupled with momentum as the papers say."""

import keras
import numpy as np

from cnnapp.recipes import load_recipe
from cnnapp.training.optimizers import add_weight_decay, make_optimizer


def test_l2_decay_is_coupled_with_momentum():
    """One SGD step with the L2 term equals the paper's v ← m·v − λ·ε·w − ε·∂L/∂w, w ← w + v."""
    recipe = load_recipe("alexnet-cifar10", ["optimizer.weight_decay=0.1", "optimizer.lr=0.5"])
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, use_bias=False, name="fc")])
    assert add_weight_decay(model, 0.1) == 1
    model.compile(make_optimizer(recipe.optimizer, 0.5), loss="mse")
    w0 = model.get_weights()[0].copy()
    x, y = np.ones((1, 3), "float32"), np.zeros((1, 2), "float32")
    model.train_on_batch(x, y)
    grad = 2 * (x.T @ (x @ w0)) / 2  # d/dw mean((xw)²) over 2 outputs
    np.testing.assert_allclose(model.get_weights()[0], w0 - 0.5 * (grad + 0.1 * w0), rtol=1e-5)
