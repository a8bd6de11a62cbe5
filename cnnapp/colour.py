"""Colour constants shared by the training camera, the exported front and the classic baselines (a leaf: it
imports nothing, so every layer of the house may use it)."""

# ITU-R BT.601 luma weights of R, G, B: grey = 0.299 R + 0.587 G + 0.114 B (they sum to 1: white stays 255).
LUMA = (0.299, 0.587, 0.114)
