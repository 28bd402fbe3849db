#!/usr/bin/env python3
"""tutorcore-server end to end, with the standard library only: start it on a
free port with a small simulated class, then health, authentication, submit
and replay, approval, input errors (4xx naming the field), the live alert
stream (SSE), and a clean stop on SIGTERM.

usage: test_server.py SERVER_BINARY DOMAIN_DIR WORK_DIR
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

SERVER, DOMAIN, WORK = sys.argv[1:4]
KEY = "test-key"


class Server:
    def __init__(self):
        shutil.rmtree(WORK, ignore_errors=True)
        os.makedirs(WORK)
        self.proc = subprocess.Popen(
            [SERVER, "--domain", DOMAIN, "--data", WORK, "--port", "0", "--students", "4",
             "--live-rate", "0", "--api-key", KEY, "--tenant", "school-a"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.base = None
        deadline = time.time() + 60
        lines = []
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"listening: (http://[0-9.]+:[0-9]+)/", line)
            if m:
                self.base = m.group(1)
                break
        if not self.base:
            raise RuntimeError("server did not start:\n" + "".join(lines))

    def request(self, method, path, body=None, key=KEY):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if key:
            req.add_header("X-API-Key", key)
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return res.status, json.loads(res.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=20)


class ServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()

    @classmethod
    def tearDownClass(cls):
        if cls.s.proc.poll() is None:
            cls.s.stop()

    def test_1_health_needs_no_key(self):
        status, body = self.s.request("GET", "/health", key=None)
        self.assertEqual(status, 200)
        self.assertEqual(body["status"], "ok")
        self.assertGreater(body["events"], 0)  # the simulated class answered
        self.assertFalse(body["personal_data_allowed"])

    def test_2_api_needs_the_tenant_key(self):
        status, body = self.s.request("GET", "/api/interventions/pending", key=None)
        self.assertEqual(status, 401)
        self.assertIn("X-API-Key", body["error"]["message"])
        status, _ = self.s.request("GET", "/api/interventions/pending", key="wrong")
        self.assertEqual(status, 401)

    def test_3_submit_replay_and_approve(self):
        answer = {"student": "web-1", "problem_id": "ias_01", "answer": "-10",
                  "idempotency_key": "web-1/1", "latency_ms": 20000}
        status, first = self.s.request("POST", "/api/responses", answer)
        self.assertEqual(status, 201)
        self.assertFalse(first["correct"])
        self.assertEqual(first["misconception"]["id"], "ias_add_magnitudes")
        self.assertEqual(len(first["recommendations"]), 1)
        status, again = self.s.request("POST", "/api/responses", answer)
        self.assertEqual(status, 200)  # replayed: the first result, nothing stored
        self.assertEqual(again, first)
        status, pending = self.s.request("GET", "/api/interventions/pending")
        mine = [p for p in pending["pending"] if p["student"] == "web-1"]
        self.assertEqual(len(mine), 1)
        status, done = self.s.request("POST", "/api/interventions/approve", {
            "student": "web-1", "misconception_id": "ias_add_magnitudes", "teacher_id": "t1"})
        self.assertEqual(status, 200)
        self.assertEqual([e["type"] for e in done["events"]],
                         ["intervention.approved", "intervention.assigned"])
        status, events = self.s.request("GET", "/api/events?type=intervention.assigned&student=web-1")
        self.assertEqual(len(events["events"]), 1)
        self.assertEqual(events["events"][0]["author"], "teacher:t1")
        # The same approval again is refused: the state no longer allows it.
        status, body = self.s.request("POST", "/api/interventions/approve", {
            "student": "web-1", "misconception_id": "ias_add_magnitudes", "teacher_id": "t1"})
        self.assertEqual(status, 400)
        self.assertIn("intervention_assigned", body["error"]["message"])

    def test_4_bad_input_is_a_4xx_that_names_the_problem(self):
        cases = [
            ({"student": "x", "problem_id": "nope", "answer": "1", "idempotency_key": "k"}, 404,
             "problem_id: 'nope'"),
            ({"student": "x", "problem_id": "ias_01", "answer": "1"}, 400,
             "idempotency_key: required field is missing"),
            ({"student": "x", "problem_id": "ias_01", "answer": "1", "idempotency_key": "k",
              "colour": "red"}, 400, "request body.colour: unknown field"),
            ({"student": "x", "problem_id": "ias_01", "answer": "1", "idempotency_key": "k",
              "latency_ms": "slow"}, 400, "latency_ms: must be a number"),
            (b'{"student": ', 400, "malformed JSON at line 1"),
        ]
        _, before = self.s.request("GET", "/health")
        for body, status, message in cases:
            with self.subTest(message=message):
                got, err = self.s.request("POST", "/api/responses", body)
                self.assertEqual(got, status)
                self.assertIn(message, err["error"]["message"])
        _, after = self.s.request("GET", "/health")
        self.assertEqual(before["events"], after["events"])  # nothing stored
        got, err = self.s.request("GET", "/api/no/such/route")
        self.assertEqual(got, 404)
        got, err = self.s.request("GET", "/api/views/nonsense")
        self.assertEqual(got, 400)

    def test_5_alerts_stream_live(self):
        host, port = self.s.base.split("//")[1].split(":")
        sock = socket.create_connection((host, int(port)), timeout=10)
        sock.sendall(f"GET /api/alerts/stream HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\n\r\n".encode())
        received = []

        def read():
            buf = b""
            end = time.time() + 15
            while time.time() < end and b"approval_needed" not in buf:
                try:
                    chunk = sock.recv(4096)
                except socket.timeout:
                    break
                if not chunk:
                    break
                buf += chunk
            received.append(buf.decode(errors="replace"))

        t = threading.Thread(target=read)
        t.start()
        time.sleep(0.5)
        self.s.request("POST", "/api/responses", {
            "student": "web-2", "problem_id": "ias_01", "answer": "-10", "idempotency_key": "web-2/1"})
        t.join(20)
        sock.close()
        self.assertIn("text/event-stream", received[0])
        self.assertIn("event: alert", received[0])
        self.assertIn('"student":"web-2"', received[0])

    def test_6_dashboard_and_analytics(self):
        req = urllib.request.Request(self.s.base + "/")
        with urllib.request.urlopen(req, timeout=10) as res:
            self.assertIn("Teacher dashboard", res.read().decode())
        status, heat = self.s.request("GET", "/api/mastery/heatmap")
        self.assertEqual(status, 200)
        self.assertEqual(len(heat["students"][0]["mastery"]), len(heat["concepts"]))
        status, eff = self.s.request("GET", "/api/effectiveness")
        for row in eff["rows"]:
            self.assertLessEqual(row["ci_low"], row["rate"])
            self.assertGreaterEqual(row["ci_high"], row["rate"])

    def test_7_analytics_assignments_irt_and_coaching(self):
        for analysis in ("cooccurrence", "effectiveness", "cohorts", "prerequisites", "drift"):
            status, body = self.s.request("GET", f"/api/analytics/{analysis}")
            self.assertEqual(status, 200, body)
            self.assertEqual(body["tenant"], "school-a")
        status, body = self.s.request("GET", "/api/analytics/astrology")
        self.assertEqual(status, 400)
        self.assertIn("'astrology'", body["error"]["message"])
        status, body = self.s.request("POST", "/api/students/web-1/assignments",
                                      {"concepts": ["integer_add_sub"]})
        self.assertEqual(status, 201, body)
        self.assertTrue(body["assignment"]["problems"])
        status, body = self.s.request("POST", "/api/students/web-1/assignments",
                                      {"concepts": ["astrology"]})
        self.assertEqual(status, 404)
        status, body = self.s.request("POST", "/api/irt/estimate?model=rasch", {})
        self.assertEqual(status, 200, body)
        self.assertGreater(len(body["items"]), 0)
        status, body = self.s.request("PUT", "/api/roster", {"web-1": "Robin"})
        self.assertEqual(status, 200)
        status, plan = self.s.request("GET", "/api/coaching/pre-class")
        self.assertEqual(status, 200)
        self.assertTrue(plan["text"].startswith("Today's plan"))
        status, ack = self.s.request("POST", f"/api/coaching/plans/{plan['event_id']}/acknowledge",
                                     {"teacher_id": "t1", "modifications": {"removed": [1]}})
        self.assertEqual(status, 200, ack)
        status, summary = self.s.request("GET", "/api/students/web-1/parent-summary")
        self.assertEqual(status, 200)
        self.assertIn("Student summary: Robin", summary["text"])
        # The roster's names never reach the log.
        status, events = self.s.request("GET", "/api/events?type=coaching.plan_generated")
        self.assertNotIn("Robin", json.dumps(events))

    def test_7b_research_export(self):
        # The simulated class has 4 students: below the default minimum of 10.
        status, body = self.s.request("GET", "/api/research/export")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["export"], "research")
        self.assertEqual(body["min_group_size"], 10)
        self.assertTrue(body["cohorts"]["total"]["suppressed"])
        self.assertIsNone(body["cohorts"]["total"]["students"])
        text = json.dumps(body)
        self.assertNotIn("school-a", text)
        self.assertNotIn("web-1", text)
        status, body = self.s.request("GET", "/api/research/export?min_group_size=2")
        self.assertEqual(status, 200, body)
        self.assertGreaterEqual(body["cohorts"]["total"]["students"], 4)
        for bad, message in (("1", "min_group_size: 1 is outside 2..1000000"),
                             ("ten", "min_group_size: must be an integer, found string")):
            status, body = self.s.request("GET", "/api/research/export?min_group_size=" + bad)
            self.assertEqual(status, 400, body)
            self.assertIn(message, body["error"]["message"])
        status, _ = self.s.request("GET", "/api/research/export", key=None)
        self.assertEqual(status, 401)

    def test_8_stops_cleanly(self):
        self.assertEqual(self.s.stop(), 0)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
