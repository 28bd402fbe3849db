"""Knowledge tracing and IRT: hot paths, fitting with progress and
cancellation, fitted models."""

import math
import unittest

from _support import TRACING

import tutorcore
from tutorcore import bkt, irt

PARAMS = tutorcore.BktParams(p_init=0.3, p_learn=0.2, p_guess=0.1, p_slip=0.05)


def synthetic_rows():
    """40 students x 2 skills x 8 answers, the pattern of the C ABI test."""
    return [
        ["s{}".format(s), "skill_a" if t < 8 else "skill_b", 1 if (t % 8) >= (s % 5) else 0]
        for s in range(40)
        for t in range(16)
    ]


def variant_rows():
    """Item "e" is easy to guess, item "h" is not; students in two groups."""
    rows = []
    for s in range(60):
        for t in range(10):
            easy = t % 2 == 0
            right = (s + t) % 3 != 0 if easy else (t > 5 and s % 2 == 0)
            rows.append(["s{}".format(s), "k", int(right), "e" if easy else "h", "g1" if s % 2 else "g2"])
    return rows


class HotPathTest(unittest.TestCase):
    def test_predict_and_update(self):
        self.assertAlmostEqual(tutorcore.bkt_predict(0.3, PARAMS), 0.3 * 0.95 + 0.7 * 0.1, places=12)
        post = 0.285 / 0.355
        self.assertAlmostEqual(
            tutorcore.bkt_update(0.3, True, PARAMS), post + (1 - post) * 0.2, places=12
        )
        as_dict = {"p_init": 0.3, "p_learn": 0.2, "p_guess": 0.1, "p_slip": 0.05}
        self.assertEqual(bkt.update(0.3, False, as_dict), PARAMS.update(0.3, False))
        self.assertEqual(PARAMS.predict(0.3), bkt.predict(0.3, as_dict))
        self.assertEqual(tutorcore.BktParams.from_mapping(as_dict), PARAMS)
        self.assertEqual(PARAMS.to_dict(), dict(as_dict, p_forget=0.0))
        self.assertIn("p_slip=0.05", repr(PARAMS))
        with self.assertRaises(tutorcore.InvalidArgument):
            tutorcore.BktParams.from_mapping({"p_init": 0.3, "p_lern": 0.2})
        with self.assertRaises(TypeError):
            bkt.predict(0.3, [0.3, 0.2])

    def test_predict_multi(self):
        other = tutorcore.BktParams(0.5, 0.1, 0.25, 0.1)
        product = tutorcore.bkt_predict_multi([0.9, 0.5], [PARAMS, other])
        self.assertAlmostEqual(product, PARAMS.predict(0.9) * other.predict(0.5), places=15)
        self.assertLessEqual(
            tutorcore.bkt_predict_multi([0.9, 0.5], [PARAMS, other], tutorcore.Combine.MIN),
            other.predict(0.5),
        )
        mean = tutorcore.bkt_predict_multi([0.9, 0.5], [PARAMS, other.to_dict()], "mean")
        self.assertAlmostEqual(mean, (PARAMS.predict(0.9) + other.predict(0.5)) / 2, places=15)
        with self.assertRaises(tutorcore.InvalidArgument):
            tutorcore.bkt_predict_multi([], [])
        with self.assertRaises(tutorcore.InvalidArgument):
            tutorcore.bkt_predict_multi([0.5], [PARAMS, other])
        with self.assertRaises(tutorcore.InvalidArgument):
            tutorcore.bkt_predict_multi([0.5], [PARAMS], 7)
        with self.assertRaises(tutorcore.InvalidArgument):
            tutorcore.bkt_predict_multi([0.5], [PARAMS], "median")

    def test_irt(self):
        self.assertAlmostEqual(tutorcore.irt_probability(0.5, 1.5, 0.5), 0.5, places=12)
        self.assertAlmostEqual(irt.probability(1.0, 1.0, 0.0), 1 / (1 + math.exp(-1)), places=12)
        self.assertAlmostEqual(tutorcore.irt_information(0.5, 1.5, 0.5), 1.5 * 1.5 * 0.25, places=12)
        self.assertAlmostEqual(tutorcore.irt_theta_from_mastery(0.5), 0.0, places=12)
        self.assertLess(irt.theta_from_mastery(1.0), 14.0)  # clamped, finite
        self.assertTrue(math.isfinite(irt.theta_from_mastery(0.0)))


class FitTest(unittest.TestCase):
    def test_fit_rows_with_progress(self):
        calls = []
        report = tutorcore.bkt_fit(
            {"rows": synthetic_rows(), "seed": 7},
            restarts=2,
            progress=lambda done, total: calls.append((done, total)),
        )
        self.assertEqual(report["skills"], 2)
        self.assertEqual(report["responses"], 640)
        self.assertEqual(report["model"]["kind"], "bkt")
        self.assertGreaterEqual(len(calls), 1)
        self.assertTrue(all(total == 2 for _, total in calls))
        self.assertEqual([d for d, _ in calls], sorted(d for d, _ in calls))

        params = tutorcore.bkt_model_check(report["model"], "skill_a")
        self.assertIsInstance(params, tutorcore.BktParams)
        self.assertLess(params.p_guess + params.p_slip, 1.0)
        self.assertIsNone(tutorcore.bkt_model_check(report["model"]))
        with self.assertRaises(tutorcore.NotFound):
            tutorcore.bkt_model_check(report["model"], "skill_z")

        with tutorcore.BktModel.from_fit(report) as model:
            self.assertEqual(model.params("skill_a"), params)
            self.assertEqual(model.predict(0.4, "skill_a"), params.predict(0.4))
            self.assertEqual(model.update(0.4, True, "skill_a"), params.update(0.4, True))
            with self.assertRaises(tutorcore.NotFound) as ctx:
                model.params("nope")
            self.assertIn("no skill 'nope'", ctx.exception.message)
        self.assertTrue(model.closed)
        with self.assertRaises(tutorcore.InvalidArgument):
            model.params("skill_a")

    def test_progress_callback_cancels(self):
        seen = []

        def cancel(done, total):
            seen.append(done)
            return False

        with self.assertRaises(tutorcore.Cancelled) as ctx:
            tutorcore.bkt_fit(rows=synthetic_rows(), restarts=2, progress=cancel)
        err = ctx.exception
        self.assertEqual(err.status, tutorcore.Status.EUSER)
        self.assertIn("cancelled", err.message)
        self.assertEqual(err.function, "tc_bkt_fit")
        self.assertEqual(len(seen), 1)  # no report after the cancel
        # Returning None or True goes on.
        report = tutorcore.bkt_fit(rows=synthetic_rows(), restarts=1, progress=lambda d, t: True)
        self.assertEqual(report["skills"], 2)

    def test_progress_exception_cancels_and_propagates(self):
        class Stop(Exception):
            pass

        def fail(done, total):
            raise Stop("stop at {}/{}".format(done, total))

        with self.assertRaises(Stop) as ctx:
            tutorcore.bkt_fit(rows=synthetic_rows(), progress=fail)
        self.assertIn("/2", str(ctx.exception))

        def cancel_by_raising(done, total):
            raise tutorcore.Cancelled("enough")

        with self.assertRaises(tutorcore.Cancelled) as ctx:
            tutorcore.bkt_fit(rows=synthetic_rows(), progress=cancel_by_raising)
        self.assertEqual(ctx.exception.function, "tc_bkt_fit")

    def test_fit_csv(self):
        report = tutorcore.bkt_fit(
            train_csv=str(TRACING / "train.csv"), test_csv=str(TRACING / "test.csv"), folds=3
        )
        self.assertEqual(report["responses"], 1200)
        self.assertGreater(report["test_auc"], 0.5)
        self.assertIn("cross_validation", report)

    def test_fit_errors(self):
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            tutorcore.bkt_fit(rows=[["s1", "k", 2]])
        self.assertIn("fit request.rows[0][2]: must be 0 or 1", ctx.exception.message)
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            tutorcore.bkt_fit(rows=[["s1", "k", 1]], restarts=0)
        self.assertIn("fit request.restarts: 0 is outside 1..1000", ctx.exception.message)
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            tutorcore.bkt_fit({"rows": [], "restart": 1})
        self.assertIn("fit request.restart: unknown field", ctx.exception.message)
        with self.assertRaises(tutorcore.NotFound):
            tutorcore.bkt_fit(train_csv="/no/such.csv")
        with self.assertRaises(tutorcore.InvalidArgument):
            tutorcore.bkt_fit("{not json")


class ModelTest(unittest.TestCase):
    def test_variant_model(self):
        report = tutorcore.bkt_fit(rows=variant_rows(), restarts=2, multigs=True, multiprior=True)
        model = tutorcore.BktModel(report["model"])
        self.addCleanup(model.close)
        easy = model.params("k", "e", "g1")
        hard = model.params("k", item="h", group="g1")
        base = model.params("k")
        self.assertGreater(easy.p_guess, hard.p_guess)
        self.assertEqual(easy.p_learn, hard.p_learn)  # multilearn off: one learn rate
        self.assertEqual(model.params("k", "unknown item").p_guess, base.p_guess)

    def test_bad_models(self):
        with self.assertRaises(tutorcore.VersionError):
            tutorcore.BktModel({"schema_version": 99, "kind": "bkt"})
        with self.assertRaises(tutorcore.InvalidArgument):
            tutorcore.BktModel('{"schema_version": 1}')
        with self.assertRaises(tutorcore.InvalidArgument):
            tutorcore.bkt_model_check({"schema_version": 1})
        model = tutorcore.BktModel(tutorcore.bkt_fit(rows=synthetic_rows())["model"])
        model.close()
        model.close()
        del model  # __del__ after close frees nothing twice


if __name__ == "__main__":
    unittest.main()
