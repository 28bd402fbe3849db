"""A tutor: the one-call answer pipeline, the teacher's actions and coaching,
class analytics, adaptive sequencing, classifiers (host classifiers written in
Python among them), metacognitive bias detection and moderation."""

from __future__ import annotations

import ctypes
import json
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from . import classifier as _classifier
from ._handle import Handle
from ._native import (
    PathLike,
    TextCallback,
    call_json,
    check,
    encode_json,
    encode_str,
    lib,
    merge_request,
    take_string,
)
from .domain import Domain
from .errors import Cancelled, InvalidArgument
from .store import Store

__all__ = ["Tutor"]

JsonDoc = Union[Mapping[str, Any], str, bytes]


class Tutor(Handle):
    """A tutor (``tc_tutor``): a domain, a store and the pipeline's
    configuration. See docs/pipeline.md for the documents.

    Args:
        store: the event store. The tutor keeps a reference to it, and closing
            the store closes the tutor first (the store must outlive it).
        domain: a :class:`Domain`, or a domain directory to load. The tutor
            copies the domain, which may be closed afterwards.
        config: ``None`` for the defaults, or a dict (or JSON text) with any of
            ``mastery``, ``escalation``, ``outcome``, ``policy``,
            ``policy_kind``, ``target_p_correct``, ``next_problems``,
            ``typical_response_ms``, ``seed``.

    Calls on one tutor are serialised by the library; any thread may call.
    Host classifiers (:meth:`register_classifier`) run on the thread that
    submits or classifies and must not call the same tutor.

    Raises:
        InvalidArgument: naming the configuration field.
    """

    def __init__(
        self,
        store: Store,
        domain: Union[Domain, PathLike],
        config: Optional[JsonDoc] = None,
    ) -> None:
        if not isinstance(store, Store):
            raise TypeError("store must be a tutorcore.Store, not {}".format(type(store).__name__))
        L = lib()
        self.store: Store = store
        if isinstance(domain, Domain):
            self._open(L, store, domain, config)
        elif isinstance(domain, (str, bytes, os.PathLike)):
            with Domain(domain) as loaded:
                self._open(L, store, loaded, config)
        else:
            raise TypeError(
                "domain must be a tutorcore.Domain or a directory, not {}".format(
                    type(domain).__name__
                )
            )

    def _open(self, L: Any, store: Store, domain: Domain, config: Optional[JsonDoc]) -> None:
        data = None if config is None else encode_json(config, "tutor config")
        out = ctypes.c_void_p()
        check(
            L.tc_tutor_open(
                ctypes.byref(out),
                store._ptr(),
                domain._ptr(),
                data,
                0 if data is None else len(data),
            ),
            "tc_tutor_open",
        )
        self._own(out.value or 0, L.tc_tutor_free)
        assert self._cell is not None
        try:
            store._add_dependent(self._cell)
        except BaseException:
            self._cell.release()
            raise

    def close(self) -> None:
        """Releases the tutor (``tc_tutor_free``). Idempotent. The library
        lets its host classifiers go (each one's ``release()`` is called) and
        the text generator is dropped.

        Raises:
            InvalidArgument: called from one of this tutor's own host
                classifiers (the tutor is in use by the call that asked it).
        """
        cell = self._cell
        if cell is not None and cell.ptr and _classifier.in_callback(cell):
            raise InvalidArgument(
                "a host classifier must not close the tutor that asked it (it is in use)"
            )
        super().close()
        store = getattr(self, "store", None)
        if cell is not None and store is not None:
            store._remove_dependent(cell)
        self._text_callback = None

    # -- helpers -------------------------------------------------------------

    def _ptr(self) -> int:
        cell = self._cell
        if cell is not None and _classifier.in_callback(cell):
            raise InvalidArgument(
                "a host classifier must not call the tutor that asked it (the call would "
                "wait for itself)"
            )
        return super()._ptr()

    def _json(self, function: str, request: Any, fields: Dict[str, Any], what: str) -> Any:
        """Calls ``function(tutor, json, len, &out_json)`` with a request
        given as a dict, JSON text or keyword fields."""
        data = encode_json(merge_request(request, fields, what), what)
        return call_json(getattr(lib(), function), self._ptr(), data, len(data), out_first=False)

    def _classifying(self, function: str, request: Any, fields: Dict[str, Any], what: str) -> Any:
        """As :meth:`_json`, for the calls that may ask a host classifier: a
        ``TC_EUSER`` failure carries the callback's exception as ``__cause__``."""
        _classifier.clear_error()
        try:
            return self._json(function, request, fields, what)
        except Cancelled as err:
            cause = _classifier.take_error()
            if cause is None:
                raise
            if not isinstance(cause, Exception):  # KeyboardInterrupt, SystemExit
                raise cause from err
            raise err from cause
        finally:
            _classifier.clear_error()

    def _settings(self, function: str, settings: Any, fields: Dict[str, Any], what: str) -> Any:
        """Calls a ``tc_tutor_set_*``: nothing given reads the settings."""
        if settings is None and not fields:
            return call_json(getattr(lib(), function), self._ptr(), None, 0, out_first=False)
        return self._json(function, settings, fields, what)

    def submit(self, request: Optional[JsonDoc] = None, /, **fields: Any) -> Dict[str, Any]:
        """Processes one student answer (``tc_submit_response``): classifies
        it, updates mastery, assesses interventions, advances escalation,
        recommends an intervention for the teacher and proposes the next
        problems, appending every event in one transaction.

        The request (a dict, JSON text, or keyword fields): ``tenant``,
        ``student``, ``problem_id``, ``answer``, ``idempotency_key``, and
        optionally ``latency_ms`` and ``time_us``. A retry with the same
        idempotency key returns the first result and appends nothing.

        Returns:
            ``{"schema_version", "response_event_id", "correct",
            "misconception", "mastery", "outcomes", "escalation", "detected",
            "recommendations", "next_problems", "event_ids", ...}``.
        Raises:
            InvalidArgument: naming the request field (nothing is stored).
            NotFound: a problem the domain lacks.
            StorageError: the store failed.
            Cancelled: a host classifier raised (``TC_EUSER``; the message
                holds its exception, chained as ``__cause__``).
        """
        return self._classifying("tc_submit_response", request, fields, "submit request")

    def act(self, request: Optional[JsonDoc] = None, /, **fields: Any) -> Dict[str, Any]:
        """A teacher's action on one student's misconception
        (``tc_tutor_act``).

        The request: ``action`` (``"approve"``, ``"record_outcome"``,
        ``"acknowledge"``, ``"resolve"``, ``"conference_failed"``),
        ``tenant``, ``student``, ``misconception_id``, ``teacher_id``, and
        optionally ``modality``, ``outcome``, ``idempotency_key``,
        ``time_us``.

        Returns:
            ``{"schema_version", "events", "recommendations", "event_ids"}``.
        Raises:
            InvalidArgument: the escalation's state does not allow the action
                (the message names the state), or a field is bad.
            NotFound: the student has no such escalation.
        """
        return self._json("tc_tutor_act", request, fields, "teacher action")

    def profile(self, tenant: str, student: str) -> Dict[str, Any]:
        """The student's learning profile (``tc_tutor_profile``), also appended
        to the log as ``profile.computed``.

        Returns:
            ``{"schema_version", "event_id", "profile": {...}}``.
        Raises:
            NotFound: a student without responses.
        """
        return call_json(
            lib().tc_tutor_profile,
            self._ptr(),
            encode_str(tenant, "tenant"),
            encode_str(student, "student"),
            out_first=False,
        )

    def snapshot(self, tenant: str, student: str) -> Dict[str, Any]:
        """A read-only student snapshot (``tc_tutor_snapshot``): mastery per
        concept as a Beta distribution with its strategy, misconceptions with
        their lifecycle, weak areas, recent answers."""
        return call_json(
            lib().tc_tutor_snapshot,
            self._ptr(),
            encode_str(tenant, "tenant"),
            encode_str(student, "student"),
            out_first=False,
        )

    def coaching(self, request: Optional[JsonDoc] = None, /, **fields: Any) -> Dict[str, Any]:
        """A coaching output (``tc_tutor_coaching``): ``plan`` is
        ``"pre_class"``, ``"debrief"`` (needs ``since_us``) or
        ``"parent_summary"`` (needs ``student``); ``tenant``, and optionally
        ``classroom``, ``students``, ``roster`` ({id: display name}, used for
        the text only, never stored), ``now_us``, ``title``.

        Returns:
            ``{"schema_version", "event_id", "plan", "text"}`` (parent
            summary: ``"source"``, ``"context"``, ``"text"``).
        Raises:
            InvalidArgument: a bad request field.
        """
        return self._json("tc_tutor_coaching", request, fields, "coaching request")

    def acknowledge_plan(
        self,
        tenant: str,
        plan_event_id: int,
        teacher_id: str,
        modifications: Optional[JsonDoc] = None,
    ) -> Dict[str, Any]:
        """A teacher acknowledges a coaching plan (``tc_tutor_acknowledge_plan``),
        with modifications (a dict) or none.

        Raises:
            NotFound: ``plan_event_id`` is not a plan of the tenant.
        """
        mods = None if modifications is None else encode_json(modifications, "modifications")
        return call_json(
            lib().tc_tutor_acknowledge_plan,
            self._ptr(),
            encode_str(tenant, "tenant"),
            int(plan_event_id),
            encode_str(teacher_id, "teacher_id"),
            mods,
            out_first=False,
        )

    def set_text_generator(
        self, generator: Optional[Callable[[Dict[str, Any]], Optional[str]]]
    ) -> None:
        """Registers a text generator for parent summaries
        (``tc_tutor_set_text_callback``): called with the structured context
        (a dict, ids only) on the thread of :meth:`coaching`, it returns the
        text, or ``None`` (or raises) to fall back to the template. ``None``
        removes it. The tutor keeps the generator until it is replaced,
        removed or the tutor is closed.
        """
        if generator is None:
            check(
                lib().tc_tutor_set_text_callback(self._ptr(), TextCallback(), None),
                "tc_tutor_set_text_callback",
            )
            self._text_callback = None
            return
        if not callable(generator):
            raise TypeError(
                "generator must be callable or None, not {}".format(type(generator).__name__)
            )
        # The text must stay valid until the next call: the latest is kept here
        # (calls on one tutor are serialised). No reference to the tutor: no cycle.
        latest: Dict[str, Any] = {}

        def trampoline(context, length, out_text, out_len, _userdata):  # type: ignore
            try:
                text = generator(json.loads(ctypes.string_at(context, length).decode("utf-8")))
                if not isinstance(text, str) or not text:
                    return 1  # None or no text: the template
                data = text.encode("utf-8")
            except Exception:  # a failing generator falls back to the template
                return 1
            buffer = ctypes.create_string_buffer(data, len(data))
            latest["text"] = buffer
            out_text[0] = ctypes.addressof(buffer)
            out_len[0] = len(data)
            return 0

        callback = TextCallback(trampoline)
        check(
            lib().tc_tutor_set_text_callback(self._ptr(), callback, None),
            "tc_tutor_set_text_callback",
        )
        self._text_callback = (callback, latest)  # kept alive while registered

    def evaluate_policy(self, tenant: str, target: str = "thompson") -> Dict[str, Any]:
        """Off-policy evaluation from the log (``tc_tutor_evaluate_policy``):
        the resolution rate ``target`` (``"thompson"``, ``"greedy"`` or
        ``"uniform"``) would have had, by inverse propensity scoring.

        Returns:
            ``{"schema_version", "target", "records", "ips", "ips_se",
            "snips", "snips_se", "effective_records", "logged_value"}``.
        Raises:
            InvalidArgument: an unknown target.
            NotFound: the log holds no recommendation with a known outcome.
        """
        return call_json(
            lib().tc_tutor_evaluate_policy,
            self._ptr(),
            encode_str(tenant, "tenant"),
            encode_str(target, "target"),
            out_first=False,
        )

    # -- class analytics -------------------------------------------------------

    def analytics(self, request: Optional[JsonDoc] = None, /, **fields: Any) -> Dict[str, Any]:
        """What the class as a whole shows (``tc_tutor_analytics``), from the
        store's views; reads only. docs/analytics.md has the documents.

        The request: ``analysis`` (``"cooccurrence"``, ``"effectiveness"``,
        ``"cohorts"``, ``"prerequisites"``, ``"drift"`` or ``"all"``),
        ``tenant``, and optionally ``classroom`` (only its students; a host
        enrolls a student with a ``classroom.enrolled`` event), ``misconception_id``
        (effectiveness and cohorts) and ``config`` (``z``, ``min_trials``,
        ``mastery_min_attempts``, ``prerequisite_cooccurrence``,
        ``prerequisite_min_students``, ``prerequisite_min_lift``,
        ``drift_fail_rate``, ``drift_min_students``, ``drift_min_attempts``).

        Safe while other threads submit on the same tutor (the views are
        copied under the store's lock, then analysed without it).

        Returns:
            ``{"schema_version", "tenant", "classroom", "students", "config",
            ...}`` plus ``"cooccurrence"``, ``"effectiveness"``, ``"cohorts"``,
            ``"prerequisites"``, ``"drift"`` as requested.
        Raises:
            InvalidArgument: naming the request field.
            NotFound: a classroom without enrolled students, or a
                misconception the domain lacks.
        """
        return self._json("tc_tutor_analytics", request, fields, "analytics request")

    def research_export(self, request: Optional[JsonDoc] = None, /, **fields: Any) -> Dict[str, Any]:
        """A de-identified export of one tenant's learning analytics for
        research (``tc_tutor_research_export``; docs/privacy.md); reads only.

        The request: ``tenant`` and optionally ``min_group_size`` (2..1000000,
        default 10). Aggregates only, with no student, classroom or tenant
        id, no event id and no time finer than a day: cohorts (classrooms as
        ``"cohort_1"``..., and ``"unassigned"``), per concept the students,
        mean mastery and share mastered per cohort and in total with each
        misconception's prevalence, and per misconception and modality the
        intervention outcomes with Wilson 95% intervals. A cell of fewer than
        ``min_group_size`` students has null numbers and ``"suppressed":
        true``, with complementary suppression where a total would reveal it.

        Raises:
            InvalidArgument: naming the request field (also a tenant without
                any data).
        """
        return self._json("tc_tutor_research_export", request, fields, "research export request")

    # -- adaptive sequencing -----------------------------------------------------

    def assign(self, request: Optional[JsonDoc] = None, /, **fields: Any) -> Dict[str, Any]:
        """A personalised assignment for one student on target concepts
        (``tc_tutor_assign``): remediation, diagnostic, target and spaced
        review items, each with the reason it was chosen; appended as
        ``assignment.created``.

        The request: ``tenant``, ``student``, ``concepts`` (ids), and
        optionally ``idempotency_key``, ``time_us`` and ``config``
        (``prereq_threshold``, ``target_p_correct``, ``items_per_concept``,
        ``max_items``, ... overriding the tutor's for this request). A retry
        with the same key returns the first result.

        Returns:
            ``{"schema_version", "event_id", "tenant", "student",
            "assignment": {"student", "concepts", "problems": [{"problem_id",
            "concept_id", "kind", "text", "p_correct", "mastery",
            "generated", "reason", ...}], "notes", "rules"}}``.
        Raises:
            InvalidArgument: naming the request field.
            NotFound: a concept the domain lacks.
        """
        return self._json("tc_tutor_assign", request, fields, "assign request")

    def diagnostic(self, tenant: str, student: str) -> Dict[str, Any]:
        """The cold-start diagnostic for a new student (``tc_tutor_diagnostic``):
        5 to 8 items spread over the prerequisite graph. Reads only.

        Returns:
            ``{"schema_version", "tenant", "student", "items": [{"problem_id",
            "concept_id", "kind", "text", "p_correct", "mastery",
            "generated", "information", "reason"}], "coverage", "notes"}``.
        Raises:
            AlreadyExists: the student already has mastery.
            InvalidArgument: an empty id.
        """
        return call_json(
            lib().tc_tutor_diagnostic,
            self._ptr(),
            encode_str(tenant, "tenant"),
            encode_str(student, "student"),
            out_first=False,
        )

    def apply_diagnostic(
        self, request: Optional[JsonDoc] = None, /, **fields: Any
    ) -> Dict[str, Any]:
        """Applies a new student's answers to the diagnostic
        (``tc_tutor_apply_diagnostic``): classifies each answer and appends
        ``diagnostic.completed``, the responses, the misconceptions shown and
        a mastery prior per concept, in one transaction.

        The request: ``tenant``, ``student``, ``answers`` (``[{"problem_id",
        "answer", "latency_ms"?}]``), ``idempotency_key``, and optionally
        ``time_us``.

        Returns:
            ``{"schema_version", "event_id", "tenant", "student",
            "event_ids", "diagnostic": {"student", "answered", "correct",
            "misconceptions", "priors"}}``.
        Raises:
            InvalidArgument: naming the request field.
            NotFound: a problem the domain lacks.
            AlreadyExists: the student already has mastery.
            Cancelled: a host classifier raised.
        """
        return self._classifying(
            "tc_tutor_apply_diagnostic", request, fields, "apply diagnostic request"
        )

    # -- classifiers -------------------------------------------------------------

    def register_classifier(self, name: str, classifier: Any) -> None:
        """Registers a host classifier written in Python under ``name``
        (``tc_tutor_register_classifier``; 1 to 64 of ``a-z 0-9 _ -``, not
        ``"hybrid"``).

        ``classifier`` is a function ``predict(item) -> prediction``, or an
        object with a ``predict(item)`` method and optionally
        ``predict_batch(items) -> [prediction, ...]``,
        ``supports_concept(concept_id) -> bool`` and ``release()`` (see
        :class:`tutorcore.Classifier`). ``item`` is the library's input
        document as a dict; a prediction is ``{"label", "confidence",
        "reason"?}``. The router asks it where the route names it (default
        route ``["model", "rules", "catalog", "host"]``; see
        :meth:`set_routing`).

        The classifier is called on the thread that submits or classifies,
        possibly on several threads at once, and must not call this tutor.
        An exception it raises fails that call with :class:`Cancelled`
        (``TC_EUSER``) carrying ``"<ExceptionType>: <message>"``. The library
        keeps it until :meth:`unregister_classifier` or :meth:`close`, then
        calls its ``release()``.

        Raises:
            InvalidArgument: a bad name.
            AlreadyExists: the name is taken (unregister it first).
            TypeError: not a function nor an object with ``predict``.
        """
        raw_name = encode_str(name, "name")
        uid, struct = _classifier.prepare(
            raw_name.decode("utf-8", "replace"), classifier, self._cell
        )
        try:
            status = lib().tc_tutor_register_classifier(self._ptr(), raw_name, ctypes.byref(struct))
        except BaseException:
            _classifier.discard(uid)
            raise
        if status != 0:
            _classifier.discard(uid)  # refused: the library keeps nothing
            check(status, "tc_tutor_register_classifier")

    def unregister_classifier(self, name: str) -> None:
        """Removes a classifier (``tc_tutor_unregister_classifier``): a host's,
        a loaded model, or the built-in ``"rules"`` or ``"catalog"``. A host
        classifier's ``release()`` is called once the calls in flight return.

        Raises:
            NotFound: no classifier has that name.
        """
        check(
            lib().tc_tutor_unregister_classifier(self._ptr(), encode_str(name, "name")),
            "tc_tutor_unregister_classifier",
        )

    def set_routing(self, routing: Optional[JsonDoc] = None, /, **fields: Any) -> Dict[str, Any]:
        """Sets how answers are routed (``tc_tutor_set_routing``): ``route``
        (the classifier names in order), ``min_confidence``, ``on_error``
        (``"fail"`` or ``"skip"``), ``catalog`` (``{"threshold",
        "max_examples"}``). Fields left out keep their values; with nothing
        given it only reads.

        Returns:
            the settings in force: ``{"schema_version", "classifiers":
            [names], "routing": {...}}``.
        Raises:
            InvalidArgument: naming the field (nothing changes then).
        """
        return self._settings("tc_tutor_set_routing", routing, fields, "routing")

    @property
    def classifiers(self) -> List[str]:
        """The names of the classifiers registered on this tutor, sorted."""
        return list(self.set_routing()["classifiers"])

    def classify(self, request: Optional[JsonDoc] = None, /, **fields: Any) -> Dict[str, Any]:
        """Classifies one answer without storing anything (``tc_tutor_classify``).

        The request: ``problem_id``, ``answer``, and optionally ``backend``
        (a registered name; absent or ``"hybrid"``: the router).

        Returns:
            ``{"schema_version", "prediction": {"label", "confidence",
            "backend", "reason"}}``.
        Raises:
            InvalidArgument: naming the request field, or a classifier's
                reply that is not a prediction.
            NotFound: an unknown problem or backend.
            Cancelled: a host classifier raised.
        """
        return self._classifying("tc_tutor_classify", request, fields, "classify request")

    def classify_batch(self, request: Optional[JsonDoc] = None, /, **fields: Any) -> Dict[str, Any]:
        """Classifies several answers (``tc_tutor_classify_batch``): each
        classifier of the route is asked once with the answers still open (a
        host's ``predict_batch`` gets them together).

        The request: ``items`` (``[{"problem_id", "answer"}, ...]``) and
        optionally ``backend``.

        Returns:
            ``{"schema_version", "predictions": [...]}``, in order.
        Raises:
            as :meth:`classify`.
        """
        return self._classifying(
            "tc_tutor_classify_batch", request, fields, "classify batch request"
        )

    def review_classification(
        self, request: Optional[JsonDoc] = None, /, **fields: Any
    ) -> Dict[str, Any]:
        """A teacher confirms or corrects the classification of a stored
        response (``tc_tutor_review_classification``): appends
        ``classification.reviewed``; mastery and escalation are left as they are.

        The request: ``tenant``, ``response_event_id``, ``teacher_id``, and
        optionally ``label`` (absent confirms the classifier's),
        ``idempotency_key``, ``time_us``.

        Returns:
            ``{"schema_version", "event_id", "replayed", "review": {...}}``.
        Raises:
            InvalidArgument: naming the field (a label the domain lacks, an
                event that is not a response).
            NotFound: the tenant has no such event.
        """
        return self._json(
            "tc_tutor_review_classification", request, fields, "classification review"
        )

    def export_labels_jsonl(self, request: Optional[JsonDoc] = None, /, **fields: Any) -> str:
        """The labelled data set as JSON lines (``tc_tutor_export_labels``):
        one line per response, each ending with ``"\\n"``; ``""`` when none.
        See :meth:`export_labels` for the request."""
        data = encode_json(merge_request(request, fields, "label export"), "label export")
        out = ctypes.c_void_p()
        status = lib().tc_tutor_export_labels(self._ptr(), data, len(data), ctypes.byref(out))
        if status != 0:
            try:
                check(status, "tc_tutor_export_labels")
            finally:
                take_string(out)
        text = take_string(out)
        return "" if text is None else text.decode("utf-8")

    def export_labels(
        self, request: Optional[JsonDoc] = None, /, **fields: Any
    ) -> List[Dict[str, Any]]:
        """The labelled data set for training the next model, from the log
        (``tc_tutor_export_labels``), one dict per response in log order:
        ``{"response_event_id", "problem_id", "problem", "answer",
        "concept_id", "label", "source", "classifier"}`` with ``source``
        ``"corrected"``, ``"confirmed"`` or ``"unreviewed"``.

        The request: ``tenant``, and optionally ``include_unreviewed``
        (default true), ``after_id``, ``concept_id``.

        Raises:
            InvalidArgument: naming the field.
        """
        text = self.export_labels_jsonl(request, **fields)
        return [json.loads(line) for line in text.splitlines() if line]

    def load_model(self, request: Optional[JsonDoc] = None, /, **fields: Any) -> Dict[str, Any]:
        """Loads a TorchScript model and its label map and registers it as a
        classifier (``tc_tutor_load_model``; under ``"model"`` unless
        ``name`` says otherwise). The plugin ``libtutorcore_torch.so`` is
        opened only now.

        The request: ``model`` (the TorchScript file), ``labels`` (the label
        map), and optionally ``name``, ``plugin``, ``device`` (``"auto"``,
        ``"cpu"``, ``"cuda"``), ``max_batch``.

        Returns:
            ``{"schema_version", "model": {"name", "model", "labels",
            "plugin", "runtime", "device", "max_batch", "featurizer",
            "label_map", "concepts"}}``.
        Raises:
            Unavailable: the plugin cannot be loaded, or no CUDA device for
                ``"device": "cuda"``.
            NotFound: a missing model or label file.
            InvalidArgument: naming the field, or a model whose output does
                not match the label map.
            AlreadyExists: the name is taken.
        """
        return self._json("tc_tutor_load_model", request, fields, "model request")

    # -- metacognition -----------------------------------------------------------

    def detect_bias(self, request: Optional[JsonDoc] = None, /, **fields: Any) -> Dict[str, Any]:
        """Detects a metacognitive bias (no_bias, confirmation, anchoring,
        overconfidence) over one student's recent ``interaction.*`` events
        (``tc_tutor_detect_bias``); at or above the threshold it proposes a
        reflective question and appends a ``metacog.bias_detected`` alert.

        The request: ``tenant``, ``student``, and optionally ``session_id``,
        ``idempotency_key``, ``time_us``.

        Returns:
            ``{"schema_version", "tenant", "student", "time_us",
            "intervention_proposed", "detection": {...}, "alert":
            {"event_id", "replayed"} | None}``.
        Raises:
            InvalidArgument: naming the request field, or a model's reply
                that is not one of the four labels.
            NotFound: a configured backend nobody registered.
            Cancelled: a host classifier raised.
        """
        return self._classifying("tc_tutor_detect_bias", request, fields, "bias request")

    def bias_summary(self, request: Optional[JsonDoc] = None, /, **fields: Any) -> Dict[str, Any]:
        """The session summary from the bias alerts (``tc_tutor_bias_summary``):
        counts per bias and the most common. Reads only.

        The request: ``tenant``, ``session_id`` and/or ``student``, and
        optionally ``since_us``, ``until_us``.

        Returns:
            ``{"schema_version", "tenant", "session_id", "student", "total",
            "bias_breakdown", "most_common_bias", "interventions"}``.
        """
        return self._json("tc_tutor_bias_summary", request, fields, "bias summary request")

    def set_metacog(self, config: Optional[JsonDoc] = None, /, **fields: Any) -> Dict[str, Any]:
        """Sets the bias detector's configuration (``tc_tutor_set_metacog``):
        ``window_events``, ``max_age_s``, ``threshold``, ``fast_submit_ms``,
        ``anchor_similarity``, ``evidence_prior``, ``confidence_gap_full``,
        ``backend`` (``"auto"``, ``"rules"`` or a classifier name), ``model``,
        ``prompts``. Fields left out keep their values; with nothing given it
        only reads.

        Returns:
            ``{"schema_version", "metacog": {...}}``: the configuration in force.
        Raises:
            InvalidArgument: naming the field (nothing changes then).
        """
        return self._settings("tc_tutor_set_metacog", config, fields, "metacog config")

    # -- moderation --------------------------------------------------------------

    def moderate(self, request: Optional[JsonDoc] = None, /, **fields: Any) -> Dict[str, Any]:
        """Moderates one student message and records the decision
        (``tc_tutor_moderate``): a category and severity from the lexicon, a
        registered classifier or the host's ``verdict``; strikes,
        quarantines and the crisis response follow the policy. The log keeps
        a hash of the message, never its text.

        The request: ``tenant``, ``student``, ``message``, and optionally
        ``verdict`` (``{"category", "severity"?, "confidence"?,
        "classifier"?}``), ``idempotency_key``, ``time_us``.

        Returns:
            ``{"schema_version", "tenant", "student", "time_us", "action",
            "category", "severity", "confidence", "classifier", "strike",
            "strikes", "quarantine", "support_mode", "crisis", "event_ids",
            "replayed", ...}``.
        Raises:
            InvalidArgument: naming the request field or a classifier's bad label.
            NotFound: a configured classifier nobody registered.
            Cancelled: a host classifier raised.
        """
        return self._classifying("tc_tutor_moderate", request, fields, "moderation request")

    def moderation_status(self, tenant: str, student: str, time_us: int = 0) -> Dict[str, Any]:
        """A student's moderation state at ``time_us`` (0: now), rebuilt from
        the log (``tc_tutor_moderation_status``). Reads only.

        Returns:
            ``{"schema_version", "tenant", "student", "time_us",
            "quarantined", "quarantine", "strikes", "strikes_to_quarantine",
            "support_mode", "cooldown_until_us", "flagged", "quarantines",
            "crises"}``.
        Raises:
            InvalidArgument: an empty id or a negative time.
        """
        return call_json(
            lib().tc_tutor_moderation_status,
            self._ptr(),
            encode_str(tenant, "tenant"),
            encode_str(student, "student"),
            int(time_us),
            out_first=False,
        )

    def set_moderation(
        self, settings: Optional[JsonDoc] = None, /, **fields: Any
    ) -> Dict[str, Any]:
        """Sets the moderation settings (``tc_tutor_set_moderation``):
        ``classifier`` (``"lexicon"`` or a registered name), ``policy``
        (strike window, quarantine hours, confidences, crisis message and
        resources, ``hash_salt``) and ``lexicon``. Fields left out keep their
        values; with nothing given it only reads.

        Returns:
            ``{"schema_version", "moderation": {...}}``: the settings in
            force, without the salt.
        Raises:
            InvalidArgument: naming the field (nothing changes then).
        """
        return self._settings("tc_tutor_set_moderation", settings, fields, "moderation settings")
