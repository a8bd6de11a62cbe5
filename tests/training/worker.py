"""One worker of the multi-worker tests, as its own process: `python worker.py RUN_DIR WEIGHTS [k=v ...]`.

TF_CONFIG comes from the environment (absent: a single worker). The final weights of the training model are
written to WEIGHTS_OUT (.npz) so the test can compare the workers.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv):
    run_dir, weights_out, *overrides = argv
    from cnnapp.training.distribute import make_strategy

    # The strategy first: MultiWorkerMirroredStrategy must exist before TensorFlow runs any op.
    strategy = make_strategy("multi-worker" if os.environ.get("TF_CONFIG") else "one-device")
    import numpy as np

    from cnnapp import atomic
    from cnnapp.recipes import load_recipe
    from cnnapp.training.multiworker import fit_multi_worker

    recipe = load_recipe("lenet5-digits", overrides)
    report, model = fit_multi_worker(recipe, run_dir, strategy, verbose=1)
    with atomic.atomic_path(weights_out) as tmp:
        np.savez(
            tmp,
            *[w for w in model.get_weights()],
            resumed_from_epoch=report["resumed_from_epoch"],
            reported=np.array([report["best_epoch"], report["top1_accuracy"]]),
        )
    print(f"done {report['resumed_from_epoch']} {report['top1_accuracy']:.4f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
