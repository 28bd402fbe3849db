"""tutorcore: the engines of an adaptive, teacher-in-the-loop tutor.

A Python binding over the C ABI of ``libtutorcore.so.0`` with the standard
library's ctypes. Handles are context managers, every failure raises a
:class:`TutorcoreError` subclass carrying the status code and the library's
message, and JSON documents travel as dicts::

    import tutorcore

    with tutorcore.Store.in_memory() as store, \\
            tutorcore.Tutor(store, "examples/domains/algebra_fundamentals") as tutor:
        result = tutor.submit(tenant="district-7", student="s-0192", problem_id="ias_01",
                              answer="-10", idempotency_key="s-0192/answer/1")
        print(result["misconception"]["id"])   # ias_add_magnitudes

The library is found on first use: the path given to :func:`load_library`,
else ``$TUTORCORE_LIBRARY``, else ``ctypes.util.find_library("tutorcore")``
and the default loader path.
"""

from __future__ import annotations

from typing import Tuple

from . import bkt, irt
from ._native import (
    ABI_VERSION,
    ENV_VAR,
    TC_CLASSIFIER_VERSION as CLASSIFIER_VERSION,
    TC_DURABILITY_FULL as DURABILITY_FULL,
    TC_DURABILITY_NORMAL as DURABILITY_NORMAL,
    TC_EVENT_VERSION as EVENT_VERSION,
    TC_STORE_MEMORY as STORE_MEMORY,
    TC_STORE_OPTIONS_VERSION as STORE_OPTIONS_VERSION,
    TC_STORE_POSTGRES as STORE_POSTGRES,
    TC_STORE_SQLITE as STORE_SQLITE,
    BktParams,
    Event,
    Library,
    StoreOptions,
    lib as _lib,
    load_library,
)
from .bkt import BktModel, Combine
from .bkt import check_model as bkt_model_check
from .bkt import fit as bkt_fit
from .bkt import predict as bkt_predict
from .bkt import predict_multi as bkt_predict_multi
from .bkt import update as bkt_update
from .classifier import Classifier, ClassifierWarning
from .domain import Domain, validate_domain
from .errors import (
    AlreadyExists,
    Cancelled,
    InternalError,
    InvalidArgument,
    LibraryNotFound,
    NotFound,
    OutOfMemory,
    Status,
    StorageError,
    TutorcoreError,
    Unavailable,
    VersionError,
)
from .irt import information as irt_information
from .irt import probability as irt_probability
from .irt import theta_from_mastery as irt_theta_from_mastery
from .store import Store, Subscription
from .tutor import Tutor

#: The version of this Python package (the library's is :func:`version`).
__version__ = "0.1.0"

__all__ = [
    # library and versions
    "load_library",
    "library_path",
    "Library",
    "version",
    "version_number",
    "version_info",
    "status_str",
    "ABI_VERSION",
    "ENV_VAR",
    # errors
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
    # domains, stores, tutors
    "Domain",
    "validate_domain",
    "Store",
    "StoreOptions",
    "Event",
    "Subscription",
    "Tutor",
    "Classifier",
    "ClassifierWarning",
    "STORE_SQLITE",
    "STORE_MEMORY",
    "STORE_POSTGRES",
    "DURABILITY_NORMAL",
    "DURABILITY_FULL",
    "STORE_OPTIONS_VERSION",
    "EVENT_VERSION",
    "CLASSIFIER_VERSION",
    # knowledge tracing and IRT
    "BktParams",
    "BktModel",
    "Combine",
    "bkt_predict",
    "bkt_update",
    "bkt_predict_multi",
    "bkt_fit",
    "bkt_model_check",
    "irt_probability",
    "irt_information",
    "irt_theta_from_mastery",
    "bkt",
    "irt",
]


def version() -> str:
    """The loaded library's version, ``"MAJOR.MINOR.PATCH"`` (``tc_version``)."""
    return _lib().tc_version().decode("ascii")


def version_number() -> int:
    """The library's version as MAJOR*1000000 + MINOR*1000 + PATCH
    (``tc_version_number``)."""
    return int(_lib().tc_version_number())


def version_info() -> Tuple[int, int, int]:
    """The library's version as a ``(major, minor, patch)`` tuple."""
    n = version_number()
    return (n // 1000000, n // 1000 % 1000, n % 1000)


def status_str(status: int) -> str:
    """The library's text for a status code, e.g. ``"TC_EINVAL: invalid
    argument or input"`` (``tc_status_str``)."""
    return _lib().tc_status_str(int(status)).decode("utf-8", "replace")


def library_path() -> str:
    """The file name the library was loaded from (loading it if needed)."""
    return _lib().path
