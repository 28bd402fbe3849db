"""The exceptions of tutorcore and the status codes they carry.

Every call into the C library that returns a non-OK ``tc_status`` raises a
subclass of :class:`TutorcoreError`. The exception carries the status code
(``.status``, a :class:`Status` when the code is known), the library's own
message from ``tc_last_error()`` (``.message``: what was wrong, where, and the
fix) and the name of the C function that failed (``.function``).

Several classes also derive from the matching built-in exception, so
``except ValueError`` catches :class:`InvalidArgument` and ``except
LookupError`` catches :class:`NotFound`.
"""

from __future__ import annotations

import enum
from typing import Dict, Optional, Type, Union

__all__ = [
    "Status",
    "TutorcoreError",
    "InvalidArgument",
    "NotFound",
    "AlreadyExists",
    "StorageError",
    "Unavailable",
    "VersionError",
    "Cancelled",
    "OutOfMemory",
    "InternalError",
    "LibraryNotFound",
    "error_for_status",
]


class Status(enum.IntEnum):
    """The ``tc_status`` codes of the C ABI. Values are pinned forever."""

    OK = 0
    EINVAL = -1
    ENOTFOUND = -2
    EEXISTS = -3
    ESTORAGE = -4
    EUNAVAILABLE = -5
    EVERSION = -6
    EUSER = -7
    ENOMEM = -8
    EINTERNAL = -9

    @property
    def c_name(self) -> str:
        """The C spelling of the code, e.g. ``"TC_EINVAL"``."""
        return "TC_" + self.name


def _as_status(code: int) -> Union[Status, int]:
    try:
        return Status(code)
    except ValueError:
        return int(code)


def _status_name(code: Union[Status, int, None]) -> str:
    if isinstance(code, Status):
        return code.c_name
    return "status {}".format(code)


class TutorcoreError(Exception):
    """Base class of every error tutorcore raises for a non-OK status.

    Attributes:
        status: the ``tc_status`` code (a :class:`Status` when known).
        message: the library's message (``tc_last_error()``), or the binding's
            own when the binding refused the call before reaching the library.
        function: the C function that failed, e.g. ``"tc_submit_response"``;
            ``None`` when the binding itself refused the call.
    """

    status: Union[Status, int] = Status.EINTERNAL

    def __init__(
        self,
        message: str,
        status: Optional[int] = None,
        function: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message: str = message
        self.status = _as_status(status) if status is not None else type(self).status
        self.function: Optional[str] = function

    def __str__(self) -> str:
        where = "{}: ".format(self.function) if self.function else ""
        return "{}{} [{}]".format(where, self.message, _status_name(self.status))

    def __repr__(self) -> str:
        return "{}({!r}, status={}, function={!r})".format(
            type(self).__name__, self.message, int(self.status), self.function
        )

    def __reduce__(self):  # keeps status and function through pickle
        return (type(self), (self.message, int(self.status), self.function))


class InvalidArgument(TutorcoreError, ValueError):
    """``TC_EINVAL``: a bad argument or input document, or an action the
    current state does not allow (the message names the field or state)."""

    status = Status.EINVAL


class NotFound(TutorcoreError, LookupError):
    """``TC_ENOTFOUND``: an unknown id, file, row or subscription."""

    status = Status.ENOTFOUND


class AlreadyExists(TutorcoreError):
    """``TC_EEXISTS``: a real conflict (a replayed idempotency key is not one)."""

    status = Status.EEXISTS


class StorageError(TutorcoreError):
    """``TC_ESTORAGE``: the storage layer failed (I/O, busy, corrupt)."""

    status = Status.ESTORAGE


class Unavailable(TutorcoreError):
    """``TC_EUNAVAILABLE``: an optional component of the library is absent."""

    status = Status.EUNAVAILABLE


class VersionError(TutorcoreError):
    """``TC_EVERSION``: an option struct, document or database is newer than
    the loaded library."""

    status = Status.EVERSION


class Cancelled(TutorcoreError):
    """``TC_EUSER``: a host callback cancelled the work or failed: a fit's
    progress callback, or a host classifier that raised (the message holds
    the classifier's name and its exception, which is chained as
    ``__cause__`` when it was raised on the calling thread)."""

    status = Status.EUSER


class OutOfMemory(TutorcoreError, MemoryError):
    """``TC_ENOMEM``: the library ran out of memory."""

    status = Status.ENOMEM


class InternalError(TutorcoreError):
    """``TC_EINTERNAL``: a bug in tutorcore; please report it."""

    status = Status.EINTERNAL


class LibraryNotFound(OSError):
    """The shared library ``libtutorcore.so.0`` could not be found or loaded,
    or it lacks a function this binding needs. Not a :class:`TutorcoreError`:
    no call reached the library."""


_BY_STATUS: Dict[int, Type[TutorcoreError]] = {
    cls.status: cls
    for cls in (
        InvalidArgument,
        NotFound,
        AlreadyExists,
        StorageError,
        Unavailable,
        VersionError,
        Cancelled,
        OutOfMemory,
        InternalError,
    )
}


def error_for_status(status: int, message: str, function: Optional[str] = None) -> TutorcoreError:
    """The exception for a non-OK ``status``: the matching subclass, or
    :class:`TutorcoreError` itself for a code this binding does not know."""
    cls = _BY_STATUS.get(int(status), TutorcoreError)
    return cls(message, status, function)
