"""Process exit codes, as OCRmyPDF keeps them: one IntEnum the CLI returns."""

from enum import IntEnum


class ExitCode(IntEnum):
    ok = 0
    input_failed = 1  # some inputs could not be ingested; the rest landed
    bad_args = 2  # click's own code for usage errors
    archive_error = 3  # the archive is unusable or locked
    missing_dependency = 4  # tesseract, the vie model or poppler is not installed
    not_found = 5  # an issue id or page that is not in the archive
    bad_query = 6
