"""Errors of the ingest pipeline (see ``archive.errors`` for the base and exit codes)."""

from archive.errors import BantinError, ExitCode


class InputError(BantinError):
    """A broken input: the message is one line naming what is wrong (not the path); the
    batch goes on."""

    exit_code = ExitCode.input_failed


class MissingDependency(BantinError):
    """A system program or model bantin needs is not installed."""

    exit_code = ExitCode.missing_dependency
