"""Geometry of generators (MISSION §6, seed 000): tangent rank, Localized GAN, Laplace–Beltrami SSL.

Submodules are imported on use (``ganlab.geometry.tangents``, ``.localized``, ``.laplace_beltrami``,
``.command``) so that importing the package costs nothing.
"""
