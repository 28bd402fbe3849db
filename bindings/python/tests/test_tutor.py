"""The answer pipeline and the teacher's actions through the binding."""

import threading
import unittest

from _support import ALGEBRA, MINIMAL, TENANT, TempDirCase, answer, teacher

import tutorcore


class PipelineTest(unittest.TestCase):
    def setUp(self):
        self.domain = tutorcore.Domain(MINIMAL)
        self.store = tutorcore.Store.in_memory()
        self.tutor = tutorcore.Tutor(self.store, self.domain)
        self.addCleanup(self.domain.close)
        self.addCleanup(self.store.close)
        self.addCleanup(self.tutor.close)

    def test_submit_recommend_approve_snapshot_profile(self):
        result = self.tutor.submit(answer("s1", 2, 3, "s1/1"))
        self.assertEqual(result["schema_version"], 1)
        self.assertFalse(result["correct"])
        self.assertEqual(result["misconception"]["id"], "mis_alpha_one")
        self.assertEqual(result["detected"]["misconception_id"], "mis_alpha_one")
        self.assertEqual(result["mastery"]["concept_id"], "unit_alpha")
        self.assertLess(result["mastery"]["new_level"], result["mastery"]["old_level"])
        self.assertEqual(len(result["recommendations"]), 1)
        recommendation = result["recommendations"][0]
        self.assertEqual(recommendation["misconception_id"], "mis_alpha_one")
        self.assertIn(recommendation["modality"], ("visual", "concrete", "pattern", "verbal"))
        self.assertFalse(recommendation["auto_approved"])
        self.assertTrue(result["next_problems"]["problems"])
        self.assertEqual(result["event_ids"], list(range(1, 6)))
        self.assertEqual(self.store.last_id(), 5)

        approval = self.tutor.act(teacher("approve", "s1", idempotency_key="s1/approve"))
        types = [e["type"] for e in approval["events"]]
        self.assertEqual(types, ["intervention.approved", "intervention.assigned"])
        self.assertEqual(approval["events"][1]["author"], "teacher:x7")
        self.assertEqual(approval["events"][1]["payload"]["modality"], recommendation["modality"])
        rows = self.store.view("escalation", TENANT, student="s1")["rows"]
        self.assertEqual(rows[0]["state"], "intervention_assigned")

        snapshot = self.tutor.snapshot(TENANT, "s1")
        self.assertEqual(snapshot["student"], "s1")
        self.assertEqual(snapshot["misconceptions"][0]["misconception_id"], "mis_alpha_one")
        self.assertEqual(snapshot["misconceptions"][0]["lifecycle"], "active")
        self.assertEqual(snapshot["mastery"][0]["concept_id"], "unit_alpha")
        self.assertEqual(snapshot["weak_areas"], ["unit_alpha"])
        before = self.store.last_id()
        self.tutor.snapshot(TENANT, "s1")
        self.assertEqual(self.store.last_id(), before)  # reads only

        profile = self.tutor.profile(TENANT, "s1")
        self.assertIn("error_pattern", profile["profile"])
        self.assertEqual(profile["event_id"], before + 1)  # appended as profile.computed
        computed = self.store.read(tenant=TENANT, type="profile.computed")["events"]
        self.assertEqual(len(computed), 1)

    def test_subscriber_sees_the_pipeline_events(self):
        seen = []
        with self.store.subscribe(lambda e: seen.append((e["id"], e["type"]))):
            result = self.tutor.submit(answer("s1", 2, 3, "sub/1"))
            self.tutor.submit(answer("s1", 2, 3, "sub/1"))  # a replay delivers nothing
        self.assertEqual([i for i, _ in seen], result["event_ids"])
        types = [t for _, t in seen]
        self.assertEqual(types[0], "response.submitted")
        self.assertIn("misconception.detected", types)
        self.assertIn("intervention.recommended", types)
        self.assertEqual(types[-1], "problems.proposed")

    def test_outcome_window_and_policy_evaluation(self):
        self.tutor.submit(answer("s1", 2, 3, "w/1"))
        self.tutor.act(teacher("approve", "s1"))
        results = [self.tutor.submit(answer("s1", i, i, "w/{}".format(i + 10))) for i in (0, 1, 3)]
        self.assertEqual(results[-1]["outcomes"][0]["outcome"], "resolved")
        effectiveness = self.store.view("effectiveness", TENANT)["rows"]
        self.assertEqual(effectiveness[0]["resolutions"], 1)
        practice = self.store.view("practice", TENANT, student="s1")["rows"]
        self.assertEqual(len(practice), 4)  # four problems, one answer each
        self.assertEqual(self.store.view("modality", TENANT)["view"], "modality")
        evaluation = self.tutor.evaluate_policy(TENANT, "greedy")
        self.assertEqual(evaluation["target"], "greedy")
        self.assertEqual(evaluation["records"], 1)
        self.assertEqual(evaluation["logged_value"], 1)

    def test_replay_returns_the_same_dict(self):
        request = answer("s1", 2, 3, "s1/replay")
        first = self.tutor.submit(request)
        last = self.store.last_id()
        again = self.tutor.submit(dict(request))
        self.assertEqual(again, first)
        self.assertEqual(self.store.last_id(), last)  # appended nothing
        # Keyword fields are the same request.
        self.assertEqual(self.tutor.submit(**request), first)
        # A different answer under the same key is still the first result.
        self.assertEqual(self.tutor.submit(request, answer="2"), first)

    def test_bad_json(self):
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            self.tutor.submit('{"tenant": "t1", ')
        self.assertEqual(ctx.exception.status, tutorcore.Status.EINVAL)
        self.assertIn("malformed JSON", ctx.exception.message)
        self.assertEqual(ctx.exception.function, "tc_submit_response")
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            self.tutor.submit(tenant=TENANT)
        self.assertIn("submit request.student: required field is missing", ctx.exception.message)
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            self.tutor.submit(answer("s1", 1, 1, "k", colour="red"))
        self.assertIn("colour", ctx.exception.message)
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            self.tutor.submit(answer("s1", 1, "ada@example.org", "k"))  # personal data
        self.assertIn("answer", ctx.exception.message)
        with self.assertRaises(TypeError):
            self.tutor.submit('{"tenant": "t1"}', student="s1")
        self.assertEqual(self.store.last_id(), 0)  # nothing stored

    def test_unknown_problem_is_not_found(self):
        request = answer("s1", 1, 1, "k")
        request["problem_id"] = "zzz"
        with self.assertRaises(tutorcore.NotFound) as ctx:
            self.tutor.submit(request)
        err = ctx.exception
        self.assertEqual(err.status, tutorcore.Status.ENOTFOUND)
        self.assertEqual(
            err.message, "submit request.problem_id: 'zzz' is not a problem of domain 'fixture_minimal'"
        )
        self.assertIn(err.message, str(err))
        self.assertIn("TC_ENOTFOUND", str(err))
        self.assertEqual(self.store.last_id(), 0)

    def test_invalid_teacher_action_names_the_state(self):
        self.tutor.submit(answer("s1", 2, 3, "k1"))
        self.tutor.act(teacher("approve", "s1"))
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            self.tutor.act(teacher("acknowledge", "s1"))
        self.assertIn("state 'intervention_assigned'", ctx.exception.message)
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            self.tutor.act(teacher("resolve", "s1"))
        self.assertIn("intervention_assigned", ctx.exception.message)
        with self.assertRaises(tutorcore.NotFound):
            self.tutor.act(teacher("approve", "nobody"))
        with self.assertRaises(tutorcore.InvalidArgument):
            self.tutor.act(teacher("dance", "s1"))

    def test_other_errors(self):
        with self.assertRaises(tutorcore.NotFound):
            self.tutor.profile(TENANT, "nobody")
        with self.assertRaises(tutorcore.InvalidArgument):
            self.tutor.snapshot(TENANT, "")
        with self.assertRaises(tutorcore.NotFound):
            self.tutor.evaluate_policy(TENANT, "greedy")  # no outcome yet
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            self.tutor.evaluate_policy(TENANT, "oracle")
        self.assertIn("'oracle' is not thompson, greedy or uniform", ctx.exception.message)
        with self.assertRaises(TypeError):
            self.tutor.snapshot(TENANT, 42)

    def test_config(self):
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            tutorcore.Tutor(self.store, self.domain, {"escalation": {"max_modality_attempts": 9}})
        self.assertIn("tutor config.escalation.max_modality_attempts", ctx.exception.message)
        with self.assertRaises(tutorcore.InvalidArgument):
            tutorcore.Tutor(self.store, self.domain, {"no_such_option": 1})
        with tutorcore.Tutor(self.store, self.domain, {"next_problems": 1, "seed": 7}) as tutor:
            result = tutor.submit(answer("s2", 1, 1, "cfg"))
            self.assertTrue(result["correct"])
            self.assertEqual(len(result["next_problems"]["problems"]), 1)
        with tutorcore.Tutor(self.store, self.domain, "") as tutor:  # "" = the defaults
            tutor.snapshot(TENANT, "s2")
        with self.assertRaises(TypeError):
            tutorcore.Tutor("not a store", self.domain)
        with self.assertRaises(TypeError):
            tutorcore.Tutor(self.store, 3.5)

    def test_domain_may_close_after_open(self):
        with tutorcore.Domain(MINIMAL) as domain:
            tutor = tutorcore.Tutor(self.store, domain)
        self.assertTrue(domain.closed)
        with tutor:
            self.assertTrue(tutor.submit(answer("s3", 4, 4, "after-close"))["correct"])
        self.assertTrue(tutor.closed)

    def test_concurrent_submits(self):
        errors = []

        def student(n):
            try:
                for i in range(5):
                    self.tutor.submit(answer("c{}".format(n), i, i, "c{}/{}".format(n, i)))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=student, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        rows = self.store.view("mastery", TENANT)["rows"]
        self.assertEqual(sorted(r["student"] for r in rows), ["c0", "c1", "c2", "c3"])
        self.assertTrue(all(r["attempts"] == 5 for r in rows))


class AlgebraTest(TempDirCase):
    """The README's scenario on the bundled algebra domain and SQLite."""

    REQUEST = {
        "tenant": "district-7",
        "student": "s-0192",
        "problem_id": "ias_01",
        "answer": "-10",
        "latency_ms": 21000,
        "idempotency_key": "s-0192/answer/1",
    }

    def test_add_magnitudes_then_approve_survives_reopen(self):
        db = self.path("school.db")
        with tutorcore.Store(db) as store, tutorcore.Tutor(store, ALGEBRA) as tutor:
            first = tutor.submit(self.REQUEST)
            self.assertEqual(first["misconception"]["id"], "ias_add_magnitudes")
            self.assertEqual(first["recommendations"][0]["misconception_id"], "ias_add_magnitudes")
            approval = tutor.act(
                action="approve",
                tenant="district-7",
                student="s-0192",
                misconception_id="ias_add_magnitudes",
                teacher_id="t-12",
                idempotency_key="s-0192/approve/1",
            )
            self.assertEqual(approval["events"][-1]["type"], "intervention.assigned")
            last = store.last_id()
        # A second process (here: a second open) replays the same keys.
        with tutorcore.Store(db) as store, tutorcore.Tutor(store, str(ALGEBRA)) as tutor:
            self.assertEqual(tutor.submit(self.REQUEST), first)
            self.assertEqual(store.last_id(), last)
            snapshot = tutor.snapshot("district-7", "s-0192")
            self.assertEqual(snapshot["misconceptions"][0]["state"], "intervention_assigned")


class CoachingTest(unittest.TestCase):
    """The coaching outputs through the binding, with a Python text generator."""

    def test_plan_summary_and_generator(self) -> None:
        with tutorcore.Store.in_memory() as store, tutorcore.Tutor(
            store, MINIMAL
        ) as tutor:
            tutor.submit(tenant="t1", student="s1", problem_id="unit_alpha_p2", answer="3",
                         idempotency_key="c1")
            plan = tutor.coaching(plan="pre_class", tenant="t1", roster={"s1": "Robin"})
            self.assertIn("action_items", plan["plan"])
            self.assertTrue(plan["text"].startswith("Today's plan"))
            self.assertEqual(tutor.acknowledge_plan("t1", plan["event_id"], "x7",
                                                    {"removed": []})["schema_version"], 1)
            seen = []
            tutor.set_text_generator(lambda ctx: seen.append(ctx) or "Host text")
            out = tutor.coaching(plan="parent_summary", tenant="t1", student="s1")
            self.assertEqual(out["source"], "host")
            self.assertEqual(out["text"], "Host text")
            self.assertEqual(seen[0]["student"], "s1")
            tutor.set_text_generator(lambda ctx: 1 / 0)  # raises: the template is used
            self.assertEqual(tutor.coaching(plan="parent_summary", tenant="t1",
                                            student="s1")["source"], "template")
            # Unicode text, several calls: each text stays valid for its call.
            tutor.set_text_generator(lambda ctx: "Élève {} — ok".format(ctx["student"]))
            for _ in range(3):
                self.assertEqual(
                    tutor.coaching(plan="parent_summary", tenant="t1", student="s1")["text"],
                    "Élève s1 — ok",
                )
            tutor.set_text_generator(lambda ctx: None)  # no text: the template
            self.assertEqual(tutor.coaching(plan="parent_summary", tenant="t1",
                                            student="s1")["source"], "template")
            tutor.set_text_generator(None)
            with self.assertRaises(TypeError):
                tutor.set_text_generator("not callable")
            with self.assertRaises(tutorcore.InvalidArgument):
                tutor.coaching(plan="lunch", tenant="t1")
            with self.assertRaises(tutorcore.NotFound):
                tutor.acknowledge_plan("t1", 9999, "x7")


if __name__ == "__main__":
    unittest.main()
