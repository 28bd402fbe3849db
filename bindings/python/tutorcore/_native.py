"""Loading libtutorcore and the ctypes declarations of its C ABI.

Internal: the public modules call the library through :func:`lib` and the
helpers here. Every prototype mirrors ``include/tutorcore/tutorcore.h``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import sys
import threading
from typing import Any, Callable, List, Optional, Tuple, Union

from .errors import InvalidArgument, LibraryNotFound, error_for_status

#: The ABI this binding is written for (``TC_ABI_VERSION``; the SONAME's number).
ABI_VERSION = 0

#: The environment variable naming the shared library to load.
ENV_VAR = "TUTORCORE_LIBRARY"

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

# --------------------------------------------------------------------------
# Option and value structs, exactly as tutorcore.h lays them out.
# --------------------------------------------------------------------------

TC_STORE_SQLITE = 0
TC_STORE_MEMORY = 1
TC_STORE_POSTGRES = 2
TC_DURABILITY_NORMAL = 0
TC_DURABILITY_FULL = 1
TC_STORE_OPTIONS_VERSION = 2
TC_EVENT_VERSION = 1


class StoreOptions(ctypes.Structure):
    """``tc_store_options``: options for opening a store.

    Fields (only ever appended by the library): ``version``
    (``TC_STORE_OPTIONS_VERSION``), ``backend`` (``STORE_SQLITE``,
    ``STORE_MEMORY`` or ``STORE_POSTGRES``), ``path`` (bytes: the SQLite file,
    or the PostgreSQL connection string), ``durability``
    (``DURABILITY_NORMAL`` or ``DURABILITY_FULL``), ``busy_timeout_ms``,
    ``checkpoint_every`` and (version 2) ``allow_personal_data`` (1: event
    payloads may carry names and e-mail addresses; 0, the default, refuses
    them; docs/privacy.md).

    Build one with :meth:`defaults`, which fills it through
    ``tc_store_options_init`` (the values of ``TC_STORE_OPTIONS_INIT``), then
    set fields. A bare ``StoreOptions()`` is all zeros (version 0), which the
    library refuses, as it would in C.
    """

    _fields_ = [
        ("version", ctypes.c_uint32),
        ("backend", ctypes.c_int32),
        ("path", ctypes.c_char_p),
        ("durability", ctypes.c_int32),
        ("busy_timeout_ms", ctypes.c_int32),
        ("checkpoint_every", ctypes.c_int64),
        ("allow_personal_data", ctypes.c_int32),
    ]

    @classmethod
    def defaults(cls, version: int = TC_STORE_OPTIONS_VERSION) -> "StoreOptions":
        """The defaults of struct version ``version`` (``tc_store_options_init``).

        Raises:
            VersionError: ``version`` is newer than the loaded library knows.
        """
        opts = cls()
        check(lib().tc_store_options_init(ctypes.byref(opts), version), "tc_store_options_init")
        return opts

    def __repr__(self) -> str:
        return (
            "StoreOptions(version={}, backend={}, path={!r}, durability={}, "
            "busy_timeout_ms={}, checkpoint_every={}, allow_personal_data={})".format(
                self.version,
                self.backend,
                self.path,
                self.durability,
                self.busy_timeout_ms,
                self.checkpoint_every,
                self.allow_personal_data,
            )
        )


class Event(ctypes.Structure):
    """``tc_event``: one event for the typed append path (``tc_store_append``).

    String fields are bytes (UTF-8, NUL-terminated); the structure keeps the
    bytes objects alive while it lives. :meth:`Store.append_events` builds
    these from dicts.
    """

    _fields_ = [
        ("version", ctypes.c_uint32),
        ("tenant", ctypes.c_char_p),
        ("entity_type", ctypes.c_char_p),
        ("entity_id", ctypes.c_char_p),
        ("type", ctypes.c_char_p),
        ("payload_json", ctypes.c_char_p),
        ("time_us", ctypes.c_int64),
        ("author", ctypes.c_char_p),
        ("idempotency_key", ctypes.c_char_p),
    ]


class BktParams(ctypes.Structure):
    """``tc_bkt_params``: the BKT parameters of one skill.

    A plain value: ``BktParams(p_init=0.3, p_learn=0.2, p_guess=0.1,
    p_slip=0.05)``; ``p_forget`` is 0 for classic BKT.
    """

    _fields_ = [
        ("p_init", ctypes.c_double),
        ("p_learn", ctypes.c_double),
        ("p_guess", ctypes.c_double),
        ("p_slip", ctypes.c_double),
        ("p_forget", ctypes.c_double),
    ]

    def __init__(
        self,
        p_init: float = 0.0,
        p_learn: float = 0.0,
        p_guess: float = 0.0,
        p_slip: float = 0.0,
        p_forget: float = 0.0,
    ) -> None:
        super().__init__(p_init, p_learn, p_guess, p_slip, p_forget)

    @classmethod
    def from_mapping(cls, values: Any) -> "BktParams":
        """A ``BktParams`` from a dict with the field names (missing fields are
        0), or the same object when it already is one."""
        if isinstance(values, cls):
            return values
        if not hasattr(values, "keys"):
            raise TypeError("expected BktParams or a mapping, got {}".format(type(values).__name__))
        unknown = set(values.keys()) - {f[0] for f in cls._fields_}
        if unknown:
            raise InvalidArgument(
                "unknown BKT parameter(s): {}".format(", ".join(sorted(map(str, unknown))))
            )
        return cls(**{k: float(v) for k, v in values.items()})

    def to_dict(self) -> dict:
        """The parameters as a dict of floats."""
        return {name: float(getattr(self, name)) for name, _ in self._fields_}

    def predict(self, p_known: float) -> float:
        """P(right answer) for a student whose P(known) is ``p_known``."""
        return float(lib().tc_bkt_predict(p_known, ctypes.byref(self)))

    def update(self, p_known: float, correct: bool) -> float:
        """P(known) after one answer (posterior, then the transition)."""
        return float(lib().tc_bkt_update(p_known, 1 if correct else 0, ctypes.byref(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BktParams):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return "BktParams({})".format(
            ", ".join("{}={!r}".format(k, v) for k, v in self.to_dict().items())
        )


EventCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
ProgressCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_void_p)
TextCallback = ctypes.CFUNCTYPE(
    ctypes.c_int,
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.POINTER(ctypes.c_void_p),
    ctypes.POINTER(ctypes.c_size_t),
    ctypes.c_void_p,
)

TC_CLASSIFIER_VERSION = 1

# A host classifier's callbacks (tc_classify_callback and friends). The
# userdata is an id into the binding's registry of Python classifiers
# (tutorcore.classifier); the input is decoded with its length.
ClassifyCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p
)
SupportsConceptCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p)
DestroyCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class ClassifierStruct(ctypes.Structure):
    """``tc_classifier``: a host classifier's callbacks, as the header lays
    them out. Internal: :meth:`Tutor.register_classifier` fills one from a
    Python object. NULL (the default) for an optional callback."""

    _fields_ = [
        ("version", ctypes.c_uint32),
        ("userdata", ctypes.c_void_p),
        ("predict", ClassifyCallback),
        ("supports_concept", SupportsConceptCallback),
        ("predict_batch", ClassifyCallback),
        ("destroy", DestroyCallback),
    ]


# --------------------------------------------------------------------------
# Prototypes
# --------------------------------------------------------------------------

_p = ctypes.c_void_p  # every opaque handle
_pp = ctypes.POINTER(ctypes.c_void_p)  # handle** and char** out parameters
_str = ctypes.c_char_p
_size = ctypes.c_size_t
_int = ctypes.c_int
_dbl = ctypes.c_double

_PROTOTYPES: List[Tuple[str, Any, List[Any]]] = [
    ("tc_version", _str, []),
    ("tc_version_number", ctypes.c_uint32, []),
    ("tc_status_str", _str, [_int]),
    ("tc_last_error", _str, []),
    ("tc_free", None, [_p]),
    ("tc_store_options_init", _int, [ctypes.POINTER(StoreOptions), ctypes.c_uint32]),
    ("tc_domain_validate_dir", _int, [_pp, _str]),
    ("tc_domain_load", _int, [_pp, _str]),
    ("tc_domain_free", None, [_p]),
    ("tc_domain_describe", _int, [_pp, _p]),
    ("tc_store_open", _int, [_pp, ctypes.POINTER(StoreOptions)]),
    ("tc_store_free", None, [_p]),
    ("tc_store_describe", _int, [_pp, _p]),
    ("tc_store_append", _int, [ctypes.POINTER(ctypes.c_int64), _p, ctypes.POINTER(Event), _size]),
    ("tc_store_append_json", _int, [_pp, _p, _str, _size]),
    ("tc_store_read_json", _int, [_pp, _p, _str, _size]),
    ("tc_store_view_json", _int, [_pp, _p, _str, _size]),
    ("tc_store_rebuild_views", _int, [_p]),
    ("tc_store_checkpoint", _int, [_p]),
    ("tc_store_last_id", _int, [ctypes.POINTER(ctypes.c_int64), _p]),
    ("tc_store_subscribe", _int, [ctypes.POINTER(ctypes.c_uint64), _p, EventCallback, _p]),
    ("tc_store_unsubscribe", _int, [_p, ctypes.c_uint64]),
    ("tc_bkt_predict", _dbl, [_dbl, ctypes.POINTER(BktParams)]),
    ("tc_bkt_update", _dbl, [_dbl, _int, ctypes.POINTER(BktParams)]),
    ("tc_bkt_fit", _int, [_pp, _str, _size, ProgressCallback, _p]),
    ("tc_bkt_model_check", _int, [ctypes.POINTER(BktParams), _str, _size, _str]),
    ("tc_bkt_model_load", _int, [_pp, _str, _size]),
    ("tc_bkt_model_params", _int, [_p, _str, _str, _str, ctypes.POINTER(BktParams)]),
    ("tc_bkt_model_free", None, [_p]),
    ("tc_bkt_predict_multi", _dbl, [ctypes.POINTER(_dbl), ctypes.POINTER(BktParams), _size, _int]),
    ("tc_tutor_open", _int, [_pp, _p, _p, _str, _size]),
    ("tc_tutor_free", None, [_p]),
    ("tc_submit_response", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_act", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_profile", _int, [_p, _str, _str, _pp]),
    ("tc_tutor_snapshot", _int, [_p, _str, _str, _pp]),
    ("tc_tutor_evaluate_policy", _int, [_p, _str, _str, _pp]),
    ("tc_tutor_coaching", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_acknowledge_plan", _int, [_p, _str, ctypes.c_int64, _str, _str, _pp]),
    ("tc_tutor_set_text_callback", _int, [_p, TextCallback, _p]),
    ("tc_tutor_analytics", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_research_export", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_assign", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_diagnostic", _int, [_p, _str, _str, _pp]),
    ("tc_tutor_apply_diagnostic", _int, [_p, _str, _size, _pp]),
    ("tc_domain_problem", _int, [_p, _str, _pp]),
    ("tc_domain_generate", _int, [_p, _str, _size, _pp]),
    ("tc_sim_run", _int, [_p, _str, _size, _pp]),
    ("tc_classifier_reply_set", _int, [_p, _str, _size]),
    ("tc_classifier_reply_error", _int, [_p, _str]),
    ("tc_tutor_register_classifier", _int, [_p, _str, ctypes.POINTER(ClassifierStruct)]),
    ("tc_tutor_unregister_classifier", _int, [_p, _str]),
    ("tc_tutor_set_routing", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_classify", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_classify_batch", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_review_classification", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_export_labels", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_load_model", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_detect_bias", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_bias_summary", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_set_metacog", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_moderate", _int, [_p, _str, _size, _pp]),
    ("tc_tutor_moderation_status", _int, [_p, _str, _str, ctypes.c_int64, _pp]),
    ("tc_tutor_set_moderation", _int, [_p, _str, _size, _pp]),
    ("tc_irt_probability", _dbl, [_dbl, _dbl, _dbl]),
    ("tc_irt_information", _dbl, [_dbl, _dbl, _dbl]),
    ("tc_irt_theta_from_mastery", _dbl, [_dbl]),
]


class Library:
    """The loaded shared library with every C function declared.

    Attributes named after the C functions (``tc_version``, ...) are the
    ctypes function objects; ``path`` is what was handed to the loader and
    ``source`` says which step of the search found it.
    """

    def __init__(self, cdll: ctypes.CDLL, path: str, source: str) -> None:
        self.cdll = cdll
        self.path = path
        self.source = source
        missing = []
        for name, restype, argtypes in _PROTOTYPES:
            try:
                fn = getattr(cdll, name)
            except AttributeError:
                missing.append(name)
                continue
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name, fn)
        if missing:
            raise LibraryNotFound(
                "{} ({}) lacks {}: it is older than this binding needs; build "
                "tutorcore 0.1 or newer".format(path, source, ", ".join(missing))
            )

    def __getattr__(self, name: str) -> Any:  # for type checkers: functions are set above
        raise AttributeError(name)


_lock = threading.Lock()
_loaded: Optional[Library] = None


def _default_soname() -> str:
    if sys.platform == "darwin":
        return "libtutorcore.{}.dylib".format(ABI_VERSION)
    if sys.platform == "win32":
        return "tutorcore.dll"
    return "libtutorcore.so.{}".format(ABI_VERSION)


def _found_name_fits(name: str) -> bool:
    """Whether find_library's answer is of our ABI (an ``.so.N`` with another
    N belongs to another ABI and is skipped)."""
    base = os.path.basename(name)
    marker = ".so."
    if marker in base:
        return base.split(marker, 1)[1].split(".", 1)[0] == str(ABI_VERSION)
    return True


def candidates(path: Optional[PathLike] = None) -> List[Tuple[str, str]]:
    """Where :func:`load_library` looks, in order, as (source, name) pairs.

    An explicit ``path`` is the only candidate; otherwise ``$TUTORCORE_LIBRARY``
    when set; otherwise ``ctypes.util.find_library("tutorcore")`` (when its
    answer is of ABI 0) and then the bare SONAME for the default loader path
    (``LD_LIBRARY_PATH``, the ld.so cache, the system directories).
    """
    if path is not None:
        return [("path argument", os.fsdecode(os.fspath(path)))]
    env = os.environ.get(ENV_VAR)
    if env:
        return [("${}".format(ENV_VAR), env)]
    out: List[Tuple[str, str]] = []
    found = ctypes.util.find_library("tutorcore")
    if found and _found_name_fits(found):
        out.append(("ctypes.util.find_library", found))
    soname = _default_soname()
    if not out or out[0][1] != soname:
        out.append(("default loader path", soname))
    return out


def load_library(path: Optional[PathLike] = None) -> Library:
    """Loads libtutorcore once per process and declares its functions.

    Search order: the explicit ``path`` argument, then the environment
    variable ``TUTORCORE_LIBRARY``, then ``ctypes.util.find_library`` and the
    default loader path (``libtutorcore.so.0``). Calling it is optional: the
    first use of any tutorcore object loads the library the same way.

    Raises:
        LibraryNotFound: nothing loadable was found (the message lists every
            place tried), or the library lacks a function of this binding.
        RuntimeError: a different library file is already loaded in this
            process (handles of two copies must never mix).
    """
    global _loaded
    with _lock:
        if _loaded is not None:
            if path is not None and os.path.realpath(os.fsdecode(os.fspath(path))) != os.path.realpath(
                _loaded.path
            ):
                raise RuntimeError(
                    "tutorcore is already loaded from {}; call load_library({!r}) before the "
                    "first use of the library".format(_loaded.path, os.fsdecode(os.fspath(path)))
                )
            return _loaded
        tried = []
        for source, name in candidates(path):
            try:
                cdll = ctypes.CDLL(name)
            except OSError as exc:
                tried.append("{} ({}): {}".format(name, source, exc))
                continue
            _loaded = Library(cdll, name, source)
            return _loaded
        raise LibraryNotFound(
            "cannot load the tutorcore shared library; tried: {}. Build it (cmake --build BUILD "
            "--target tutorcore) and set {} to BUILD/libtutorcore.so.{}, pass the path to "
            "tutorcore.load_library(), or install it where the loader looks".format(
                "; ".join(tried), ENV_VAR, ABI_VERSION
            )
        )


def lib() -> Library:
    """The loaded library, loading it on first use."""
    loaded = _loaded
    return loaded if loaded is not None else load_library()


# --------------------------------------------------------------------------
# Call helpers
# --------------------------------------------------------------------------


def last_error() -> str:
    """``tc_last_error()`` of this thread, decoded."""
    return (lib().tc_last_error() or b"").decode("utf-8", "replace")


def check(status: int, function: str) -> None:
    """Raises the exception for a non-OK ``status`` with this thread's
    ``tc_last_error()`` message. Call it right after the C call."""
    if status != 0:
        message = last_error()
        if not message:
            message = (lib().tc_status_str(status) or b"").decode("utf-8", "replace")
        raise error_for_status(status, message, function)


def take_string(out: ctypes.c_void_p) -> Optional[bytes]:
    """Copies a library-allocated string and releases it with ``tc_free``."""
    if not out.value:
        return None
    try:
        return ctypes.string_at(out.value)
    finally:
        lib().tc_free(out.value)
        out.value = None


def take_json(out: ctypes.c_void_p) -> Any:
    """Decodes a library-allocated JSON string (freed with ``tc_free``)."""
    text = take_string(out)
    return None if text is None else json.loads(text)


def call_json(fn: Callable[..., int], *args: Any, out_first: bool = True) -> Any:
    """Calls a function with a ``char **out_json`` parameter (first or last),
    raises on failure (freeing any output), and returns the decoded document."""
    out = ctypes.c_void_p()
    full = (ctypes.byref(out),) + args if out_first else args + (ctypes.byref(out),)
    status = fn(*full)
    if status != 0:
        try:
            check(status, fn.__name__)
        finally:  # some functions leave an output on failure: free it
            take_string(out)
    return take_json(out)


def encode_json(doc: Any, what: str = "document") -> bytes:
    """A JSON input as UTF-8 bytes: a dict or list is encoded with the json
    module; str and bytes pass through unchanged (already JSON text)."""
    if isinstance(doc, (bytes, bytearray, memoryview)):
        return bytes(doc)
    if isinstance(doc, str):
        return doc.encode("utf-8")
    try:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
            "utf-8"
        )
    except (TypeError, ValueError) as exc:
        raise InvalidArgument("{} cannot be encoded as JSON: {}".format(what, exc)) from exc


def encode_str(value: Any, what: str) -> bytes:
    """A text argument as UTF-8 bytes (str or bytes)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError("{} must be a str, not {}".format(what, type(value).__name__))


def encode_path(value: Any, what: str = "path") -> bytes:
    """A filesystem path (str, bytes or os.PathLike) as bytes."""
    try:
        return os.fsencode(value)
    except TypeError:
        raise TypeError(
            "{} must be a str, bytes or os.PathLike, not {}".format(what, type(value).__name__)
        ) from None


def merge_request(request: Any, fields: dict, what: str) -> Any:
    """A request given as a dict, as JSON text, or as keyword fields (or a
    dict plus keyword fields, the keywords winning)."""
    if request is None:
        return dict(fields)
    if fields:
        if isinstance(request, (str, bytes, bytearray, memoryview)):
            raise TypeError("{}: give either JSON text or keyword fields, not both".format(what))
        merged = dict(request)
        merged.update(fields)
        return merged
    return request
