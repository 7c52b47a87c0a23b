"""The one exception type for a user's mistake."""


class GanError(Exception):
    """A user-facing error: bad input, bad params, a failed download.  The
    message names the file, URL or key at fault."""
