"""The named choices several parts share: one home each, so a recipe, a CLI's `choices` and the code that acts
on the name cannot disagree. A leaf module (no imports), so the TensorFlow-free parts can read it too."""

# Keras dtype policies, and "auto": on a CPU float32 or mixed_bfloat16 as a probe finds faster, mixed_float16
# on a GPU (cnnapp.training.device).
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
# XLA compilation of the training step; "auto": on for a GPU, off on a CPU (5× slower there).
JIT_MODES = ("auto", "on", "off")
# tf.distribute strategies by name (cnnapp.training.distribute); "auto": mirrored with more than one GPU.
STRATEGIES = ("auto", "one-device", "mirrored", "multi-worker")
# FCN segmentation heads (Long et al. 2015; cnnapp.models.segmenter): a recipe's `model.head`.
SEGMENTATION_HEADS = ("fcn32s", "fcn16s", "fcn8s")
# A dataset's split names (cnnapp.data): training, validation (a dataset's own; ImageNet's is its report
# split, its test labels are not public) and the report's. A folder's split folders carry these names.
TRAIN, VALIDATION, TEST = "train", "validation", "test"
SPLITS = (TRAIN, VALIDATION, TEST)
