"""Moderation and metacognitive bias detection through the binding, with
host classifiers written in Python."""

import unittest

from _support import MINIMAL, TENANT

import tutorcore


def overconfident_session(student="b1", session="sess", n=6):
    """Fast, wrong, unverified submits with a high self-reported confidence."""
    events = []
    for i in range(n):
        base = {"tenant": TENANT, "entity_type": "student", "entity_id": student}
        problem = "unit_alpha_p{}".format(i % 5)
        events.append(dict(base, type="interaction.problem_started", payload={"session_id": session, "problem_id": problem}))
        events.append(
            dict(
                base,
                type="interaction.submitted",
                payload={
                    "session_id": session,
                    "problem_id": problem,
                    "correct": False,
                    "latency_ms": 2000,
                    "confidence": 0.95,
                },
            )
        )
    return events


class ModerationTest(unittest.TestCase):
    def setUp(self):
        self.store = tutorcore.Store.in_memory()
        self.tutor = tutorcore.Tutor(self.store, MINIMAL)
        self.addCleanup(self.store.close)
        self.addCleanup(self.tutor.close)

    def test_lexicon_allow_and_crisis(self):
        settings = self.tutor.set_moderation()
        self.assertEqual(settings["moderation"]["classifier"], "lexicon")
        ok = self.tutor.moderate(tenant=TENANT, student="s1", message="is 3 + 4 equal to 7?")
        self.assertEqual(ok["action"], "allow")
        self.assertTrue(ok["message_hash"])
        crisis = self.tutor.moderate(
            tenant=TENANT, student="s2", message="I want to hurt myself", idempotency_key="m2"
        )
        self.assertEqual(crisis["action"], "crisis")
        self.assertEqual(crisis["category"], "self_harm")
        self.assertTrue(crisis["support_mode"])
        self.assertEqual(crisis["crisis"]["alert"], "urgent")
        # The log holds the decision, never the text.
        for event in self.store.read(tenant=TENANT, entity_id="s2")["events"]:
            self.assertNotIn("hurt myself", str(event))
        replay = self.tutor.moderate(
            tenant=TENANT, student="s2", message="I want to hurt myself", idempotency_key="m2"
        )
        self.assertTrue(replay["replayed"])
        status = self.tutor.moderation_status(TENANT, "s2")
        self.assertTrue(status["support_mode"])
        self.assertEqual(status["crises"], 1)
        with self.assertRaises(tutorcore.InvalidArgument):
            self.tutor.moderation_status(TENANT, "")
        with self.assertRaises(tutorcore.InvalidArgument):
            self.tutor.moderate(tenant=TENANT, student="s1")
        with self.assertRaises(tutorcore.InvalidArgument):
            self.tutor.set_moderation(policy={"strikes_to_quarantine": -1})

    def test_a_host_moderation_classifier(self):
        messages = []

        def moderator(item):
            messages.append(item["answer"])
            return {"label": "violence:high", "confidence": 0.9, "reason": "python moderator"}

        self.tutor.register_classifier("py-mod", moderator)
        self.assertEqual(self.tutor.set_moderation(classifier="py-mod")["moderation"]["classifier"], "py-mod")
        decision = self.tutor.moderate(tenant=TENANT, student="s1", message="some message")
        self.assertEqual(messages, ["some message"])
        self.assertEqual(decision["classifier"], "py-mod")
        self.assertEqual((decision["category"], decision["severity"]), ("violence", "high"))
        self.assertEqual(decision["action"], "quarantine")
        self.assertTrue(self.tutor.moderation_status(TENANT, "s1")["quarantined"])

        def down(item):
            raise TimeoutError("moderation service down")

        self.tutor.unregister_classifier("py-mod")
        self.tutor.register_classifier("py-mod", down)
        before = self.store.last_id()
        with self.assertRaises(tutorcore.Cancelled) as ctx:
            self.tutor.moderate(tenant=TENANT, student="s3", message="hello")
        self.assertIn("TimeoutError: moderation service down", ctx.exception.message)
        self.assertIsInstance(ctx.exception.__cause__, TimeoutError)
        self.assertEqual(self.store.last_id(), before)  # nothing stored on failure
        self.tutor.unregister_classifier("py-mod")
        with self.assertRaises(tutorcore.NotFound):
            self.tutor.moderate(tenant=TENANT, student="s3", message="hello")


class MetacogTest(unittest.TestCase):
    def setUp(self):
        self.store = tutorcore.Store.in_memory()
        self.tutor = tutorcore.Tutor(self.store, MINIMAL)
        self.addCleanup(self.store.close)
        self.addCleanup(self.tutor.close)

    def test_rules_detect_overconfidence_and_summarise(self):
        self.store.append(overconfident_session())
        alerts = []
        with self.store.subscribe(lambda e: alerts.append(e["type"])):
            result = self.tutor.detect_bias(tenant=TENANT, student="b1", session_id="sess")
        self.assertTrue(result["intervention_proposed"])
        self.assertEqual(result["detection"]["bias"], "overconfidence")
        self.assertEqual(result["detection"]["backend"], "rules")
        self.assertTrue(result["detection"]["prompt"].endswith("?"))
        self.assertEqual(alerts, ["metacog.bias_detected"])
        summary = self.tutor.bias_summary(tenant=TENANT, session_id="sess")
        self.assertEqual(summary["total"], 1)
        self.assertEqual(summary["most_common_bias"], "overconfidence")
        config = self.tutor.set_metacog(threshold=0.99)["metacog"]
        self.assertEqual(config["threshold"], 0.99)
        self.assertEqual(self.tutor.set_metacog()["metacog"]["threshold"], 0.99)
        with self.assertRaises(tutorcore.InvalidArgument):
            self.tutor.set_metacog(threshold=7)
        with self.assertRaises(tutorcore.InvalidArgument):
            self.tutor.bias_summary(tenant=TENANT)

    def test_a_host_bias_model(self):
        self.store.append(overconfident_session())
        features = []

        def model(item):
            features.append(item["answer"])
            return {"label": "anchoring", "confidence": 0.9}

        self.tutor.register_classifier("bias", model)
        result = self.tutor.detect_bias(tenant=TENANT, student="b1")
        self.assertEqual(result["detection"]["bias"], "anchoring")
        self.assertEqual(result["detection"]["backend"], "bias")
        self.assertIn("feature_names", features[0])  # the feature document as "answer"

        self.tutor.unregister_classifier("bias")
        self.tutor.register_classifier("bias", lambda item: {"label": "sloth", "confidence": 1})
        with self.assertRaises(tutorcore.InvalidArgument):
            self.tutor.detect_bias(tenant=TENANT, student="b1", time_us=result["time_us"] + 1)


if __name__ == "__main__":
    unittest.main()
