"""The one exception type the CLI turns into a one-line error and exit 1."""


class GanError(Exception):
    """A user-facing error: bad input, bad params, a failed download.  The
    message names the file, URL or key at fault."""
