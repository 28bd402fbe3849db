"""Host classifiers written in Python, routing, classification without
storing, the teacher's review and the labelled data set."""

import gc
import threading
import unittest
import warnings

from _support import MINIMAL, TENANT, answer, collect

import tutorcore
from tutorcore import classifier as _registry


class Llm(tutorcore.Classifier):
    """Labels every answer of unit_gamma with mis_gamma_one and counts its calls."""

    def __init__(self, label="mis_gamma_one", confidence=0.8):
        self.label = label
        self.confidence = confidence
        self.inputs = []
        self.batches = []
        self.released = 0

    def predict(self, item):
        self.inputs.append(item)
        return {"label": self.label, "confidence": self.confidence, "reason": "python llm"}

    def release(self):
        self.released += 1


class Batched(Llm):
    def predict_batch(self, items):
        self.batches.append(items)
        return [{"label": "correct", "confidence": 1.0} for _ in items]

    def supports_concept(self, concept_id):
        return concept_id == "unit_alpha"


class HostClassifierTest(unittest.TestCase):
    def setUp(self):
        self.store = tutorcore.Store.in_memory()
        self.tutor = tutorcore.Tutor(self.store, MINIMAL)
        self.addCleanup(self.store.close)
        self.addCleanup(self.tutor.close)
        self.before = _registry.registered_count()

    def test_host_classifier_answers_through_the_pipeline(self):
        llm = Llm()
        self.tutor.register_classifier("py-llm", llm)
        self.assertIn("py-llm", self.tutor.classifiers)
        # Rules first would label "9" nothing; the host is asked first here.
        settings = self.tutor.set_routing(route=["py-llm", "rules"])
        self.assertEqual(settings["routing"]["route"], ["py-llm", "rules"])
        result = self.tutor.submit(
            tenant=TENANT, student="s1", problem_id="unit_gamma_p0", answer="9", idempotency_key="h1"
        )
        self.assertEqual(
            result["misconception"],
            {"id": "mis_gamma_one", "confidence": 0.8, "classifier": "py-llm"},
        )
        self.assertEqual(result["recommendations"][0]["misconception_id"], "mis_gamma_one")
        # The callback got the library's input document as a dict.
        item = llm.inputs[0]
        self.assertEqual(item["schema_version"], 1)
        self.assertEqual(item["answer"], "9")
        self.assertEqual(item["problem"]["id"], "unit_gamma_p0")
        self.assertEqual(item["concept"]["id"], "unit_gamma")
        self.assertEqual(
            [m["id"] for m in item["concept"]["misconceptions"]], ["mis_gamma_one", "mis_gamma_two"]
        )
        prediction = self.tutor.classify(problem_id="unit_gamma_p0", answer="9")["prediction"]
        self.assertEqual(prediction["backend"], "py-llm")
        self.assertEqual(prediction["reason"], "python llm")
        self.assertEqual(len(self.store.read(tenant=TENANT)["events"]), len(result["event_ids"]))

        # The teacher's review and the labelled data set.
        review = self.tutor.review_classification(
            tenant=TENANT,
            response_event_id=result["response_event_id"],
            teacher_id="x7",
            label="mis_gamma_two",
        )
        self.assertEqual(review["review"]["verdict"], "corrected")
        self.assertEqual(review["review"]["original_classifier"], "py-llm")
        labels = self.tutor.export_labels(tenant=TENANT)
        self.assertEqual(len(labels), 1)
        self.assertEqual(labels[0]["label"], "mis_gamma_two")
        self.assertEqual(labels[0]["source"], "corrected")
        self.assertEqual(labels[0]["classifier"], "py-llm")
        text = self.tutor.export_labels_jsonl({"tenant": TENANT})
        self.assertTrue(text.endswith("\n"))
        self.assertEqual(self.tutor.export_labels(tenant="nobody"), [])
        with self.assertRaises(tutorcore.InvalidArgument):
            self.tutor.export_labels(tenant=TENANT, include_unreviewed=1)

        # Unregistering releases it once; the route passes over the name.
        self.tutor.unregister_classifier("py-llm")
        self.assertEqual(llm.released, 1)
        self.assertEqual(_registry.registered_count(), self.before)
        self.assertNotIn("py-llm", self.tutor.classifiers)
        with self.assertRaises(tutorcore.NotFound):
            self.tutor.unregister_classifier("py-llm")
        self.assertEqual(
            self.tutor.classify(problem_id="unit_gamma_p0", answer="9")["prediction"]["backend"],
            "hybrid",
        )

    def test_a_raising_callback_fails_the_call_with_its_message(self):
        def broken(item):
            raise ConnectionError("the language model timed out")

        self.tutor.register_classifier("host", broken)  # a function: predict only
        with self.assertRaises(tutorcore.Cancelled) as ctx:
            self.tutor.submit(answer("s1", 2, 9, "e1", problem_id="unit_gamma_p0"))
        err = ctx.exception
        self.assertEqual(err.status, tutorcore.Status.EUSER)
        self.assertEqual(err.function, "tc_submit_response")
        self.assertIn("classifier 'host'", err.message)
        self.assertIn("ConnectionError: the language model timed out", err.message)
        self.assertIsInstance(err.__cause__, ConnectionError)
        self.assertEqual(self.store.last_id(), 0)  # nothing stored
        with self.assertRaisesRegex(tutorcore.Cancelled, "timed out"):
            self.tutor.classify(problem_id="unit_gamma_p0", answer="9", backend="host")
        # on_error "skip": the router passes the answer on and says why.
        self.tutor.set_routing(on_error="skip")
        prediction = self.tutor.classify(problem_id="unit_gamma_p0", answer="9")["prediction"]
        self.assertEqual(prediction["label"], "unknown")
        self.assertIn("host: failed", prediction["reason"])
        self.assertIn("timed out", prediction["reason"])

    def test_bad_replies(self):
        replies = iter([None, {"label": "mis_gamma_one", "confidence": 2}, '{"label": "correct"', 42])
        self.tutor.register_classifier("host", lambda item: next(replies))
        with self.assertRaisesRegex(tutorcore.Cancelled, "TypeError: predict's reply is None"):
            self.tutor.classify(problem_id="unit_gamma_p0", answer="9", backend="host")
        with self.assertRaisesRegex(tutorcore.InvalidArgument, r"classifier 'host' reply\.confidence"):
            self.tutor.classify(problem_id="unit_gamma_p0", answer="9", backend="host")
        with self.assertRaises(tutorcore.InvalidArgument):  # JSON text, malformed
            self.tutor.classify(problem_id="unit_gamma_p0", answer="9", backend="host")
        with self.assertRaises(tutorcore.InvalidArgument):  # 42 is not a prediction
            self.tutor.classify(problem_id="unit_gamma_p0", answer="9", backend="host")

    def test_batch_and_supports_concept(self):
        model = Batched()
        self.tutor.register_classifier("model", model)
        out = self.tutor.classify_batch(
            items=[
                {"problem_id": "unit_alpha_p0", "answer": "5"},
                {"problem_id": "unit_beta_p0", "answer": "1"},
                {"problem_id": "unit_alpha_p1", "answer": "7"},
            ]
        )
        self.assertEqual(len(model.batches), 1)
        self.assertEqual([i["problem"]["id"] for i in model.batches[0]], ["unit_alpha_p0", "unit_alpha_p1"])
        backends = [p["backend"] for p in out["predictions"]]
        self.assertEqual(backends, ["model", "rules", "model"])
        self.assertIn(
            "model: does not support concept unit_beta",
            self.tutor.classify(problem_id="unit_beta_p0", answer="0")["prediction"]["reason"],
        )

    def test_supports_concept_raising_warns_and_answers_no(self):
        class Picky(Llm):
            def supports_concept(self, concept_id):
                raise ValueError("no idea")

        self.tutor.register_classifier("model", Picky())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = self.tutor.classify(problem_id="unit_alpha_p0", answer="0")
        self.assertEqual(out["prediction"]["backend"], "rules")
        self.assertTrue(any(issubclass(w.category, tutorcore.ClassifierWarning) for w in caught))

    def test_registration_errors_keep_nothing(self):
        llm = Llm()
        self.tutor.register_classifier("host", llm)
        with self.assertRaises(tutorcore.AlreadyExists):
            self.tutor.register_classifier("host", Llm())
        with self.assertRaises(tutorcore.InvalidArgument):
            self.tutor.register_classifier("Bad Name", Llm())
        with self.assertRaises(tutorcore.InvalidArgument):
            self.tutor.register_classifier("hybrid", Llm())
        with self.assertRaises(TypeError):
            self.tutor.register_classifier("other", object())
        with self.assertRaises(TypeError):
            self.tutor.register_classifier(3, Llm())
        self.assertEqual(_registry.registered_count(), self.before + 1)
        self.assertEqual(llm.released, 0)
        # Closing the tutor releases what it holds, once.
        self.tutor.close()
        self.assertEqual(llm.released, 1)
        self.assertEqual(_registry.registered_count(), self.before)
        self.tutor.close()
        self.assertEqual(llm.released, 1)

    def test_closing_the_store_releases_the_tutors_classifiers(self):
        llm = Llm()
        self.tutor.register_classifier("host", llm)
        self.store.close()
        self.assertTrue(self.tutor.closed)
        self.assertEqual(llm.released, 1)

    def test_a_dropped_tutor_releases_its_classifiers(self):
        llm = Llm()
        tutor = tutorcore.Tutor(self.store, MINIMAL)
        tutor.register_classifier("host", llm)
        del tutor
        collect()
        self.assertEqual(llm.released, 1)
        self.assertEqual(_registry.registered_count(), self.before)

    def test_a_callback_must_not_call_its_tutor(self):
        tutor = self.tutor

        def reentrant(item):
            tutor.snapshot(TENANT, "s1")
            return {"label": "correct", "confidence": 1}

        tutor.register_classifier("host", reentrant)
        with self.assertRaises(tutorcore.Cancelled) as ctx:
            tutor.classify(problem_id="unit_gamma_p0", answer="9", backend="host")
        self.assertIn("must not call the tutor that asked it", ctx.exception.message)
        self.assertIsInstance(ctx.exception.__cause__, tutorcore.InvalidArgument)

        # Another tutor may be called.
        with tutorcore.Tutor(self.store, MINIMAL) as other:
            def asks_other(item):
                other.snapshot(TENANT, "s1")
                return {"label": "correct", "confidence": 1}

            other_name = "other"
            tutor.register_classifier(other_name, asks_other)
            out = tutor.classify(problem_id="unit_gamma_p0", answer="9", backend=other_name)
            self.assertEqual(out["prediction"]["label"], "correct")

    def test_concurrent_classify_calls_from_threads(self):
        llm = Llm()
        lock = threading.Lock()
        seen = []

        def predict(item):
            with lock:
                seen.append(threading.get_ident())
            return llm.predict(item)

        self.tutor.register_classifier("host", predict)
        errors = []

        def worker():
            try:
                for _ in range(20):
                    out = self.tutor.classify(problem_id="unit_gamma_p0", answer="9", backend="host")
                    assert out["prediction"]["backend"] == "host"
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(seen), 80)
        self.assertGreater(len(set(seen)), 1)  # called on the threads that classified
        gc.collect()


if __name__ == "__main__":
    unittest.main()
