"""The ingest pipeline: scans in, archive issues out.

discover -> probe -> rasterise -> OCR -> clean-up -> write to archive, one module per stage.
"""

from pipeline.errors import InputError, MissingDependency
from pipeline.executor import dask_cluster
from pipeline.ingest import IngestHooks, IngestOptions, IngestReport, Outcome, Status, ingest
from pipeline.ocr import OcrEngine, Tesseract

__all__ = [
    "IngestHooks",
    "IngestOptions",
    "IngestReport",
    "InputError",
    "MissingDependency",
    "OcrEngine",
    "Outcome",
    "Status",
    "Tesseract",
    "dask_cluster",
    "ingest",
]
