"""Exceptions raised by the lattice engine.

The hierarchy is shaped by how the API layer reports failures:

* :class:`LatticeError` and its subclasses mean the *request* is wrong (bad lattice spec, bad
  coordinates, oversized payload). They map to HTTP 400.
* :class:`SearchBudgetExceeded` means the request was valid but answering it would cost more
  than the caller allowed. It maps to HTTP 422.

Everything derives from :class:`EngineError` so callers can catch the engine as a whole.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class of every exception the engine raises on purpose."""


class LatticeError(EngineError, ValueError):
    """The input is invalid (maps to HTTP 400). The message is meant for the end user."""


class InvalidLattice(LatticeError):
    """The lattice description (dimensions, size, obstacles) is invalid."""


class InvalidPoint(LatticeError):
    """A coordinate is malformed, outside the lattice, or (for path endpoints) blocked."""


class TransformError(LatticeError):
    """Invalid arguments to one of the transforms."""


class DataTooLarge(TransformError):
    """The payload given to a transform exceeds its size limit."""

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(f"data is {size} bytes; the limit is {limit} bytes")


class SearchBudgetExceeded(EngineError):
    """A path search had to explore more points than its budget allowed (maps to HTTP 422)."""

    def __init__(self, explored: int, budget: int, *, timed_out: bool = False) -> None:
        self.explored = explored
        self.budget = budget
        self.timed_out = timed_out
        if timed_out:
            message = (
                f"search ran out of time after exploring {explored} points (budget {budget}); "
                "choose closer endpoints or a lattice with fewer obstacles"
            )
        else:
            message = (
                f"search explored {explored} points, exceeding the budget of {budget}; "
                "raise the budget or choose closer endpoints"
            )
        super().__init__(message)
