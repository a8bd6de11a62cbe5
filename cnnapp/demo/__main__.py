"""Write (and serve) the browser demo of an exported model: `python -m cnnapp.demo EXPORT.tflite|RUN`.

    python -m cnnapp.demo export/lenet5-phone/int8.tflite --serve   # then open http://127.0.0.1:8000/
    python -m cnnapp.demo runs/lenet5-phone --out site/         # the run's int8 export (made if missing)

Writes a static site (page, script, model, model.json, the runtime's JS/wasm vendored from the pinned npm
package; `npm ci` runs the first time, in ~/.cache/cnnapp/web for an installed package) into --out
(default: demo/<folder>-<file> for a .tflite, RUN/demo for a run). It must be served over http(s), not
opened as a file://; --serve serves it on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from cnnapp import cli, errors
from cnnapp.errors import CnnappError
from cnnapp.paths import out_folder
from cnnapp.runs import RunDir

RUN_EXPORT = "int8"  # the export a run is shown with: integer-only, uint8 camera pixels in


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = cli.ArgumentParser(prog="python -m cnnapp.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="an exported .tflite with metadata, or a run folder (its int8 export)")
    parser.add_argument("--out", help="the site folder (default: demo/<folder>-<file>, or RUN/demo)")
    parser.add_argument("--serve", action="store_true", help="serve the site on 127.0.0.1 until Ctrl-C")
    parser.add_argument("--port", type=int, help="the port to serve on (default 8000; 0: any free port)")
    return parser.parse_args(argv)


def model_file(model: str) -> Path:
    """The .tflite to show: the file itself, or a run's int8 export (exported now if the run has none)."""
    path = Path(model)
    if not path.is_dir():
        return path
    if not RunDir(path).is_run():
        raise CnnappError(
            f"{path} is a folder but not a run (no run.json): name a run folder or a .tflite file"
        )
    _refuse_other_tasks(RunDir(path))
    from cnnapp import export  # deferred, as every import below: `--help` answers before numpy loads

    exported = export.default_out(str(path)) / f"{RUN_EXPORT}.tflite"
    if not exported.is_file():
        print(f"{path} has no {exported.name} yet: python -m cnnapp.export {path} --mode {RUN_EXPORT}")
        export.main([str(path), "--mode", RUN_EXPORT])
    return exported


def _refuse_other_tasks(run: RunDir) -> None:
    """The page shows a classifier: the run's task refuses anything else in a line; a run.json this cannot
    read is left to the export, which names what is wrong with it."""
    # Deferred: cnnapp.tasks imports Keras, which a .tflite file given to the demo needs not.
    from cnnapp import tasks
    from cnnapp.demo.model import CLASSIFIER_HINT

    try:
        meta = json.loads(run.meta_file.read_text())
        task = tasks.of(meta)
    except (OSError, ValueError, AttributeError):
        return
    task.refuse("demo", run.path, hint=CLASSIFIER_HINT)


def default_out(model: str, tflite: Path) -> Path:
    if Path(model).is_dir():
        return RunDir(model).demo_dir
    return Path("demo") / f"{tflite.parent.resolve().name}-{tflite.stem}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.port is not None and not args.serve:
        raise CnnappError("--port is for --serve: add --serve, or drop --port")
    if args.port is not None and not 0 <= args.port <= 65535:
        raise CnnappError(f"--port must be in 0..65535; got {args.port}")
    # Deferred: the arguments are checked before the page's writers load.
    from cnnapp.demo import runtime, serve
    from cnnapp.demo.model import read_model
    from cnnapp.demo.site import check_replaceable, write_site

    chosen = out_folder(args.out)  # an empty --out fails before a run folder is exported for the page
    model = read_model(model_file(args.model))  # a bad file fails before npm or any writing
    out = chosen or default_out(args.model, model.path)
    check_replaceable(out)  # a folder that is not a site is refused before npm too
    package = runtime.ensure_installed(log=print)
    write_site(model, out, package)
    facts = model.facts()
    classes = len(model.labels)
    print(f"wrote {out}/ : {facts['name']} ({model.path.name}, {facts['bytes']:,} bytes, {classes} classes)")
    if not args.serve:
        print(f"serve it: python -m cnnapp.demo {args.model} --out {out} --serve  (not as a file:// page)")
        return 0
    httpd = serve.server(out, 8000 if args.port is None else args.port)
    print(f"serving {out}/ at {serve.url(httpd)} (this machine only; Ctrl-C stops)", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    errors.run_cli(main, "python -m cnnapp.demo")
