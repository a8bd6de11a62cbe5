"""Semantic segmentation: FCN on the zoo's backbones (`cnnapp.models.build_segmenter`), trained and exported.

sources    (image, mask) datasets: digit_scenes (offline default), oxford_iiit_pet, folder:PATH
scenes     the digit scenes, generated from the shipped digits and a seed
pipeline   resizing and augmentations that move image and mask together
metrics    the FCN paper's scores (pixel accuracy, mean IoU, frequency-weighted IoU) and the loss
run        a segmentation recipe's (image, mask) splits
(its figure: cnnapp.explain.segmentation; its exports: cnnapp.deploy.exporter)
(the task that puts them together — data, network, loss, report, export — is cnnapp.tasks.segmentation)
"""

# The mask value of an unlabelled pixel (PASCAL VOC's), which the loss and every score leave out.
VOID = 255
