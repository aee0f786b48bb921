"""The error every checkpoint function raises for a file it cannot use."""


class CheckpointError(RuntimeError):
    """A checkpoint could not be read or does not fit the model."""
