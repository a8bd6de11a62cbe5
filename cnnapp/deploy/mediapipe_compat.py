"""Supplies the one native helper MediaPipe's metadata writer imports and the mediapipe 1.x wheels lack.

`mediapipe.tasks.python.metadata.metadata` imports
`mediapipe.tasks.cc.metadata.python._pywrap_metadata_version` for a single function,
`GetMinimumMetadataParserVersion(metadata_buffer) -> str`: the oldest metadata parser that understands every
field the buffer uses. The wheels from 1.0 on ship no `mediapipe.tasks.cc` package (ModuleNotFoundError);
0.10.21, the last one with it, needs protobuf < 5 and numpy < 2, which TensorFlow 2.21 rules out.

`install()` registers a pure-Python module of that name. Its version rule is MediaPipe's own, as documented
in the history of `mediapipe/tasks/metadata/metadata_schema.fbs` (and implemented in
`mediapipe/tasks/cc/metadata/metadata_version.cc`): start at 1.0.0 and raise it to the schema version that
added each field or enum value present. `tests/deploy/test_mediapipe_compat.py` fails once a wheel ships
the real module, so this file is deleted then rather than kept shadowing it.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

NATIVE = "mediapipe.tasks.cc.metadata.python._pywrap_metadata_version"
# The schema versions that added a field or an enum value after 1.0.0 (metadata_schema.fbs, "History").
ADDED_IN = {
    "AssociatedFileType.VOCABULARY": (1, 0, 1),
    "SubGraphMetadata.input_process_units": (1, 1, 0),
    "SubGraphMetadata.output_process_units": (1, 1, 0),
    "ProcessUnitOptions.BertTokenizerOptions": (1, 1, 0),
    "ProcessUnitOptions.SentencePieceTokenizerOptions": (1, 1, 0),
    "SubGraphMetadata.input_tensor_groups": (1, 2, 0),
    "SubGraphMetadata.output_tensor_groups": (1, 2, 0),
    "ProcessUnitOptions.RegexTokenizerOptions": (1, 2, 1),
    "ContentProperties.AudioProperties": (1, 3, 0),
    "AssociatedFileType.SCANN_INDEX_FILE": (1, 4, 0),
    "AssociatedFile.version": (1, 4, 1),
    "SubGraphMetadata.custom_metadata": (1, 5, 0),
}


def native_available() -> bool:
    """Whether the installed mediapipe ships the real native module (then `install` does nothing).

    Looked up on disk, not by import: once `install` has run, the import system finds ours.
    """
    spec = importlib.util.find_spec("mediapipe.tasks")
    if spec is None:
        return False
    folders = [Path(p) / "cc" / "metadata" / "python" for p in spec.submodule_search_locations or ()]
    return any(any(f.glob("_pywrap_metadata_version*")) for f in folders if f.is_dir())


def fields_used(metadata_buffer: bytes) -> list[str]:
    """The post-1.0.0 schema members (keys of ADDED_IN) that `metadata_buffer` populates."""
    from mediapipe.tasks.metadata import metadata_schema_py_generated as fb

    root = fb.ModelMetadataT.InitFromObj(
        fb.ModelMetadata.GetRootAsModelMetadata(bytearray(metadata_buffer), 0)
    )
    file_types = {fb.AssociatedFileType.VOCABULARY: "VOCABULARY"}
    file_types[fb.AssociatedFileType.SCANN_INDEX_FILE] = "SCANN_INDEX_FILE"
    options = {
        fb.ProcessUnitOptions.BertTokenizerOptions: "BertTokenizerOptions",
        fb.ProcessUnitOptions.SentencePieceTokenizerOptions: "SentencePieceTokenizerOptions",
        fb.ProcessUnitOptions.RegexTokenizerOptions: "RegexTokenizerOptions",
    }
    used: list[str] = []

    def note(member):
        if member not in used:
            used.append(member)

    def files(entries):
        for entry in entries or ():
            if entry.type in file_types:
                note(f"AssociatedFileType.{file_types[entry.type]}")
            if entry.version is not None:
                note("AssociatedFile.version")

    def units(entries):
        for entry in entries or ():
            if entry.optionsType in options:
                note(f"ProcessUnitOptions.{options[entry.optionsType]}")

    for graph in root.subgraphMetadata or ():
        for tensor in (graph.inputTensorMetadata or []) + (graph.outputTensorMetadata or []):
            files(tensor.associatedFiles)
            units(tensor.processUnits)
            content = tensor.content
            if content is not None and content.contentPropertiesType == fb.ContentProperties.AudioProperties:
                note("ContentProperties.AudioProperties")
        files(graph.associatedFiles)
        for field, member in (
            ("inputProcessUnits", "input_process_units"),
            ("outputProcessUnits", "output_process_units"),
        ):
            if getattr(graph, field) is not None:
                note(f"SubGraphMetadata.{member}")
                units(getattr(graph, field))
        for field, member in (
            ("inputTensorGroups", "input_tensor_groups"),
            ("outputTensorGroups", "output_tensor_groups"),
            ("customMetadata", "custom_metadata"),
        ):
            if getattr(graph, field) is not None:
                note(f"SubGraphMetadata.{member}")
    files(root.associatedFiles)
    return used


def minimum_parser_version(metadata_buffer: bytes) -> str:
    """The `min_parser_version` of a ModelMetadata flatbuffer: the newest schema version among its fields."""
    version = max([(1, 0, 0), *(ADDED_IN[member] for member in fields_used(metadata_buffer))])
    return ".".join(map(str, version))


def install() -> None:
    """Register the pure-Python `_pywrap_metadata_version` (and its parents) unless mediapipe has it."""
    if NATIVE in sys.modules or native_available():
        return  # already installed, or the wheel has the real one
    module = types.ModuleType(NATIVE)
    module.__doc__ = "cnnapp.deploy.mediapipe_compat: the minimum metadata parser version, in Python."
    module.GetMinimumMetadataParserVersion = minimum_parser_version
    parts = NATIVE.split(".")
    for depth in range(3, len(parts)):  # mediapipe.tasks.cc, .metadata, .python: empty namespace packages
        name = ".".join(parts[:depth])
        if name not in sys.modules:
            package = types.ModuleType(name)
            package.__path__ = []
            sys.modules[name] = package
    sys.modules[NATIVE] = module
    sys.modules[".".join(parts[:-1])]._pywrap_metadata_version = module
