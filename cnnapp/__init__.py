"""cnnapp: the classic image-classification conv nets in Keras — build, train, audit, export for phones.

    import cnnapp
    run = cnnapp.train("lenet5-digits", train={"epochs": 2})   # a cnnapp.runs.Run
    cnnapp.audit(run.model())                                   # units, weights, connections, memory
    exported = cnnapp.export(run, "int8")                       # a phone-ready .tflite and its report
    cnnapp.predict(exported.model, "seven.png")

Importing cnnapp imports no TensorFlow and reads no command line: the notebook functions and the commands
(cnnapp.cli) import what they need when they start work. When TensorFlow is imported (by a cnnapp module or
by you), its start-up lines (oneDNN, CUDA, CPU features) are kept in `cnnapp.quiet.startup_log()`, not
printed; TF_CPP_MIN_LOG_LEVEL=0 shows them.
"""

import importlib

from cnnapp import quiet as _quiet

_quiet.install()

__version__ = "0.2.0"
# cnnapp.train, .audit, .export and .predict are the modules of the commands of those names, each callable as
# its function of that name (cnnapp.cli.callable_module): cnnapp.train(...) is cnnapp.train.train(...).
__all__ = ["__version__", "audit", "export", "predict", "train"]


def __getattr__(name: str):
    if name in ("audit", "export", "predict", "train"):
        return importlib.import_module(f"cnnapp.{name}")
    raise AttributeError(f"module 'cnnapp' has no attribute {name!r}")
