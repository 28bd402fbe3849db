"""Item response theory: the 2PL model's probability and information."""

from __future__ import annotations

from ._native import lib

__all__ = ["probability", "information", "theta_from_mastery"]


def probability(theta: float, a: float, b: float) -> float:
    """P(right) under the 2PL model, ``1 / (1 + exp(-a (theta - b)))``; a = 1
    is Rasch (``tc_irt_probability``)."""
    return float(lib().tc_irt_probability(theta, a, b))


def information(theta: float, a: float, b: float) -> float:
    """Fisher information ``a^2 P (1 - P)`` of a 2PL item at ``theta``
    (``tc_irt_information``)."""
    return float(lib().tc_irt_information(theta, a, b))


def theta_from_mastery(mastery: float) -> float:
    """Ability from a mastery estimate: ``logit(m)``, m kept in
    [1e-6, 1 - 1e-6] (``tc_irt_theta_from_mastery``)."""
    return float(lib().tc_irt_theta_from_mastery(mastery))
