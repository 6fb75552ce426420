"""The version of ganlab (a module of its own, at the bottom of the layers, so any module may read it)."""

__version__ = "0.1.0"
