"""See inside a network: what it learned, where it looks, and how its training went.

    from cnnapp import explain
    explain.write_run_figures("runs/lenet5-digits")       # curves + error analysis, as every run ends with
    python -m cnnapp.explain runs/lenet5-digits           # all figures: filters, activations, patches,
                                                          # occlusion, Grad-CAM (see __main__.py)

Modules: `curves` (log.csv), `errors` (confusion matrix, per-class scores, worst mistakes),
`filters` (first-layer filters, linear/MLP templates), `activations` (feature maps), `fields` (receptive
field size, stride, offset), `patches` (top-9 patches per channel), `occlusion` (Keras or .tflite),
`gradcam`; `figure` saves them.
Figures go to `RUN/figures/` as PNG with the numbers behind each as CSV or JSON beside it.
"""

from cnnapp.explain.run_figures import WorstMistakes, figures_dir, write_run_figures

__all__ = ["WorstMistakes", "figures_dir", "write_run_figures"]
