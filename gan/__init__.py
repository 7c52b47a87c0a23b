"""A reproducible GAN lab in pure NumPy."""

from gan import threads  # noqa: F401  (sets OpenBLAS's spin time before NumPy loads it)

__version__ = "0.1.0"
