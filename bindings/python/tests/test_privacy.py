"""Privacy through the binding: the personal-data switch of a store
(allow_personal_data, Store.describe) and the de-identified research export
(tc_tutor_research_export)."""

import json
import unittest

from _support import MINIMAL, TENANT

import tutorcore

NAMED = {
    "tenant": TENANT,
    "entity_type": "student",
    "entity_id": "s-1",
    "type": "note.added",
    "payload": {"roster": {"display_name": "Ada"}, "contact": "ada@example.org"},
}


class PersonalDataSwitchTest(unittest.TestCase):
    def test_refused_by_default_naming_the_field(self):
        with tutorcore.Store.in_memory() as store:
            with self.assertRaises(tutorcore.InvalidArgument) as ctx:
                store.append(NAMED)
            self.assertIn("event[0].payload.roster.display_name", ctx.exception.message)
            self.assertEqual(store.last_id(), 0)
            description = store.describe()
            self.assertEqual(description["schema_version"], 1)
            self.assertEqual(description["backend"], "memory")
            self.assertFalse(description["personal_data_allowed"])

    def test_accepted_when_allowed_and_not_leaking(self):
        with tutorcore.Store.in_memory(allow_personal_data=True) as allowed, tutorcore.Store.in_memory() as strict:
            self.assertEqual(allowed.append(NAMED)["new"], [True])
            self.assertTrue(allowed.describe()["personal_data_allowed"])
            self.assertEqual(allowed.describe()["last_id"], 1)
            stored = allowed.read(tenant=TENANT)["events"][0]["payload"]
            self.assertEqual(stored["roster"]["display_name"], "Ada")
            with self.assertRaises(tutorcore.InvalidArgument):
                strict.append(NAMED)
            self.assertFalse(strict.describe()["personal_data_allowed"])

    def test_version_1_options_have_no_switch(self):
        # A version-1 struct ends before allow_personal_data: the library
        # does not read it, so personal data stays refused.
        opts = tutorcore.StoreOptions.defaults(1)
        self.assertEqual(opts.version, 1)
        opts.allow_personal_data = 1
        with tutorcore.Store(memory=True, options=opts) as store:
            self.assertFalse(store.describe()["personal_data_allowed"])
            with self.assertRaises(tutorcore.InvalidArgument):
                store.append(NAMED)
        opts = tutorcore.StoreOptions.defaults()
        opts.allow_personal_data = 5
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            tutorcore.Store(memory=True, options=opts)
        self.assertIn("allow_personal_data 5", ctx.exception.message)


def synthetic_class(sizes):
    """Students enrolled in classrooms room-0, room-1, ... of the given sizes,
    each with 8 answers and a mastery level on unit_alpha (even students
    mastered at 0.97, odd ones at 0.5). Returns the events and the ids."""
    events, ids = [], []
    for room, size in enumerate(sizes):
        for i in range(size):
            student = "pupil-{}-{:03d}".format(room, i)
            ids.append(student)
            base = {"tenant": TENANT, "entity_type": "student", "entity_id": student}
            events.append(dict(base, type="classroom.enrolled", payload={"classroom_id": "room-{}".format(room)}))
            for _ in range(8):
                events.append(
                    dict(
                        base,
                        type="response.submitted",
                        payload={"problem_id": "unit_alpha_p1", "concept_id": "unit_alpha", "correct": True},
                    )
                )
            level = 0.97 if i % 2 == 0 else 0.5
            events.append(dict(base, type="mastery.updated", payload={"concept_id": "unit_alpha", "new_level": level}))
    return events, ids


class ResearchExportTest(unittest.TestCase):
    def setUp(self):
        self.store = tutorcore.Store.in_memory()
        self.tutor = tutorcore.Tutor(self.store, MINIMAL)
        self.addCleanup(self.store.close)
        self.addCleanup(self.tutor.close)

    def test_small_groups_suppressed_and_no_ids(self):
        events, ids = synthetic_class([12, 9, 10])
        self.store.append(events)
        before = self.store.last_id()
        doc = self.tutor.research_export(tenant=TENANT)
        self.assertEqual(self.store.last_id(), before)  # reads only
        self.assertEqual(doc["export"], "research")
        self.assertEqual(doc["min_group_size"], 10)
        self.assertRegex(doc["generated_on"], r"^\d{4}-\d{2}-\d{2}$")
        groups = {g["cohort"]: g for g in doc["cohorts"]["groups"]}
        self.assertEqual(sorted(groups), ["cohort_1", "cohort_2", "cohort_3"])
        # room-1 (9) suppressed; 9 hidden < 10, so the smallest published
        # cohort (room-2, 10) is suppressed too; room-0 (12) stays.
        self.assertEqual(groups["cohort_1"], {"cohort": "cohort_1", "students": 12, "suppressed": False})
        self.assertEqual(groups["cohort_2"], {"cohort": "cohort_2", "students": None, "suppressed": True})
        self.assertTrue(groups["cohort_3"]["suppressed"])
        self.assertEqual(doc["cohorts"]["total"]["students"], 31)
        (alpha,) = doc["concepts"]
        self.assertEqual(alpha["concept_id"], "unit_alpha")
        first = [c for c in alpha["cohorts"] if c["cohort"] == "cohort_1"][0]
        self.assertAlmostEqual(first["mean_mastery"], (0.97 + 0.5) / 2)
        self.assertAlmostEqual(first["share_mastered"], 0.5)
        text = json.dumps(doc)
        for student in ids:
            self.assertNotIn(student, text)
        self.assertNotIn("room-", text)
        self.assertNotIn('"{}"'.format(TENANT), text)

        # A smaller minimum publishes every cohort.
        small = self.tutor.research_export({"tenant": TENANT, "min_group_size": 5})
        self.assertEqual([g["students"] for g in small["cohorts"]["groups"]], [12, 9, 10])

    def test_bad_requests_name_the_field(self):
        events, _ = synthetic_class([3])
        self.store.append(events)
        cases = [
            ({"tenant": TENANT, "min_group_size": 1}, "research export request.min_group_size: 1 is outside 2..1000000"),
            ({"tenant": TENANT, "min_group_size": "ten"}, "research export request.min_group_size: must be an integer"),
            ({"tenant": 5}, "research export request.tenant: must be a string"),
            ({"tenant": TENANT, "classroom": "room-0"}, "research export request.classroom: unknown field"),
            ({"tenant": "nobody"}, "research export request.tenant: tenant 'nobody' has no learning data"),
        ]
        for request, message in cases:
            with self.subTest(request=request):
                with self.assertRaises(tutorcore.InvalidArgument) as ctx:
                    self.tutor.research_export(request)
                self.assertIn(message, ctx.exception.message)
        with self.assertRaises(tutorcore.InvalidArgument):
            self.tutor.research_export('{"tenant": "t1", ')


if __name__ == "__main__":
    unittest.main()
