"""A reproducible GAN lab in pure NumPy."""

__version__ = "0.1.0"
