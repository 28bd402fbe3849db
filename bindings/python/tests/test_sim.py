"""The validity simulator through the binding (Domain.simulate)."""

import unittest

from _support import ALGEBRA

import tutorcore


class SimulateTest(unittest.TestCase):
    def test_deterministic_and_seeded(self):
        with tutorcore.Domain(ALGEBRA) as domain:
            a = domain.simulate(students=60, per_student=True)
            b = domain.simulate({"students": 60, "per_student": True, "threads": 1})
            self.assertEqual(a, b)
            self.assertEqual(a["domain"], "algebra_fundamentals")
            self.assertEqual(len(a["gains"]), 60)
            self.assertEqual(len(a["bkt_rmse"]), a["options"]["budget"] + 1)
            c = domain.simulate(students=60, per_student=True, seed=7)
            self.assertNotEqual(a["gains"], c["gains"])

    def test_misidentification_costs_gain(self):
        with tutorcore.Domain(ALGEBRA) as domain:
            perfect = domain.simulate(students=300)
            half = domain.simulate(students=300, errors={"misidentification": 0.5})
            self.assertGreater(perfect["gain"]["mean"], 1.1 * half["gain"]["mean"])
            self.assertEqual(perfect["interventions"]["mistargeted"], 0)
            self.assertGreater(half["interventions"]["mistargeted"], 0)

    def test_bad_requests_name_the_field(self):
        with tutorcore.Domain(ALGEBRA) as domain:
            with self.assertRaisesRegex(tutorcore.InvalidArgument, r"simulation\.errors\.misroute"):
                domain.simulate(errors={"misroute": 2})
            with self.assertRaisesRegex(tutorcore.InvalidArgument, r"'best' is not one of"):
                domain.simulate(item_selection="best")
            with self.assertRaisesRegex(tutorcore.InvalidArgument, r"simulation\.learner\.nope"):
                domain.simulate(learner={"nope": 1})


if __name__ == "__main__":
    unittest.main()
