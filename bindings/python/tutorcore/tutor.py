"""The one-call answer pipeline and the teacher's actions."""

from __future__ import annotations

import ctypes
import os
from typing import Any, Dict, Mapping, Optional, Union

from ._handle import Handle
from ._native import PathLike, call_json, check, encode_json, encode_str, lib, merge_request
from .domain import Domain
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
        """Releases the tutor (``tc_tutor_free``). Idempotent."""
        cell = self._cell
        super().close()
        store = getattr(self, "store", None)
        if cell is not None and store is not None:
            store._remove_dependent(cell)

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
        """
        data = encode_json(merge_request(request, fields, "submit"), "submit request")
        return call_json(lib().tc_submit_response, self._ptr(), data, len(data), out_first=False)

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
        data = encode_json(merge_request(request, fields, "act"), "teacher action")
        return call_json(lib().tc_tutor_act, self._ptr(), data, len(data), out_first=False)

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
