"""The phone demo in a browser: a static site that classifies a photo or camera frame with an exported model.

    python -m cnnapp.demo export/lenet5-phone/int8.tflite --serve

`read_model` checks the file (TFLite metadata with labels, an input MediaPipe can feed), `runtime` installs
the pinned MediaPipe Tasks for the web with `npm ci`, `write_site` writes the page, the model, its facts and
the vendored runtime into one folder, and `serve` serves it on 127.0.0.1.
"""

from cnnapp.demo.model import DemoModel, read_model
from cnnapp.demo.site import write_site

__all__ = ["DemoModel", "read_model", "write_site"]
