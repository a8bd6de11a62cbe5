"""The training core: a recipe in, a run folder and a report out.

    from cnnapp.recipes import load_recipe
    from cnnapp.training import train_and_evaluate
    report = train_and_evaluate(load_recipe("lenet5-digits"), "runs/lenet5-digits")

Modules: device (precision and XLA per device), optimizers (by name; the papers' L2 weight decay), schedules
(step, plateau, cosine, warm-up), setup (data, model and compile for a recipe), state (checkpoints and
resume), callbacks (log.csv, the stop on a non-finite loss), evaluation (top-k, 10-crop, ensembles), core (the
scaffold every loop shares: lock, checks, resume, report), loop (`train_and_evaluate` on Keras `fit`),
multiworker (the `strategy.run` loop and the cluster helpers), distribute (strategies by name).
"""

from cnnapp.training.loop import run_state, train_and_evaluate

__all__ = ["run_state", "train_and_evaluate"]
