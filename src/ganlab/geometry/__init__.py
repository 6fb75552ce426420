"""Geometry of generators (MISSION §6, seed 000): Localized GAN and Laplace–Beltrami SSL.

The Jacobian maths (tangents, singular values, effective rank) lives below, in
``ganlab.metrics.tangents``; the studies that use these models live in ``ganlab.experiments.studies``.
Submodules are imported on use (``.localized``, ``.laplace_beltrami``) so that importing the
package costs nothing.
"""
