"""Assignments, the cold-start diagnostic and generated problems through the binding."""

import unittest

from _support import MINIMAL, TENANT

import tutorcore


class SequencingTest(unittest.TestCase):
    def setUp(self):
        self.domain = tutorcore.Domain(MINIMAL)
        self.store = tutorcore.Store.in_memory()
        self.tutor = tutorcore.Tutor(self.store, self.domain)
        self.addCleanup(self.domain.close)
        self.addCleanup(self.store.close)
        self.addCleanup(self.tutor.close)

    def test_cold_start_then_an_assignment(self):
        diagnostic = self.tutor.diagnostic(TENANT, "n1")
        self.assertEqual(diagnostic["student"], "n1")
        items = diagnostic["items"]
        self.assertTrue(items)
        self.assertTrue(all(i["kind"] == "cold_start" and i["reason"] for i in items))
        self.assertEqual(self.store.last_id(), 0)  # reads only

        # s answers right except the first item, which shows its misconception.
        answers = []
        for n, item in enumerate(items):
            problem = self.domain.problem(item["problem_id"])["problem"]
            if n == 0 and problem["misconception_answers"]:
                given = next(iter(problem["misconception_answers"].values()))
            else:
                given = problem["correct_answer"]
            answers.append({"problem_id": item["problem_id"], "answer": given})
        request = {"tenant": TENANT, "student": "n1", "answers": answers, "idempotency_key": "d1"}
        applied = self.tutor.apply_diagnostic(request)
        self.assertEqual(applied["diagnostic"]["answered"], len(answers))
        self.assertTrue(applied["event_ids"])
        self.assertEqual(self.tutor.apply_diagnostic(request), applied)  # a retry
        with self.assertRaises(tutorcore.AlreadyExists):
            self.tutor.diagnostic(TENANT, "n1")

        assignment = self.tutor.assign(
            tenant=TENANT, student="n1", concepts=["unit_gamma"], idempotency_key="as-1"
        )
        self.assertEqual(assignment["schema_version"], 1)
        self.assertEqual(assignment["assignment"]["student"], "n1")
        problems = assignment["assignment"]["problems"]
        self.assertTrue(problems)
        kinds = {p["kind"] for p in problems}
        self.assertIn("target", kinds)
        self.assertTrue(all(p["reason"] for p in problems))
        self.assertTrue(any(p["reason"].startswith("target: unit_gamma") for p in problems))
        created = self.store.read(tenant=TENANT, type="assignment.created")["events"]
        self.assertEqual([e["id"] for e in created], [assignment["event_id"]])
        again = self.tutor.assign(
            tenant=TENANT, student="n1", concepts=["unit_gamma"], idempotency_key="as-1"
        )
        self.assertEqual(again, assignment)

    def test_assignment_for_a_student_with_a_misconception(self):
        self.tutor.submit(
            tenant=TENANT, student="s1", problem_id="unit_alpha_p2", answer="3", idempotency_key="k1"
        )
        out = self.tutor.assign(tenant=TENANT, student="s1", concepts=["unit_alpha"], config={"max_items": 3})
        problems = out["assignment"]["problems"]
        self.assertLessEqual(len(problems), 3)
        self.assertIn("diagnostic", [p["kind"] for p in problems])
        self.assertNotIn("unit_alpha_p2", [p["problem_id"] for p in problems])  # never a seen item

    def test_errors(self):
        with self.assertRaises(tutorcore.NotFound):
            self.tutor.assign(tenant=TENANT, student="n1", concepts=["x"])
        with self.assertRaises(tutorcore.InvalidArgument):
            self.tutor.assign(tenant=TENANT, student="n1", concepts=[])
        with self.assertRaisesRegex(tutorcore.InvalidArgument, r"assign request\.config\.max_items"):
            self.tutor.assign(tenant=TENANT, student="n1", concepts=["unit_alpha"], config={"max_items": 0})
        with self.assertRaisesRegex(tutorcore.NotFound, r"answers\[0\]\.problem_id"):
            self.tutor.apply_diagnostic(
                tenant=TENANT,
                student="n2",
                answers=[{"problem_id": "nope", "answer": "1"}],
                idempotency_key="c2",
            )
        with self.assertRaises(tutorcore.InvalidArgument):
            self.tutor.diagnostic(TENANT, "")

    def test_generated_problems(self):
        out = self.domain.generate(template_id="tpl_alpha_add", count=3, seed=7)
        self.assertEqual(out["template_id"], "tpl_alpha_add")
        self.assertEqual([i["instance"] for i in out["instances"]], [0, 1, 2])
        first = out["instances"][0]["problem"]
        self.assertTrue(first["generated"])
        self.assertEqual(self.domain.generate({"template_id": "tpl_alpha_add", "seed": 7, "count": 3}), out)
        again = self.domain.problem(first["problem_id"])["problem"]
        self.assertEqual(again["correct_answer"], first["correct_answer"])
        self.assertEqual(self.domain.problem("unit_alpha_p1")["problem"]["correct_answer"], "1")
        # A generated instance goes through the pipeline like a bank problem.
        wrong = first["misconception_answers"]["mis_alpha_one"]
        result = self.tutor.submit(
            tenant=TENANT, student="g1", problem_id=first["problem_id"], answer=wrong, idempotency_key="g1"
        )
        self.assertEqual(result["misconception"]["id"], "mis_alpha_one")
        with self.assertRaises(tutorcore.NotFound):
            self.domain.problem("zzz")
        with self.assertRaises(tutorcore.NotFound):
            self.domain.generate(template_id="nope")
        with self.assertRaisesRegex(tutorcore.InvalidArgument, "count"):
            self.domain.generate(template_id="tpl_alpha_add", count=0)


if __name__ == "__main__":
    unittest.main()
