"""Training-curve panels follow the log: a segmenter's pixel accuracy and mean IoU, a classifier's top-k."""


def test_curves_of_a_segmenter_say_pixel_accuracy_and_mean_iou():
    from cnnapp.explain.curves import panels_for

    segmenter = panels_for({"loss": 0, "accuracy": 0, "val_accuracy": 0, "mean_iou": 0, "val_mean_iou": 0})
    assert [p[0] for p in segmenter] == ["loss", "pixel accuracy", "mean IoU"]
    classifier = panels_for({"loss": 0, "accuracy": 0, "val_accuracy": 0, "top5": 0})
    assert [p[0] for p in classifier] == ["loss", "top-1 accuracy", "top-5 accuracy"]
