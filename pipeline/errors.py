"""Errors that name one input and what is wrong with it; the batch goes on."""


class InputError(Exception):
    """A broken input: the message is one line naming what is wrong (not the path)."""


class MissingDependency(Exception):
    """A system program or model bantin needs is not installed."""
