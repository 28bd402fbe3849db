"""The event store: options, append, read, views, subscriptions, lifetimes."""

import sys
import threading
import unittest

from _support import HEADER, MINIMAL, TENANT, TempDirCase, answer, collect

import tutorcore


def event(entity_id="s-1", type_="response.submitted", key=None, **payload):
    doc = {
        "tenant": TENANT,
        "entity_type": "student",
        "entity_id": entity_id,
        "type": type_,
        "payload": payload or {"problem_id": "p1", "concept_id": "c1", "correct": True},
    }
    if key is not None:
        doc["idempotency_key"] = key
    return doc


class CaptureUnraisable:
    """Collects what reaches sys.unraisablehook (a subscriber's exception)."""

    def __enter__(self):
        self.seen = []
        self._old = sys.unraisablehook
        sys.unraisablehook = self.seen.append
        return self

    def __exit__(self, *exc):
        sys.unraisablehook = self._old


class MemoryStoreTest(unittest.TestCase):
    def setUp(self):
        self.store = tutorcore.Store.in_memory()
        self.addCleanup(self.store.close)

    def test_round_trip(self):
        store = self.store
        self.assertEqual(store.backend, "memory")
        self.assertEqual(store.last_id(), 0)
        one = event(key="a1")
        self.assertEqual(store.append(one), {"schema_version": 1, "ids": [1], "new": [True]})
        # The same key again: stored once, same id, no error.
        self.assertEqual(store.append(one), {"schema_version": 1, "ids": [1], "new": [False]})
        batch = store.append(
            [
                event("s-2", "mastery.updated", concept_id="c1", new_level=0.5),
                event("s-2", "response.submitted", problem_id="p1", concept_id="c1", correct=False),
            ]
        )
        self.assertEqual(batch["ids"], [2, 3])
        self.assertEqual(store.last_id(), 3)

        page = store.read(tenant=TENANT, entity_id="s-2")
        self.assertEqual(page["last_id"], 3)
        self.assertEqual([e["type"] for e in page["events"]], ["mastery.updated", "response.submitted"])
        first = page["events"][0]
        self.assertEqual(first["payload"], {"concept_id": "c1", "new_level": 0.5})
        self.assertEqual(first["entity_id"], "s-2")
        self.assertEqual(store.read({"tenant": TENANT}, type="mastery.updated")["events"][0]["id"], 2)
        self.assertEqual(store.read(tenant="t2")["events"], [])

        view = store.view("mastery", TENANT, student="s-2")
        self.assertEqual(view["view"], "mastery")
        self.assertEqual(len(view["rows"]), 1)
        self.assertEqual(view["rows"][0]["level"], 0.5)
        self.assertEqual(view["rows"][0]["attempts"], 1)
        store.rebuild_views()
        self.assertEqual(store.view("mastery", TENANT, student="s-2"), view)
        store.checkpoint()

    def test_typed_append(self):
        ids = self.store.append_events(
            [
                {
                    "tenant": TENANT,
                    "entity_type": "student",
                    "entity_id": "s-3",
                    "type": "mastery.updated",
                    "payload": {"concept_id": "c1", "new_level": 0.25},
                    "author": "teacher:x7",
                    "idempotency_key": "typed/1",
                },
                {
                    "tenant": TENANT,
                    "entity_type": "student",
                    "entity_id": "s-3",
                    "type": "response.submitted",
                    "payload": '{"problem_id":"p1","concept_id":"c1","correct":true}',
                    "time_us": 1767225600000000,
                },
            ]
        )
        self.assertEqual(ids, [1, 2])
        self.assertEqual(self.store.append_events([dict(event("s-3"), idempotency_key="typed/1")]), [1])
        self.assertEqual(self.store.append_events([]), [])
        events = self.store.read(tenant=TENANT)["events"]
        self.assertEqual(events[0]["author"], "teacher:x7")
        self.assertEqual(events[1]["time_us"], 1767225600000000)
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            self.store.append_events([dict(event(), payload='{"problem_id":')])
        self.assertIn("event[0].payload: malformed JSON", ctx.exception.message)
        with self.assertRaises(tutorcore.InvalidArgument):
            self.store.append_events([dict(event(), tenent="x")])
        self.assertEqual(self.store.last_id(), 2)

    def test_bad_input(self):
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            self.store.append('{"tenant":')
        self.assertIn("events JSON: malformed JSON", ctx.exception.message)
        self.assertEqual(ctx.exception.function, "tc_store_append_json")
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            self.store.append([{"tenant": TENANT, "tenent": 1}])
        self.assertIn("[0].tenent: unknown field", ctx.exception.message)
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            self.store.read(entity_id="s-2")
        self.assertIn("event query.tenant: required field is missing", ctx.exception.message)
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            self.store.read(tenant=TENANT, limit=0)
        self.assertIn("event query.limit", ctx.exception.message)
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            self.store.view("moods", TENANT)
        self.assertIn("unknown view 'moods'", ctx.exception.message)
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            self.store.append(event(name="Ada"))  # no names in the log
        with self.assertRaises(tutorcore.InvalidArgument):
            self.store.append({"tenant": TENANT, "payload": float("nan")})
        self.assertEqual(self.store.last_id(), 0)

    def test_iter_events_pages(self):
        self.store.append([event("s-{}".format(i)) for i in range(25)])
        seen = list(self.store.iter_events(tenant=TENANT, page_size=10))
        self.assertEqual([e["id"] for e in seen], list(range(1, 26)))
        tail = list(self.store.iter_events({"tenant": TENANT, "after_id": 20}, page_size=2))
        self.assertEqual([e["id"] for e in tail], [21, 22, 23, 24, 25])


class SubscribeTest(unittest.TestCase):
    def setUp(self):
        self.store = tutorcore.Store.in_memory()
        self.addCleanup(self.store.close)

    def test_subscriber_receives_appended_events(self):
        got = []
        sub = self.store.subscribe(got.append)
        self.assertTrue(sub.active)
        self.assertEqual(self.store.subscriptions, [sub])
        self.store.append(event("s-1", key="k1"))
        self.store.append(event("s-1", key="k1"))  # a replay commits nothing
        self.store.append_events([event("s-2", "mastery.updated", concept_id="c1", new_level=0.5)])
        self.assertEqual([e["id"] for e in got], [1, 2])
        self.assertEqual(got[0]["type"], "response.submitted")
        self.assertEqual(got[0]["tenant"], TENANT)
        self.assertEqual(got[0]["payload"]["problem_id"], "p1")
        self.assertEqual(got[1]["entity_id"], "s-2")
        sub.unsubscribe()
        sub.unsubscribe()  # idempotent
        self.assertFalse(sub.active)
        self.store.append(event("s-3"))
        self.assertEqual(len(got), 2)
        self.assertEqual(self.store.subscriptions, [])

    def test_callback_kept_alive_while_subscribed(self):
        got = []
        self.store.subscribe(lambda e: got.append(e["id"]))  # no reference kept
        collect()
        self.store.append([event("s-1"), event("s-2")])
        self.assertEqual(got, [1, 2])

    def test_context_manager_unsubscribes(self):
        got = []
        with self.store.subscribe(got.append) as sub:
            self.store.append(event())
        self.assertFalse(sub.active)
        self.store.append(event())
        self.assertEqual(len(got), 1)

    def test_callback_may_call_the_store(self):
        echoes = []

        def echo(e):
            if e["type"] == "response.submitted":
                self.store.append(event(e["entity_id"], "note.added", text="echo"))
            echoes.append((e["id"], e["type"], self.store.last_id()))

        self.store.subscribe(echo)
        self.store.append(event("s-1"))
        self.assertEqual([t for _, t, _ in echoes], ["response.submitted", "note.added"])
        self.assertEqual(self.store.last_id(), 2)

    def test_callback_exception_is_kept_and_reported(self):
        def boom(e):
            raise RuntimeError("subscriber failed on {}".format(e["id"]))

        with CaptureUnraisable() as hook:
            sub = self.store.subscribe(boom)
            result = self.store.append(event())
        self.assertEqual(result["ids"], [1])  # committed all the same
        self.assertEqual(len(sub.errors), 1)
        self.assertIn("subscriber failed on 1", str(sub.errors[0]))
        self.assertEqual(len(hook.seen), 1)
        self.assertIsInstance(hook.seen[0].exc_value, RuntimeError)

    def test_store_cannot_close_inside_its_callback(self):
        def close_it(e):
            self.store.close()

        with CaptureUnraisable():
            sub = self.store.subscribe(close_it)
            self.store.append(event())
        self.assertIsInstance(sub.errors[0], tutorcore.InvalidArgument)
        self.assertFalse(self.store.closed)
        self.assertEqual(self.store.last_id(), 1)

    def test_callback_runs_on_the_appending_thread(self):
        threads = []
        self.store.subscribe(lambda e: threads.append(threading.get_ident()))
        worker = threading.Thread(target=self.store.append, args=(event(),))
        worker.start()
        worker.join()
        self.assertEqual(threads, [worker.ident])

    def test_close_drops_subscriptions(self):
        store = tutorcore.Store.in_memory()
        sub = store.subscribe(lambda e: None)
        store.close()
        self.assertFalse(sub.active)
        sub.unsubscribe()  # no-op once the store is closed


class SqliteStoreTest(TempDirCase):
    def test_durable_round_trip(self):
        db = self.path("store.db")
        with tutorcore.Store(db, durability="full") as store:
            self.assertEqual(store.backend, "sqlite")
            self.assertEqual(store.path, db)
            store.append(event("s-9", "mastery.updated", key="m1", concept_id="c1", new_level=0.25))
        with tutorcore.Store(db) as store:
            self.assertEqual(store.last_id(), 1)
            self.assertEqual(store.view("mastery", TENANT)["rows"][0]["level"], 0.25)
            self.assertEqual(store.append(event("s-9", key="m1"))["new"], [False])

    def test_options(self):
        db = self.path("opts.db")
        opts = tutorcore.StoreOptions.defaults()
        opts.path = db.encode()
        opts.busy_timeout_ms = 100
        with tutorcore.Store(options=opts, checkpoint_every=-1) as store:
            self.assertEqual(store.path, db)
            store.append(event())
        with tutorcore.Store(db, durability=tutorcore.DURABILITY_NORMAL) as store:
            self.assertEqual(store.last_id(), 1)

    def test_open_errors(self):
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            tutorcore.Store()
        self.assertIn("path is empty", ctx.exception.message)
        too_new = tutorcore.StoreOptions.defaults()
        too_new.version = 99
        too_new.backend = tutorcore.STORE_MEMORY
        with self.assertRaises(tutorcore.VersionError):
            tutorcore.Store(options=too_new)
        with self.assertRaises(tutorcore.VersionError):  # a bare struct has version 0
            tutorcore.Store(options=tutorcore.StoreOptions())
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            tutorcore.Store(self.path("x.db"), durability=7)
        self.assertIn("durability 7", ctx.exception.message)
        with self.assertRaises(tutorcore.InvalidArgument):
            tutorcore.Store(self.path("x.db"), durability="sometimes")
        with self.assertRaises(tutorcore.InvalidArgument):
            tutorcore.Store(self.path("x.db"), memory=True)
        with self.assertRaises(tutorcore.InvalidArgument):
            tutorcore.Store(memory=True, postgres="dbname=x")
        with open(self.path("junk.db"), "wb") as f:
            f.write(b"this is not a database" * 100)
        with self.assertRaises(tutorcore.StorageError):
            tutorcore.Store(self.path("junk.db"))


class PostgresOptionTest(unittest.TestCase):
    @unittest.skipUnless(
        "#define TC_STORE_POSTGRES" in HEADER.read_text(encoding="utf-8"),
        "this tutorcore.h has no PostgreSQL backend",
    )
    def test_unreachable_server(self):
        # Either the library lacks libpq or the server cannot be reached.
        with self.assertRaises((tutorcore.Unavailable, tutorcore.StorageError)) as ctx:
            tutorcore.Store(postgres="host=/nonexistent-socket-dir dbname=tc connect_timeout=1")
        self.assertTrue(ctx.exception.message)
        self.assertNotIn("unknown", ctx.exception.message)


class LifetimeTest(unittest.TestCase):
    def test_close_twice_and_use_after_close(self):
        store = tutorcore.Store.in_memory()
        store.close()
        store.close()
        self.assertTrue(store.closed)
        with self.assertRaises(tutorcore.InvalidArgument) as ctx:
            store.last_id()
        self.assertIn("Store is closed", ctx.exception.message)
        with self.assertRaises(tutorcore.InvalidArgument):
            store.subscribe(print)

    def test_closing_the_store_closes_its_tutors(self):
        with tutorcore.Domain(MINIMAL) as domain:
            store = tutorcore.Store.in_memory()
            tutor = tutorcore.Tutor(store, domain)
            tutor.submit(answer("s1", 1, 1, "k1"))
            store.close()
            self.assertTrue(tutor.closed)
            with self.assertRaises(tutorcore.InvalidArgument):
                tutor.submit(answer("s1", 1, 1, "k2"))
            tutor.close()  # already released with the store: nothing to free twice
            with self.assertRaises(tutorcore.InvalidArgument):
                tutorcore.Tutor(store, domain)  # over a closed store

    def test_garbage_collection_in_any_order(self):
        with tutorcore.Domain(MINIMAL) as domain:
            for i in range(10):
                store = tutorcore.Store.in_memory()
                tutor = tutorcore.Tutor(store, domain)
                store.subscribe(lambda e: None)
                tutor.submit(answer("s1", 1, 2, "k"))
                if i % 3 == 0:
                    del store  # the tutor keeps it alive
                    del tutor
                elif i % 3 == 1:
                    store.cycle = (store, tutor)  # a cycle through both
                    tutor.cycle = store
                    del store, tutor
                else:
                    del tutor
                    del store
                collect()


if __name__ == "__main__":
    unittest.main()
