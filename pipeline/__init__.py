"""The ingest pipeline: scans in, archive issues out.

discover -> probe -> rasterise -> OCR -> clean-up -> write to archive, one module per stage.
"""

from pipeline.errors import InputError, MissingDependency
from pipeline.exitcodes import ExitCode
from pipeline.ingest import IngestReport, Outcome, Status, ingest

__all__ = [
    "ExitCode",
    "IngestReport",
    "InputError",
    "MissingDependency",
    "Outcome",
    "Status",
    "ingest",
]
