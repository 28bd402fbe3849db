"""Ownership of the library's opaque handles.

Each Python object that owns a handle keeps it in a :class:`_Cell`: the raw
pointer plus the ``tc_X_free`` that releases it. A cell is released at most
once (under a lock), so ``close()`` twice, ``close()`` then ``__del__``, or a
store closing the tutors that depend on it never free a handle twice.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Callable, Optional, Type, TypeVar

from .errors import InvalidArgument

_release_lock = threading.Lock()

H = TypeVar("H", bound="Handle")


class _Cell:
    """A raw handle and its free function; released at most once."""

    __slots__ = ("ptr", "free", "__weakref__")

    def __init__(self, ptr: int, free: Callable[[int], None]) -> None:
        self.ptr: Optional[int] = ptr
        self.free = free

    def release(self) -> None:
        with _release_lock:
            ptr, self.ptr = self.ptr, None
        if ptr:
            self.free(ptr)


class Handle:
    """Base class of the objects that own a library handle.

    Use them as context managers (``with Store.memory() as store: ...``) or
    call :meth:`close`; both are idempotent, and an object that is garbage
    collected while open is closed then. Using a closed object raises
    :class:`InvalidArgument`.
    """

    _cell: Optional[_Cell] = None  # also set when __init__ failed early

    def _own(self, ptr: int, free: Callable[[int], None]) -> None:
        self._cell = _Cell(ptr, free)

    @property
    def closed(self) -> bool:
        """Whether the handle has been released."""
        cell = self._cell
        return cell is None or cell.ptr is None

    def _ptr(self) -> int:
        """The raw handle; raises InvalidArgument once closed."""
        cell = self._cell
        ptr = cell.ptr if cell is not None else None
        if not ptr:
            raise InvalidArgument("this {} is closed".format(type(self).__name__))
        return ptr

    def close(self) -> None:
        """Releases the handle (``tc_X_free``). Safe to call more than once."""
        cell = self._cell
        if cell is not None:
            cell.release()

    def __enter__(self: H) -> H:
        self._ptr()  # entering a closed object is an error
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def _state(self) -> str:
        return "closed" if self.closed else "open"

    def __repr__(self) -> str:
        return "<tutorcore.{} {}>".format(type(self).__name__, self._state())

