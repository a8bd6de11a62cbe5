"""Semantic segmentation: FCN on the zoo's backbones (`cnnapp.models.build_segmenter`), trained and exported.

sources    (image, mask) datasets: digit_scenes (offline default), oxford_iiit_pet, folder:PATH
scenes     the digit scenes, generated from the shipped digits and a seed
pipeline   resizing and augmentations that move image and mask together
metrics    the FCN paper's scores (pixel accuracy, mean IoU, frequency-weighted IoU) and the loss
run        what a training run does differently for a segmenter (data, compile, report)
(its figure: cnnapp.explain.segmentation)
export     TFLite exports with MediaPipe image-segmenter metadata, scored by mIoU
"""
