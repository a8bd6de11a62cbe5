"""Optimizers by name, and the papers' weight decay as an L2 term in the loss.

Weight decay in AlexNet, VGG, GoogLeNet and ResNet is the update v ← m·v − λ·ε·w − ε·∂L/∂w: the gradient of
λ/2·Σw² added to the loss's gradient *before* the momentum step, so it is accumulated in the velocity. Keras's
`weight_decay` argument is the decoupled kind (Loshchilov & Hutter's AdamW), applied outside the momentum,
which the papers did not use. So cnnapp leaves Keras's `weight_decay` off and puts an L2 regularizer λ/2 on
every kernel of the built model; `fit` adds it to the loss.
"""

from __future__ import annotations

import keras

from cnnapp.recipes import OptimizerSection


def make_optimizer(cfg: OptimizerSection, learning_rate) -> keras.optimizers.Optimizer:
    """The Keras optimizer for a recipe's [optimizer], driven by `learning_rate` (a float or a schedule)."""
    common = dict(
        learning_rate=learning_rate,
        use_ema=cfg.ema,
        ema_momentum=cfg.ema_momentum,
        clipnorm=cfg.clipnorm or None,
    )
    if cfg.decoupled_weight_decay:  # Loshchilov & Hutter's decoupled decay (AdamW's), on kernels only
        common["weight_decay"] = cfg.decoupled_weight_decay
    if cfg.name == "adamw":
        optimizer = keras.optimizers.AdamW(
            beta_1=cfg.beta_1, beta_2=cfg.beta_2, epsilon=cfg.epsilon, **{"weight_decay": 0.0, **common}
        )
    elif cfg.name == "sgd":
        optimizer = keras.optimizers.SGD(momentum=cfg.momentum, nesterov=cfg.nesterov, **common)
    elif cfg.name == "rmsprop":
        optimizer = keras.optimizers.RMSprop(
            rho=cfg.rho, momentum=cfg.momentum, epsilon=cfg.epsilon, **common
        )
    elif cfg.name == "adam":
        optimizer = keras.optimizers.Adam(beta_1=cfg.beta_1, beta_2=cfg.beta_2, epsilon=cfg.epsilon, **common)
    elif cfg.name == "adadelta":
        optimizer = keras.optimizers.Adadelta(rho=cfg.rho, epsilon=cfg.epsilon, **common)
    else:
        raise AssertionError(cfg.name)  # the recipe validated the name
    if cfg.decoupled_weight_decay:  # biases, batch-norm scales and shifts: not decayed (as add_weight_decay)
        optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta", "coefficient"])
    return optimizer


def add_weight_decay(model, weight_decay: float) -> int:
    """Put the paper's L2 weight decay λ/2·Σw² on every kernel of `model` (Keras 3); returns how many.

    Kernels only: biases, batch-norm scales and shifts are not decayed (they have few parameters and decaying
    them does not regularize the function; Caffe's reference models set their decay to 0 likewise).
    """
    if weight_decay <= 0:
        return 0
    count = 0
    for layer in model.layers:
        for attr in ("kernel", "depthwise_kernel"):
            variable = getattr(layer, attr, None)
            if variable is not None and getattr(variable, "trainable", False):
                variable.regularizer = keras.regularizers.L2(weight_decay / 2)
                count += 1
    return count
