"""Domain configurations: load, validate and describe a domain directory."""

from __future__ import annotations

import ctypes
import os
from typing import Any, Dict, Mapping, Optional, Union

from . import _native
from ._handle import Handle
from ._native import (
    PathLike,
    check,
    encode_json,
    encode_path,
    encode_str,
    lib,
    merge_request,
    take_json,
    take_string,
)
from .errors import Status

__all__ = ["Domain", "validate_domain"]


def validate_domain(directory: PathLike) -> Dict[str, Any]:
    """Validates a domain directory and reports every problem
    (``tc_domain_validate_dir``).

    Returns the report ``{"schema_version", "valid", "domain", "counts",
    "errors": [{"code", "file", "path", "message", "fix"}, ...]}`` whether the
    domain is valid or not: check ``report["valid"]``.

    Raises:
        NotFound: ``directory`` does not exist.
    """
    L = lib()
    out = ctypes.c_void_p()
    status = L.tc_domain_validate_dir(ctypes.byref(out), encode_path(directory, "directory"))
    if status == Status.EINVAL and out.value:
        return take_json(out)  # an invalid domain: the report says why
    if status != 0:
        try:
            check(status, "tc_domain_validate_dir")
        finally:
            take_string(out)
    return take_json(out)


class Domain(Handle):
    """A loaded, validated domain (``tc_domain``): immutable, usable from any
    thread.

    ``Domain(path)`` loads the four files of a domain directory
    (knowledge_graph.json, taxonomy.json, interventions.json,
    problem_bank.json). Use it as a context manager or call :meth:`close`;
    a :class:`~tutorcore.Tutor` copies the domain, so the domain may be closed
    once the tutors that need it are open.

    Raises:
        InvalidArgument: the domain fails validation (the message holds the
            first problem; :func:`validate_domain` lists them all).
        NotFound: the directory does not exist.
    """

    def __init__(self, path: PathLike) -> None:
        L = lib()
        raw = encode_path(path, "path")
        self.path: str = os.fsdecode(raw)
        out = ctypes.c_void_p()
        check(L.tc_domain_load(ctypes.byref(out), raw), "tc_domain_load")
        self._own(out.value or 0, L.tc_domain_free)

    @staticmethod
    def validate(directory: PathLike) -> Dict[str, Any]:
        """Same as :func:`validate_domain`."""
        return validate_domain(directory)

    def describe(self) -> Dict[str, Any]:
        """The domain as a dict (``tc_domain_describe``): ``domain`` (its id),
        ``name``, ``subject``, ``version``, thresholds, ``counts`` and the
        ``concepts`` with their prerequisites and BKT priors."""
        return _native.call_json(lib().tc_domain_describe, self._ptr())

    def problem(self, problem_id: str) -> Dict[str, Any]:
        """A problem by id (``tc_domain_problem``): a bank problem, or a
        template instance re-derived from its id
        (``"<template_id>:<name>=<value>,..."``, as assignments name them).

        Returns:
            ``{"schema_version", "problem": {"problem_id", "concept",
            "problem_text", "correct_answer", "irt_b", "irt_discrimination",
            "diagnostic_for", "misconception_answers", "template_id"?,
            "template_params"?, "generated"?}}``.
        Raises:
            NotFound: the id names neither.
        """
        return _native.call_json(
            lib().tc_domain_problem,
            self._ptr(),
            encode_str(problem_id, "problem_id"),
            out_first=False,
        )

    def generate(
        self, request: Optional[Union[Mapping[str, Any], str, bytes]] = None, /, **fields: Any
    ) -> Dict[str, Any]:
        """Instances of a problem template (``tc_domain_generate``): instance
        n under a seed is the same on every platform.

        The request: ``template_id``, and optionally ``seed`` (42),
        ``first`` (0), ``count`` (1, at most 1000), ``max_draws`` (100).

        Returns:
            ``{"schema_version", "template_id", "seed", "instances":
            [{"instance", "problem": {...} | None}]}`` (``None``: every draw
            was rejected).
        Raises:
            InvalidArgument: naming the request field, or a malformed
                template formula.
            NotFound: an unknown template.
        """
        data = encode_json(merge_request(request, fields, "generate request"), "generate request")
        return _native.call_json(
            lib().tc_domain_generate, self._ptr(), data, len(data), out_first=False
        )

    def simulate(
        self, request: Optional[Union[Mapping[str, Any], str, bytes]] = None, /, **fields: Any
    ) -> Dict[str, Any]:
        """Runs a simulated study (``tc_sim_run``; docs/simulation.md):
        learners over the domain's prerequisite graph, tutored by the
        library's engines under the request's condition and tested before
        and after on a held-out test. Deterministic for a seed; releases the
        GIL while it runs (ctypes does for every call).

        The request (every field optional): ``seed`` (42), ``students``
        (500), ``threads`` (0: the hardware's), ``budget`` (12),
        ``block_size`` (5), ``bank_size`` (0), ``item_selection`` (``"irt"``,
        ``"easiest"``, ``"hardest"``, ``"random"``), ``p_target`` (0.7),
        ``concept_selection`` (``"bkt"``, ``"random"``, ``"oracle"``),
        ``interventions`` (True), ``modality_policy`` (``"thompson"``,
        ``"greedy"``, ``"uniform"``), ``oracle_modality``, ``errors``
        (``misidentification``, ``false_negative``, ``false_positive``,
        ``misroute``), ``learner`` ({...}), ``per_student``.

        Returns:
            ``{"schema_version", "domain", "options", "students",
            "pre_test", "post_test", "gain", "gain_per_interaction",
            "concepts_mastered", "accuracy", "difficulty_hit_rate",
            "misconceptions", "interventions", "concept_selection",
            "bkt_rmse", "gains"?}``.
        Raises:
            InvalidArgument: naming the request field.
        """
        data = encode_json(merge_request(request, fields, "simulation request"), "simulation request")
        return _native.call_json(lib().tc_sim_run, self._ptr(), data, len(data), out_first=False)

    @property
    def id(self) -> str:
        """The domain's id (``describe()["domain"]``)."""
        return str(self.describe()["domain"])

    def __repr__(self) -> str:
        return "<tutorcore.Domain {!r} {}>".format(self.path, self._state())
