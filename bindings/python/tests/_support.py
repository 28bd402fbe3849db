"""Shared fixtures of the binding's tests: repository paths and requests."""

import gc
import os
import shutil
import tempfile
import unittest
from pathlib import Path
from typing import Any, Dict

ROOT = Path(__file__).resolve().parents[3]
HEADER = ROOT / "include" / "tutorcore" / "tutorcore.h"
MINIMAL = ROOT / "tests" / "fixtures" / "domains" / "minimal"
ALGEBRA = ROOT / "examples" / "domains" / "algebra_fundamentals"
TRACING = ROOT / "tests" / "fixtures" / "tracing"
QUICKSTART = ROOT / "bindings" / "python" / "examples" / "quickstart.py"

TENANT = "t1"


def answer(student: str, i: int, given: Any, key: str, **extra: Any) -> Dict[str, Any]:
    """A submit request for problem unit_alpha_p{i} of the minimal fixture:
    answer str(i) is right, str(i + 1) shows mis_alpha_one."""
    request = {
        "tenant": TENANT,
        "student": student,
        "problem_id": "unit_alpha_p{}".format(i),
        "answer": str(given),
        "idempotency_key": key,
        "latency_ms": 20000,
    }
    request.update(extra)
    return request


def teacher(action: str, student: str, **extra: Any) -> Dict[str, Any]:
    """A teacher's action on mis_alpha_one of the minimal fixture."""
    request = {
        "action": action,
        "tenant": TENANT,
        "student": student,
        "misconception_id": "mis_alpha_one",
        "teacher_id": "x7",
    }
    request.update(extra)
    return request


class TempDirCase(unittest.TestCase):
    """A test case with a fresh temporary directory in self.tmp."""

    def setUp(self) -> None:
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="tc-py-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def path(self, name: str) -> str:
        return os.path.join(self.tmp, name)


def collect() -> None:
    """Runs the cyclic garbage collector to completion."""
    for _ in range(3):
        gc.collect()

