"""Class analytics (tc_tutor_analytics) through the binding."""

import threading
import unittest

from _support import MINIMAL, TENANT, answer

import tutorcore


def enrollments_and_detections():
    """Four students in two classrooms, all with mis_alpha_one, s0 and s1
    also with mis_gamma_one (the C ABI test's class)."""
    events = []
    for s in range(4):
        student = {"tenant": TENANT, "entity_type": "student", "entity_id": "s{}".format(s)}
        events.append(dict(student, type="classroom.enrolled", payload={"classroom_id": "room-{}".format(s % 2)}))
        events.append(
            dict(
                student,
                type="misconception.detected",
                payload={"misconception_id": "mis_alpha_one", "concept_id": "unit_alpha"},
            )
        )
        if s < 2:
            events.append(
                dict(
                    student,
                    type="misconception.detected",
                    payload={"misconception_id": "mis_gamma_one", "concept_id": "unit_gamma"},
                )
            )
    return events


class AnalyticsTest(unittest.TestCase):
    def setUp(self):
        self.store = tutorcore.Store.in_memory()
        self.tutor = tutorcore.Tutor(self.store, MINIMAL)
        self.addCleanup(self.store.close)
        self.addCleanup(self.tutor.close)

    def test_all_analyses_of_a_class(self):
        self.store.append(enrollments_and_detections())
        before = self.store.last_id()
        report = self.tutor.analytics(analysis="all", tenant=TENANT)
        self.assertEqual(report["schema_version"], 1)
        self.assertEqual(report["students"], 4)
        self.assertEqual(report["classrooms"], 2)
        for section in ("cooccurrence", "effectiveness", "cohorts", "prerequisites", "drift"):
            self.assertIn(section, report)
        # C[gamma_one][alpha_one] = 1, C[alpha_one][gamma_one] = 0.5
        self.assertEqual(report["cooccurrence"]["matrix"], [[1, 0.5], [1, 1]])
        self.assertEqual(report["prerequisites"]["proposals"], [])
        self.assertEqual(self.store.last_id(), before)  # reads only

        room = self.tutor.analytics({"analysis": "cooccurrence", "tenant": TENANT, "classroom": "room-0"})
        self.assertEqual(room["students"], 2)
        self.assertNotIn("cohorts", room)
        self.assertEqual(room["config"]["z"], 1.96)

    def test_a_tenant_without_data_and_the_pipeline_s_own_events(self):
        self.assertEqual(self.tutor.analytics(analysis="all", tenant="empty")["students"], 0)
        self.tutor.submit(answer("s1", 2, 3, "a1"))
        self.tutor.act(
            action="approve", tenant=TENANT, student="s1", misconception_id="mis_alpha_one", teacher_id="x7"
        )
        report = self.tutor.analytics(analysis="effectiveness", tenant=TENANT, config={"min_trials": 1})
        self.assertEqual(report["students"], 1)
        self.assertIn("effectiveness", report)
        self.assertEqual(report["config"]["min_trials"], 1)

    def test_errors_name_the_field(self):
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            self.tutor.analytics(analysis="trends", tenant=TENANT)
        self.assertIn("analytics request.analysis: 'trends' is not one of", ctx.exception.message)
        with self.assertRaisesRegex(tutorcore.InvalidArgument, r"analytics request\.tenant"):
            self.tutor.analytics(analysis="all")
        with self.assertRaisesRegex(tutorcore.InvalidArgument, r"analytics request\.config\.drift_fail_rate"):
            self.tutor.analytics(analysis="all", tenant=TENANT, config={"drift_fail_rate": 2})
        self.store.append(enrollments_and_detections())
        with self.assertRaises(tutorcore.NotFound) as ctx:
            self.tutor.analytics(analysis="drift", tenant=TENANT, classroom="room-7")
        self.assertIn("analytics request.classroom", ctx.exception.message)
        with self.assertRaisesRegex(tutorcore.NotFound, "misconception_id"):
            self.tutor.analytics(analysis="effectiveness", tenant=TENANT, misconception_id="mis_nope")

    def test_while_other_threads_submit(self):
        errors = []

        def submit(n):
            try:
                for i in range(5):
                    self.tutor.submit(answer("c{}".format(n), i, i + 1, "c{}/{}".format(n, i)))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=submit, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        reports = [self.tutor.analytics(analysis="cooccurrence", tenant=TENANT) for _ in range(5)]
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertTrue(all(r["schema_version"] == 1 for r in reports))
        self.assertEqual(self.tutor.analytics(analysis="all", tenant=TENANT)["students"], 2)


if __name__ == "__main__":
    unittest.main()
