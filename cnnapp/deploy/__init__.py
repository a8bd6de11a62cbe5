"""Export for phones: TFLite conversion in every quantization mode, tfmot on the tf_keras twin, reports.

    subject.py    what an export starts from (a run folder or a .keras model, its data and class names)
    converter.py  Keras → .tflite bytes: float32, float16, dynamic, int8, int16x8, qat
    optimize.py   pruning and weight clustering (tfmot, tf_keras twin), weight statistics
    qat.py        quantization-aware training, QuantizeConfig for Normalization, LRN and ScaledTanh
    runtime.py    LiteRT interpreter: integer I/O, batched prediction, latency, ops left in float
    report.py     the size/accuracy/latency report, Markdown and side-by-side tables
    exporter.py   the core: optimize, convert, measure, write atomically
    predict.py    classify image files with a .tflite or .keras model
    story.py      AlexNet vs GoogLeNet float32/int8 bytes at ImageNet size
"""
