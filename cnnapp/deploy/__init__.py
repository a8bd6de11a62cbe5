"""Export for phones: TFLite conversion in every quantization mode, tfmot on the tf_keras twin, reports.

subject.py    what an export starts from (a run folder or a .keras model, its data and class names)
converter.py  Keras → .tflite bytes: float32, float16, dynamic, int8, int16x8, qat; uint8/int8/float I/O
optimize.py   pruning and weight clustering (tfmot, tf_keras twin), weight statistics
qat.py        quantization-aware training, QuantizeConfig for Normalization, LRN and ScaledTanh
runtime.py    LiteRT interpreter: integer I/O, batched prediction, latency, ops left in float
report.py     the size/accuracy/latency report, Markdown and side-by-side tables
front.py      the RGB→grey front: grey-trained models take the RGB frames of a camera
metadata.py   TFLite metadata (labels, input image, normalization) with MediaPipe's writer, and reading it
mediapipe_compat.py   the native helper MediaPipe's metadata writer imports and its 1.x wheels lack
debug.py      the quantization debugger's per-layer error table, named by Keras layer
exporter.py   the core: optimize, convert, measure, write atomically
classifier.py a .tflite or .keras model that classifies image files (the predict CLI's core)
story.py      AlexNet vs GoogLeNet float32/int8 bytes at ImageNet size
"""
