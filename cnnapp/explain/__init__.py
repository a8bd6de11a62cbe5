"""See inside a network: what it learned, where it looks, and how its training went.

    from cnnapp import explain
    explain.write_run_figures("runs/lenet5-digits")       # curves + error analysis, as every run ends with
    explain.register_run_figures()                        # every run trained in this process draws them
    python -m cnnapp.explain runs/lenet5-digits           # all figures: filters, activations, patches,
                                                          # occlusion, Grad-CAM (see __main__.py)

Modules: `curves` (log.csv), `errors` (confusion matrix, per-class scores, worst mistakes),
`filters` (first-layer filters, linear/MLP templates), `activations` (feature maps), `fields` (receptive
field size, stride, offset), `patches` (top-9 patches per channel), `occlusion` (Keras or .tflite),
`gradcam`; `figure` saves them.
Figures go to `RUN/figures/` as PNG with the numbers behind each as CSV or JSON beside it.
"""

from cnnapp.explain.run_figures import WorstMistakes, figures_dir, write_run_figures

__all__ = ["WorstMistakes", "figures_dir", "register_run_figures", "write_run_figures"]


def register_run_figures() -> None:
    """Make every training run in this process end with its task's figures (`cnnapp.training.hooks`): a
    classifier's curves and error analysis (from the report's own test pass), a segmenter's curves and masks.
    The commands that train call this; the trainer itself imports no figure module."""
    # Deferred: `cnnapp.training` imports TensorFlow, and `import cnnapp.explain` does not.
    from cnnapp.training import hooks

    hooks.register_figures("classification", _classifier_figures, WorstMistakes)
    hooks.register_figures("segmentation", _segmenter_figures)


def _classifier_figures(run_path, evaluated) -> None:
    write_run_figures(run_path, evaluated=evaluated)


def _segmenter_figures(run_path, evaluated) -> None:
    from cnnapp.explain.segmentation import write_segmentation_figures  # its module imports TensorFlow

    write_segmentation_figures(run_path)
