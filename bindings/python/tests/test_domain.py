"""Domains: validate, load, describe, and the handle's lifetime."""

import json
import shutil
import unittest
from pathlib import Path

from _support import ALGEBRA, MINIMAL, TempDirCase, collect

import tutorcore


class ValidateTest(TempDirCase):
    def test_bundled_domain_is_valid(self):
        report = tutorcore.validate_domain(ALGEBRA)
        self.assertEqual(report["schema_version"], 1)
        self.assertTrue(report["valid"])
        self.assertEqual(report["domain"], "algebra_fundamentals")
        self.assertEqual(report["errors"], [])
        self.assertGreater(report["counts"]["problems"], 0)
        self.assertEqual(tutorcore.Domain.validate(str(ALGEBRA)), report)

    def test_invalid_domain_reports_every_problem(self):
        broken = Path(self.tmp) / "broken"
        shutil.copytree(MINIMAL, broken)
        bank = json.loads((broken / "problem_bank.json").read_text())
        bank["problems"][0]["concept"] = "no_such_concept"
        (broken / "problem_bank.json").write_text(json.dumps(bank))
        report = tutorcore.validate_domain(broken)
        self.assertFalse(report["valid"])
        self.assertGreaterEqual(len(report["errors"]), 1)
        error = report["errors"][0]
        self.assertEqual(set(error) >= {"code", "file", "path", "message", "fix"}, True)
        self.assertIn("no_such_concept", json.dumps(report["errors"]))
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            tutorcore.Domain(broken)
        self.assertIn("no_such_concept", ctx.exception.message)
        self.assertEqual(ctx.exception.function, "tc_domain_load")

    def test_missing_directory(self):
        with self.assertRaises(tutorcore.NotFound) as ctx:
            tutorcore.validate_domain(Path(self.tmp) / "nope")
        self.assertIn("is not a directory", ctx.exception.message)
        with self.assertRaises(tutorcore.NotFound):
            tutorcore.Domain(Path(self.tmp) / "nope")
        with self.assertRaises(LookupError):  # NotFound is a LookupError
            tutorcore.Domain(Path(self.tmp) / "nope")

    def test_bad_argument_type(self):
        with self.assertRaises(TypeError):
            tutorcore.Domain(42)


class DomainTest(unittest.TestCase):
    def test_describe(self):
        with tutorcore.Domain(MINIMAL) as domain:
            desc = domain.describe()
            self.assertEqual(desc["domain"], "fixture_minimal")
            self.assertEqual(domain.id, "fixture_minimal")
            ids = [c["id"] for c in desc["concepts"]]
            self.assertEqual(ids, ["unit_alpha", "unit_beta", "unit_gamma"])
            gamma = desc["concepts"][2]
            self.assertEqual(gamma["prerequisites"], ["unit_alpha", "unit_beta"])
            self.assertAlmostEqual(desc["concepts"][0]["bkt_params"]["p_init"], 0.2)
            self.assertIn("fixture_minimal", repr(domain) + desc["domain"])

    def test_close_is_idempotent_and_use_after_close_raises(self):
        domain = tutorcore.Domain(str(MINIMAL))
        self.assertFalse(domain.closed)
        domain.close()
        domain.close()
        self.assertTrue(domain.closed)
        self.assertIn("closed", repr(domain))
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            domain.describe()
        self.assertIn("Domain is closed", ctx.exception.message)
        with self.assertRaises(tutorcore.InvalidArgument):
            with domain:
                pass

    def test_garbage_collected_while_open(self):
        for _ in range(20):
            tutorcore.Domain(MINIMAL)  # dropped at once: __del__ frees it
        domain = tutorcore.Domain(MINIMAL)
        domain.self_ref = domain  # a cycle: freed by the collector
        del domain
        collect()


if __name__ == "__main__":
    unittest.main()
