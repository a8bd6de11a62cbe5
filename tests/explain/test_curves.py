"""Training-curve panels are the task's: a segmenter's pixel accuracy and mean IoU, a classifier's top-k;
`explain --compare` of segmenters says pixel accuracy and mean IoU, not top-1."""

from cnnapp import tasks


def test_curves_of_a_segmenter_say_pixel_accuracy_and_mean_iou():
    from cnnapp.explain.curves import panels_for

    log = {"loss": 0, "accuracy": 0, "val_accuracy": 0, "mean_iou": 0, "val_mean_iou": 0}
    segmenter = panels_for(log, tasks.segmentation.task("fcn8s").curve_panels)
    assert [p[0] for p in segmenter] == ["loss", "pixel accuracy", "mean IoU"]
    classifier = panels_for(
        {"loss": 0, "accuracy": 0, "val_accuracy": 0, "top5": 0}, tasks.of({}).curve_panels
    )
    assert [p[0] for p in classifier] == ["loss", "top-1 accuracy", "top-5 accuracy"]


def test_compare_of_segmenters_says_pixel_accuracy_and_mean_iou():
    titles = [title for _, title in tasks.segmentation.task("fcn8s").compare_panels]
    assert titles == ["validation pixel accuracy", "validation mean IoU"]
    assert [title for _, title in tasks.of({}).compare_panels] == ["validation top-1 accuracy"]
