"""Bayesian knowledge tracing: the hot paths, fitting by EM, fitted models."""

from __future__ import annotations

import ctypes
import enum
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

from ._handle import Handle
from ._native import (
    BktParams,
    ProgressCallback,
    check,
    encode_json,
    encode_str,
    lib,
    merge_request,
    take_json,
    take_string,
)
from .errors import Cancelled, InvalidArgument

__all__ = [
    "BktParams",
    "BktModel",
    "Combine",
    "Progress",
    "predict",
    "update",
    "predict_multi",
    "fit",
    "check_model",
]

JsonDoc = Union[Mapping[str, Any], str, bytes]
ParamsLike = Union[BktParams, Mapping[str, float]]
#: A progress callback: ``progress(done, total)``; return ``False`` to cancel.
Progress = Callable[[int, int], Optional[bool]]


class Combine(enum.IntEnum):
    """How the skills of an item tagged with several combine into P(right)
    (``tc_skill_combine``)."""

    PRODUCT = 0  #: every skill is needed: the product (default)
    MIN = 1  #: the weakest skill decides
    MEAN = 2  #: the mean of the skills' predictions


def predict(p_known: float, params: ParamsLike) -> float:
    """P(right answer) for a student whose P(known) is ``p_known``
    (``tc_bkt_predict``)."""
    return BktParams.from_mapping(params).predict(p_known)


def update(p_known: float, correct: bool, params: ParamsLike) -> float:
    """P(known) after one answer: the posterior given the answer, then the
    learning (and forgetting) transition (``tc_bkt_update``)."""
    return BktParams.from_mapping(params).update(p_known, correct)


def predict_multi(
    p_known: Sequence[float],
    params: Sequence[ParamsLike],
    rule: Union[Combine, int, str] = Combine.PRODUCT,
) -> float:
    """P(right) for an item tagged with several skills, from each skill's
    P(known) and parameters (``tc_bkt_predict_multi``).

    Args:
        p_known: P(known) per skill.
        params: the parameters per skill, in the same order.
        rule: :class:`Combine` (or ``"product"``, ``"min"``, ``"mean"``).
    Raises:
        InvalidArgument: empty or unequal sequences, or an unknown rule.
    """
    if isinstance(rule, str):
        try:
            rule = Combine[rule.upper()]
        except KeyError:
            raise InvalidArgument("rule {!r} is not product, min or mean".format(rule)) from None
    try:
        rule = Combine(int(rule))
    except ValueError:
        raise InvalidArgument("rule {!r} is not product, min or mean".format(rule)) from None
    n = len(p_known)
    if n == 0 or len(params) != n:
        raise InvalidArgument(
            "p_known and params must be non-empty and of equal length (got {} and {})".format(
                n, len(params)
            )
        )
    known = (ctypes.c_double * n)(*[float(p) for p in p_known])
    array = (BktParams * n)(*[BktParams.from_mapping(p) for p in params])
    return float(lib().tc_bkt_predict_multi(known, array, n, int(rule)))


def fit(
    request: Optional[JsonDoc] = None,
    /,
    *,
    progress: Optional[Progress] = None,
    **fields: Any,
) -> Dict[str, Any]:
    """Fits BKT per skill by EM and reports held-out metrics (``tc_bkt_fit``).

    The request (a dict, JSON text, or keyword fields): ``train_csv`` (a
    path) or ``rows`` (``[[student, skill, 0|1, item?, group?], ...]`` in each
    student's answer order), and optionally ``test_csv``, ``columns``,
    ``forgets``, ``restarts``, ``max_iterations``, ``tolerance``, ``seed``,
    ``threads``, ``max_guess``, ``max_slip``, ``folds``, ``multigs``,
    ``multilearn``, ``multiprior``, ``variant_pseudo_count``.

    Args:
        progress: called on the calling thread as ``progress(done, total)``
            (units: skills, folds). Return ``False`` to cancel the fit; raising
            an exception cancels it too and that exception propagates.
            KeyboardInterrupt (Ctrl-C) during a fit cancels it the same way.
    Returns:
        ``{"schema_version", "fit_seconds", "skills", "responses",
        "test_auc"?, "test_rmse"?, "cross_validation"?, "model": {...}}``.
    Raises:
        Cancelled: the progress callback returned ``False``.
        InvalidArgument: naming the request field, CSV line or column.
        NotFound: a missing CSV file.
    """
    data = encode_json(merge_request(request, fields, "fit"), "fit request")
    raised: List[BaseException] = []

    def trampoline(done: int, total: int, _userdata: Optional[int]) -> int:
        try:
            if progress is not None and progress(int(done), int(total)) is False:
                return 1
            return 0
        except BaseException as exc:  # cancel, then re-raise after the call
            raised.append(exc)
            return 1

    callback = ProgressCallback(trampoline)  # alive for the whole call
    out = ctypes.c_void_p()
    status = lib().tc_bkt_fit(ctypes.byref(out), data, len(data), callback, None)
    if status != 0:
        try:
            if raised and not isinstance(raised[0], Cancelled):
                raise raised[0]
            check(status, "tc_bkt_fit")
        finally:
            take_string(out)
    return take_json(out)


def check_model(model: JsonDoc, skill: Optional[str] = None) -> Optional[BktParams]:
    """Checks a BKT model document (``tc_bkt_model_check``); with ``skill``,
    returns that skill's parameters, else ``None``.

    Raises:
        InvalidArgument: naming the JSON path.
        VersionError: a newer schema.
        NotFound: the model has no such skill.
    """
    data = encode_json(model, "model")
    out = BktParams() if skill is not None else None
    check(
        lib().tc_bkt_model_check(
            ctypes.byref(out) if out is not None else None,
            data,
            len(data),
            encode_str(skill, "skill") if skill is not None else None,
        ),
        "tc_bkt_model_check",
    )
    return out


class BktModel(Handle):
    """A loaded BKT model (``tc_bkt_model``) for repeated parameter lookups;
    immutable, usable from any thread.

    ``BktModel(model)`` takes the model document as :func:`fit` returns it
    (``report["model"]``) or ``tutorcore fit --model-out`` writes it, as a dict
    or JSON text; :meth:`from_fit` takes the whole fit report.

    Raises:
        InvalidArgument: naming the JSON path.
        VersionError: a newer schema.
    """

    def __init__(self, model: JsonDoc) -> None:
        L = lib()
        data = encode_json(model, "model")
        out = ctypes.c_void_p()
        check(L.tc_bkt_model_load(ctypes.byref(out), data, len(data)), "tc_bkt_model_load")
        self._own(out.value or 0, L.tc_bkt_model_free)

    @classmethod
    def from_fit(cls, report: Mapping[str, Any]) -> "BktModel":
        """The model of a :func:`fit` report."""
        return cls(report["model"])

    def params(
        self, skill: str, item: Optional[str] = None, group: Optional[str] = None
    ) -> BktParams:
        """The parameters for one answer (``tc_bkt_model_params``): the skill's,
        with the per-item guess, slip, learn and forget and the per-group prior
        of a variant model where it has them (unknown items and groups take
        the skill's base values).

        Raises:
            NotFound: the model has no such skill.
        """
        out = BktParams()
        check(
            lib().tc_bkt_model_params(
                self._ptr(),
                encode_str(skill, "skill"),
                encode_str(item, "item") if item is not None else None,
                encode_str(group, "group") if group is not None else None,
                ctypes.byref(out),
            ),
            "tc_bkt_model_params",
        )
        return out

    def predict(
        self, p_known: float, skill: str, item: Optional[str] = None, group: Optional[str] = None
    ) -> float:
        """P(right) with :meth:`params` of this skill (and item, group)."""
        return self.params(skill, item, group).predict(p_known)

    def update(
        self,
        p_known: float,
        correct: bool,
        skill: str,
        item: Optional[str] = None,
        group: Optional[str] = None,
    ) -> float:
        """P(known) after one answer with :meth:`params` of this skill."""
        return self.params(skill, item, group).update(p_known, correct)

