"""A small, deterministic Nelder-Mead minimiser (numpy only, bounded iterations).

J. A. Nelder & R. Mead, "A simplex method for function minimization", Comput. J. 7 (1965)
308-313, with the standard coefficients (reflection 1, expansion 2, contraction ½, shrink ½) and
the initial simplex spanned by `steps` along each axis. No randomness: the same start gives the
same result, which the SVI fit needs to be reproducible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from clearhouse.core.pricing.arrays import FloatArray

_REFLECT = 1.0
_EXPAND = 2.0
_CONTRACT = 0.5
_SHRINK = 0.5


@dataclass(frozen=True, slots=True)
class Minimum:
    x: FloatArray
    value: float
    iterations: int


def minimise(
    objective: Callable[[FloatArray], float],
    start: FloatArray,
    steps: FloatArray,
    max_iterations: int,
    value_tolerance: float = 1e-14,
    size_tolerance: float = 1e-10,
) -> Minimum:
    """Minimise `objective` from `start`; stops when the simplex's values agree to
    `value_tolerance` (relative to the best, plus an absolute floor of the same size) and its
    vertices to `size_tolerance`, or after `max_iterations`."""
    dimension = start.size
    simplex = np.vstack([start, start + np.diag(steps)])
    values = np.array([objective(vertex) for vertex in simplex])
    iteration = 0
    for iteration in range(1, max_iterations + 1):  # noqa: B007 - reported in the result
        order = np.argsort(values, kind="stable")
        simplex = simplex[order]
        values = values[order]
        spread = values[-1] - values[0]
        size = float(np.max(np.abs(simplex[1:] - simplex[0])))
        if spread <= value_tolerance * (abs(values[0]) + value_tolerance) and (
            size <= size_tolerance
        ):
            break
        centroid = simplex[:dimension].mean(axis=0)
        worst = simplex[-1]
        reflected = centroid + _REFLECT * (centroid - worst)
        f_reflected = objective(reflected)
        if f_reflected < values[0]:
            expanded = centroid + _EXPAND * (reflected - centroid)
            f_expanded = objective(expanded)
            if f_expanded < f_reflected:
                simplex[-1], values[-1] = expanded, f_expanded
            else:
                simplex[-1], values[-1] = reflected, f_reflected
            continue
        if f_reflected < values[-2]:
            simplex[-1], values[-1] = reflected, f_reflected
            continue
        outside = f_reflected < values[-1]
        target = reflected if outside else worst
        contracted = centroid + _CONTRACT * (target - centroid)
        f_contracted = objective(contracted)
        if f_contracted < (f_reflected if outside else values[-1]):
            simplex[-1], values[-1] = contracted, f_contracted
            continue
        best = simplex[0]
        simplex[1:] = best + _SHRINK * (simplex[1:] - best)
        values[1:] = [objective(vertex) for vertex in simplex[1:]]
    best_index = int(np.argmin(values))
    return Minimum(
        x=simplex[best_index].copy(), value=float(values[best_index]), iterations=iteration
    )
