"""Fast tier: MediaPipe's metadata parser version, computed in Python while mediapipe lacks its native module
(and a test that fails once it ships it again)."""

from cnnapp.deploy import mediapipe_compat


def test_the_compat_module_is_still_needed():
    """Fails once mediapipe ships the native `_pywrap_metadata_version` again: delete mediapipe_compat."""
    assert not mediapipe_compat.native_available(), (
        "mediapipe now ships mediapipe.tasks.cc.metadata.python._pywrap_metadata_version: remove "
        "cnnapp/deploy/mediapipe_compat.py and its install() call"
    )


def test_minimum_parser_version_follows_the_schema_history():
    import flatbuffers
    from mediapipe.tasks.metadata import metadata_schema_py_generated as fb

    def version(edit):
        root = fb.ModelMetadataT()
        graph = fb.SubGraphMetadataT()
        graph.inputTensorMetadata, graph.outputTensorMetadata = [fb.TensorMetadataT()], [fb.TensorMetadataT()]
        root.subgraphMetadata = [graph]
        edit(root, graph)
        builder = flatbuffers.Builder(0)
        builder.Finish(root.Pack(builder), b"M001")
        return mediapipe_compat.minimum_parser_version(builder.Output())

    def labels_file(root, graph):
        entry = fb.AssociatedFileT()
        entry.name, entry.type = "labels.txt", fb.AssociatedFileType.TENSOR_AXIS_LABELS
        graph.outputTensorMetadata[0].associatedFiles = [entry]

    def versioned_file(root, graph):
        entry = fb.AssociatedFileT()
        entry.name, entry.type, entry.version = "vocab.txt", fb.AssociatedFileType.VOCABULARY, "2"
        root.associatedFiles = [entry]

    def custom(root, graph):
        graph.customMetadata = [fb.CustomMetadataT()]
        graph.inputProcessUnits = []

    assert version(lambda root, graph: None) == "1.0.0"
    assert version(labels_file) == "1.0.0"  # TENSOR_AXIS_LABELS is 1.0.0
    assert version(versioned_file) == "1.4.1"  # VOCABULARY is 1.0.1, AssociatedFile.version 1.4.1
    assert version(custom) == "1.5.0"
