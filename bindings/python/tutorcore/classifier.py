"""Host classifiers: Python objects the tutor's router asks to classify answers.

:meth:`Tutor.register_classifier` registers a Python classifier through
``tc_tutor_register_classifier``. The library calls it back through the
``tc_classifier`` callbacks, on the thread that submits or classifies
(possibly several threads at once), with the documents of
``include/tutorcore/tutorcore.h`` decoded as dicts::

    class Llm(tutorcore.Classifier):
        def predict(self, item):
            # item: {"schema_version", "problem": {"id", "text", "correct_answer",
            #        "concept_id"}, "answer", "concept": {"id", "name", "misconceptions"}}
            return {"label": "mis_sign", "confidence": 0.85, "reason": "llm"}

    tutor.register_classifier("host", Llm())

A plain function is a classifier with only ``predict``. Deriving from
:class:`Classifier` is optional: any object with a ``predict`` method
works, and its ``predict_batch``, ``supports_concept`` and ``release``
methods are used when it has them.

How the binding keeps the callbacks safe: the C function pointers are
module-level trampolines that live as long as the process; the library's
``userdata`` is an id into a registry that holds the Python classifier from
registration until the library calls ``destroy`` (at
``tc_tutor_unregister_classifier`` or when the tutor is freed, after the
last call in flight), which drops it and calls its ``release()``. An
exception raised by a callback becomes ``tc_classifier_reply_error`` with
``"<ExceptionType>: <message>"`` and a non-zero return, so the call fails
with ``TC_EUSER`` (:class:`~tutorcore.Cancelled`) carrying that message,
the Python exception chained as ``__cause__``.
"""

from __future__ import annotations

import ctypes
import itertools
import json
import threading
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from ._native import (
    TC_CLASSIFIER_VERSION,
    ClassifierStruct,
    ClassifyCallback,
    DestroyCallback,
    SupportsConceptCallback,
    encode_json,
    lib,
)

__all__ = ["Classifier", "Prediction", "ClassifierWarning"]

#: What a host classifier's ``predict`` returns: ``{"label": "correct" |
#: "unknown" | a misconception id, "confidence": 0..1, "reason"?: str}``, or
#: the same as JSON text.
Prediction = Union[Mapping[str, Any], str, bytes]


class ClassifierWarning(RuntimeWarning):
    """A host classifier's ``supports_concept`` or ``release`` raised: the
    library cannot be told (``supports_concept`` then answers no)."""


class Classifier:
    """Base class of a host classifier (optional: any object with a
    ``predict`` method will do).

    Override :meth:`predict`. Define ``predict_batch(items)`` to get the
    answers of a ``classify_batch`` together (else ``predict`` is called once
    per answer), ``supports_concept(concept_id)`` to be asked only about some
    concepts, and ``release()`` to free resources when the tutor lets the
    classifier go.
    """

    def predict(self, item: Dict[str, Any]) -> Prediction:
        """Classifies one answer.

        Args:
            item: ``{"schema_version": 1, "problem": {"id", "text",
                "correct_answer", "concept_id"}, "answer", "concept": {"id",
                "name", "misconceptions": [{"id", "label", "description",
                "examples": [{"problem", "wrong", "correct"}]}]}}``: the
                catalog an LLM reads. For the bias detector and moderation,
                ``answer`` holds the feature document or the message.
        Returns:
            ``{"label", "confidence", "reason"?}``; ``label`` is
            ``"correct"``, ``"unknown"`` or a misconception id.
        Raises:
            Anything: the call that asked fails with ``TC_EUSER`` and the
            exception's message (or, with routing ``on_error: "skip"``, the
            router passes the answer on).
        """
        raise NotImplementedError("a host classifier must define predict(item)")


class _Entry:
    """What the registry holds for one registration."""

    __slots__ = (
        "name",
        "classifier",
        "owner",
        "predict",
        "predict_batch",
        "supports_concept",
        "release",
    )

    def __init__(self, name: str, classifier: Any, owner: Any) -> None:
        self.name = name
        self.classifier = classifier
        self.owner = owner  # the tutor's handle cell: guards against calls back into it
        if callable(classifier) and not hasattr(classifier, "predict"):
            self.predict: Callable[[Dict[str, Any]], Any] = classifier
            self.predict_batch: Optional[Callable[[List[Dict[str, Any]]], Any]] = None
            self.supports_concept: Optional[Callable[[str], Any]] = None
            self.release: Optional[Callable[[], Any]] = None
            return
        predict = getattr(classifier, "predict", None)
        if not callable(predict):
            raise TypeError(
                "a classifier must be a function or have a predict(item) method, not {}".format(
                    type(classifier).__name__
                )
            )
        self.predict = predict
        self.predict_batch = _method(classifier, "predict_batch")
        self.supports_concept = _method(classifier, "supports_concept")
        self.release = _method(classifier, "release")


def _method(obj: Any, name: str) -> Optional[Callable[..., Any]]:
    fn = getattr(obj, name, None)
    return fn if callable(fn) else None


_lock = threading.Lock()
_ids = itertools.count(1)
_entries: Dict[int, _Entry] = {}
_tls = threading.local()


class _calling:
    """Marks, on this thread, that a callback of the tutor ``owner`` runs."""

    __slots__ = ("owner",)

    def __init__(self, owner: Any) -> None:
        self.owner = owner

    def __enter__(self) -> None:
        stack = getattr(_tls, "owners", None)
        if stack is None:
            stack = _tls.owners = []
        stack.append(self.owner)

    def __exit__(self, *exc: Any) -> None:
        _tls.owners.pop()


def in_callback(owner: Any) -> bool:
    """Whether a host classifier of the tutor ``owner`` (its handle cell) is
    running on this thread: a call into that tutor now would deadlock."""
    return any(o is owner for o in getattr(_tls, "owners", ()))


def _message(exc: BaseException) -> bytes:
    text = str(exc)
    text = "{}: {}".format(type(exc).__name__, text) if text else type(exc).__name__
    return text.replace("\0", " ").encode("utf-8", "replace")


def _fail(reply: Optional[int], exc: BaseException) -> int:
    _tls.error = exc
    try:
        lib().tc_classifier_reply_error(reply, _message(exc))
    except BaseException:  # pragma: no cover - the library refused a valid reply
        pass
    return 1


def _encode_reply(value: Any, batch: bool) -> bytes:
    what = "predict_batch's reply" if batch else "predict's reply"
    if value is None:
        expected = "a list of predictions" if batch else '{"label", "confidence", "reason"?}'
        raise TypeError("{} is None: return {}".format(what, expected))
    if batch and not isinstance(value, (str, bytes, bytearray, memoryview)):
        value = list(value)
    elif not batch and isinstance(value, Mapping):
        value = dict(value)
    return encode_json(value, what)


def _answer(
    userdata: Optional[int], data: Optional[int], length: int, reply: Optional[int], batch: bool
) -> int:
    try:
        entry = _entries.get(userdata or 0)
        if entry is None:
            raise RuntimeError("host classifier #{} is not registered".format(userdata))
        doc = json.loads(ctypes.string_at(data, length).decode("utf-8")) if length else {}
        with _calling(entry.owner):
            if batch:
                assert entry.predict_batch is not None
                result = entry.predict_batch(doc["items"])
            else:
                result = entry.predict(doc)
        text = _encode_reply(result, batch)
    except BaseException as exc:  # every exception becomes the call's TC_EUSER
        return _fail(reply, exc)
    if lib().tc_classifier_reply_set(reply, text, len(text)) != 0:  # pragma: no cover
        return _fail(reply, RuntimeError("tc_classifier_reply_set refused the reply"))
    return 0


def _predict(
    userdata: Optional[int], data: Optional[int], length: int, reply: Optional[int]
) -> int:
    return _answer(userdata, data, length, reply, False)


def _predict_batch(
    userdata: Optional[int], data: Optional[int], length: int, reply: Optional[int]
) -> int:
    return _answer(userdata, data, length, reply, True)


def _supports(userdata: Optional[int], concept_id: Optional[bytes]) -> int:
    entry = _entries.get(userdata or 0)
    if entry is None or entry.supports_concept is None:
        return 1
    try:
        with _calling(entry.owner):
            return 1 if entry.supports_concept((concept_id or b"").decode("utf-8")) else 0
    except BaseException as exc:  # cannot be reported to the library: warn, answer no
        warnings.warn(
            "host classifier {!r}: supports_concept raised {!r}; answering no".format(
                entry.name, exc
            ),
            ClassifierWarning,
            stacklevel=2,
        )
        return 0


def _destroy(userdata: Optional[int]) -> None:
    with _lock:
        entry = _entries.pop(userdata or 0, None)
    if entry is not None and entry.release is not None:
        try:
            entry.release()
        except BaseException as exc:
            warnings.warn(
                "host classifier {!r}: release raised {!r}".format(entry.name, exc),
                ClassifierWarning,
                stacklevel=2,
            )


# The C function pointers: created once, alive as long as the process.
_PREDICT = ClassifyCallback(_predict)
_PREDICT_BATCH = ClassifyCallback(_predict_batch)
_SUPPORTS = SupportsConceptCallback(_supports)
_DESTROY = DestroyCallback(_destroy)


def prepare(name: str, classifier: Any, owner: Any) -> Tuple[int, ClassifierStruct]:
    """Adds a classifier to the registry and fills its ``tc_classifier``.
    ``owner`` is the tutor's handle cell. The caller registers it, and calls
    :func:`discard` if that fails (the library does not call destroy then)."""
    entry = _Entry(name, classifier, owner)
    with _lock:
        uid = next(_ids)
        _entries[uid] = entry
    c = ClassifierStruct()
    c.version = TC_CLASSIFIER_VERSION
    c.userdata = uid
    c.predict = _PREDICT
    if entry.supports_concept is not None:
        c.supports_concept = _SUPPORTS
    if entry.predict_batch is not None:
        c.predict_batch = _PREDICT_BATCH
    c.destroy = _DESTROY
    return uid, c


def discard(uid: int) -> None:
    """Drops a registry entry the library never took."""
    with _lock:
        _entries.pop(uid, None)


def registered_count() -> int:
    """How many host classifiers the library holds now (for tests)."""
    with _lock:
        return len(_entries)


def clear_error() -> None:
    """Forgets this thread's last callback exception."""
    _tls.error = None


def take_error() -> Optional[BaseException]:
    """This thread's last callback exception (and forgets it)."""
    exc = getattr(_tls, "error", None)
    _tls.error = None
    return exc
