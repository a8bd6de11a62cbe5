"""cnnapp: the classic image-classification conv nets in Keras — build, train, audit, export for phones."""

import os

# TensorFlow's C++ start-up chatter (CUDA probing, CPU instruction sets) buries our own output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
