#!/usr/bin/env python3
"""tutorcore from Python in one page: a student's answer through the pipeline,
the teacher's approval, and the student's snapshot.

    python3 quickstart.py [DOMAIN_DIR] [DATABASE]

DOMAIN_DIR defaults to the repository's examples/domains/algebra_fundamentals;
DATABASE to school.db in a fresh temporary directory. Run it twice with the
same DATABASE: the second run replays the same idempotency keys, so it
stores nothing and prints the same results.
"""

import os
import sys
import tempfile
from pathlib import Path

import tutorcore

HERE = Path(__file__).resolve().parent
DEFAULT_DOMAIN = HERE.parents[2] / "examples" / "domains" / "algebra_fundamentals"


def main(argv: list) -> int:
    domain_dir = argv[1] if len(argv) > 1 else str(DEFAULT_DOMAIN)
    tmp = None
    if len(argv) > 2:
        db = argv[2]
    else:
        tmp = tempfile.TemporaryDirectory()
        db = os.path.join(tmp.name, "school.db")

    print("tutorcore", tutorcore.version(), "from", tutorcore.library_path())
    report = tutorcore.validate_domain(domain_dir)
    print("domain {domain}: valid={valid}, {counts[problems]} problems".format(**report))

    with tutorcore.Store(db) as store, tutorcore.Tutor(store, domain_dir) as tutor:
        # "Compute: -7 + 3" answered "-10": the student adds the magnitudes.
        result = tutor.submit(
            tenant="district-7",
            student="s-0192",
            problem_id="ias_01",
            answer="-10",
            latency_ms=21000,
            idempotency_key="s-0192/answer/1",
        )
        print("correct:", result["correct"])
        print("misconception:", result["misconception"]["id"])
        print("mastery: {old_level:.3f} -> {new_level:.3f}".format(**result["mastery"]))
        recommendation = result["recommendations"][0]
        print("recommended:", recommendation["modality"], "-", recommendation["text"])
        print("next problems:", [p["problem_id"] for p in result["next_problems"]["problems"]])

        # Nothing is assigned until the teacher approves.
        approval = tutor.act(
            action="approve",
            tenant="district-7",
            student="s-0192",
            misconception_id=result["misconception"]["id"],
            teacher_id="t-12",
            idempotency_key="s-0192/approve/1",
        )
        print("teacher:", [event["type"] for event in approval["events"]])

        snapshot = tutor.snapshot("district-7", "s-0192")
        for row in snapshot["misconceptions"]:
            print("lifecycle of {}: {}".format(row["misconception_id"], row["lifecycle"]))

        # A wrong request raises an exception carrying the library's message.
        try:
            tutor.submit(tenant="district-7", student="s-0192", problem_id="no_such_problem",
                         answer="1", idempotency_key="s-0192/answer/2")
        except tutorcore.NotFound as exc:
            print("refused:", exc.message)

        print("events in the log:", store.last_id())
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
