"""Kaifang (开放): the public data open platform."""

__version__ = "0.1.0"
