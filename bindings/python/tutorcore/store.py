"""The event store: an append-only log with materialized views."""

from __future__ import annotations

import ctypes
import json
import os
import threading
import weakref
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Set,
    Union,
)

from ._handle import Handle, _Cell
from ._native import (
    TC_DURABILITY_FULL,
    TC_DURABILITY_NORMAL,
    TC_EVENT_VERSION,
    TC_STORE_MEMORY,
    TC_STORE_POSTGRES,
    TC_STORE_SQLITE,
    Event,
    EventCallback,
    PathLike,
    StoreOptions,
    call_json,
    check,
    encode_json,
    encode_path,
    encode_str,
    lib,
    merge_request,
)
from .errors import InvalidArgument

__all__ = ["Store", "StoreOptions", "Event", "Subscription"]

JsonDoc = Union[Mapping[str, Any], str, bytes]
#: A subscriber: receives each committed event as a dict.
Subscriber = Callable[[Dict[str, Any]], Any]

_DURABILITY = {"normal": TC_DURABILITY_NORMAL, "full": TC_DURABILITY_FULL}
_BACKENDS = {
    TC_STORE_SQLITE: "sqlite",
    TC_STORE_MEMORY: "memory",
    TC_STORE_POSTGRES: "postgres",
}


class Subscription:
    """A callback registered with :meth:`Store.subscribe`.

    The store keeps the callback (and the C trampoline that calls it) alive
    until :meth:`unsubscribe` or until the store is closed. Use it as a
    context manager to unsubscribe at the end of a block.

    Attributes:
        token: the library's subscription token.
        callback: the Python callable.
        errors: exceptions the callback raised (the events were committed
            regardless; each is also reported through ``sys.unraisablehook``).
    """

    def __init__(self, store: "Store", callback: Subscriber) -> None:
        self._store_ref = weakref.ref(store)
        self.callback = callback
        self.errors: List[BaseException] = []
        self.token: int = 0
        self._active = False
        self._trampoline = EventCallback(self._deliver)

    def _deliver(self, data: Optional[int], length: int, _userdata: Optional[int]) -> int:
        store = self._store_ref()
        local = store._local if store is not None else None
        if local is not None:
            local.depth = getattr(local, "depth", 0) + 1
        try:
            event = json.loads(ctypes.string_at(data, length)) if data else None
            self.callback(event)
            return 0
        except BaseException as exc:
            self.errors.append(exc)
            raise  # ctypes reports it through sys.unraisablehook; the library ignores it
        finally:
            if local is not None:
                local.depth -= 1

    @property
    def active(self) -> bool:
        """Whether the callback still receives events."""
        store = self._store_ref()
        return self._active and store is not None and not store.closed

    def unsubscribe(self) -> None:
        """Stops the deliveries (``tc_store_unsubscribe``). Idempotent; a no-op
        once the store is closed."""
        store = self._store_ref()
        if not self._active:
            return
        self._active = False
        if store is None:
            return
        store._subscriptions.pop(self.token, None)
        if not store.closed:
            check(lib().tc_store_unsubscribe(store._ptr(), self.token), "tc_store_unsubscribe")

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.unsubscribe()

    def __repr__(self) -> str:
        return "<tutorcore.Subscription token={} {}>".format(
            self.token, "active" if self.active else "inactive"
        )


class Store(Handle):
    """An event store with its materialized views (``tc_store``).

    ``Store("school.db")`` opens (creating if needed) an SQLite store;
    ``Store.in_memory()`` (or ``Store(memory=True)``) an in-memory one, lost at
    close; ``Store(postgres="host=... dbname=...")`` a PostgreSQL one shared by
    several processes (where the library was built with libpq). Any number of threads may call one store. Close it with
    :meth:`close` or a ``with`` block; closing a store first closes the
    :class:`~tutorcore.Tutor` objects opened over it, then checkpoints its
    views and releases it.

    Args:
        path: the SQLite database file (required for SQLite).
        memory: use the in-memory backend instead.
        postgres: a libpq connection string: use the PostgreSQL backend.
        durability: ``"normal"`` (default: a committed event survives a process
            crash) or ``"full"`` (it also survives power loss), or the
            ``DURABILITY_*`` constants.
        busy_timeout_ms: how long to wait for another process's lock
            (default 5000).
        checkpoint_every: persist the views after this many events (default
            1000000; negative: never).
        allow_personal_data: ``True`` lets event payloads carry fields named
            or shaped like a name or e-mail address (refused by default with
            :class:`InvalidArgument` naming the field), for a deployment that
            keeps such data in its own private store. It belongs to this open
            store, not to the database; :meth:`describe` reports it
            (docs/privacy.md).
        options: a :class:`StoreOptions` to start from instead of the
            defaults of ``tc_store_options_init``; the other arguments
            override its fields.

    Raises:
        InvalidArgument: a missing path or a bad option value.
        VersionError: ``options.version`` too new, or a database written by a
            newer tutorcore.
        StorageError: the file cannot be opened or is not a tutorcore database.
        Unavailable: PostgreSQL asked of a library built without libpq.
    """

    def __init__(
        self,
        path: Optional[PathLike] = None,
        *,
        memory: bool = False,
        postgres: Optional[str] = None,
        durability: Union[str, int, None] = None,
        busy_timeout_ms: Optional[int] = None,
        checkpoint_every: Optional[int] = None,
        allow_personal_data: Optional[bool] = None,
        options: Optional[StoreOptions] = None,
    ) -> None:
        L = lib()
        self._subscriptions: Dict[int, Subscription] = {}
        self._dependents: Set[_Cell] = set()
        self._deps_lock = threading.Lock()
        self._local = threading.local()
        if options is not None:
            opts = StoreOptions()
            for name, _ in StoreOptions._fields_:
                setattr(opts, name, getattr(options, name))
        else:
            opts = StoreOptions.defaults()
        if sum((path is not None, bool(memory), postgres is not None)) > 1:
            raise InvalidArgument("give one of path, memory=True and postgres=")
        if memory:
            opts.backend = TC_STORE_MEMORY
        if path is not None:
            opts.backend = TC_STORE_SQLITE
            opts.path = encode_path(path, "path")
        if postgres is not None:
            opts.backend = TC_STORE_POSTGRES
            opts.path = encode_str(postgres, "postgres")
        if durability is not None:
            if isinstance(durability, str):
                if durability not in _DURABILITY:
                    raise InvalidArgument(
                        "durability {!r} is neither 'normal' nor 'full'".format(durability)
                    )
                opts.durability = _DURABILITY[durability]
            else:
                opts.durability = int(durability)
        if busy_timeout_ms is not None:
            opts.busy_timeout_ms = int(busy_timeout_ms)
        if checkpoint_every is not None:
            opts.checkpoint_every = int(checkpoint_every)
        if allow_personal_data is not None:
            opts.allow_personal_data = 1 if allow_personal_data else 0
        #: "sqlite", "memory" or "postgres" (or the number of a backend this
        #: binding does not name).
        self.backend: str = _BACKENDS.get(opts.backend, str(opts.backend))
        #: The SQLite file (None for the other backends: a connection string
        #: may hold a password).
        self.path: Optional[str] = (
            os.fsdecode(opts.path) if opts.path and opts.backend == TC_STORE_SQLITE else None
        )
        out = ctypes.c_void_p()
        check(L.tc_store_open(ctypes.byref(out), ctypes.byref(opts)), "tc_store_open")
        self._own(out.value or 0, L.tc_store_free)

    @classmethod
    def in_memory(cls, **kwargs: Any) -> "Store":
        """An in-memory store (``TC_STORE_MEMORY``), lost when closed."""
        return cls(memory=True, **kwargs)

    # -- lifetime -----------------------------------------------------------

    def close(self) -> None:
        """Closes the tutors opened over this store, then checkpoints the views
        and releases the store (``tc_store_free``). Idempotent.

        Raises:
            InvalidArgument: called from inside one of this store's subscriber
                callbacks (the store is still delivering events).
        """
        local = getattr(self, "_local", None)
        if local is not None and getattr(local, "depth", 0):
            raise InvalidArgument("a Store cannot be closed from inside its own subscriber callback")
        deps_lock = getattr(self, "_deps_lock", None)
        if deps_lock is not None:
            with deps_lock:
                dependents = list(self._dependents)
                self._dependents.clear()
            for cell in dependents:  # a tutor must not outlive its store
                cell.release()
        super().close()
        subscriptions = getattr(self, "_subscriptions", None)
        if subscriptions:
            for sub in list(subscriptions.values()):
                sub._active = False
            subscriptions.clear()  # only now: the library no longer calls them

    def _add_dependent(self, cell: _Cell) -> None:
        with self._deps_lock:
            self._ptr()
            self._dependents.add(cell)

    def _remove_dependent(self, cell: _Cell) -> None:
        with self._deps_lock:
            self._dependents.discard(cell)

    # -- writing ------------------------------------------------------------

    def append(self, events: Union[JsonDoc, Iterable[Mapping[str, Any]]]) -> Dict[str, Any]:
        """Appends one event or a list of events in one transaction
        (``tc_store_append_json``): all are stored or none is.

        Each event is ``{"tenant", "entity_type", "entity_id", "type",
        "payload": {...}, "time_us"?, "author"?, "idempotency_key"?}``. An
        event whose (tenant, idempotency key) is already stored is not stored
        again and gets the first event's id.

        Returns:
            ``{"schema_version": 1, "ids": [...], "new": [bool, ...]}``.
        Raises:
            InvalidArgument: naming the JSON path (``"[3].payload"``).
        """
        if not isinstance(events, (Mapping, str, bytes, bytearray, memoryview)):
            events = list(events)
        data = encode_json(events, "events")
        return call_json(lib().tc_store_append_json, self._ptr(), data, len(data))

    def append_events(self, events: Iterable[Mapping[str, Any]]) -> List[int]:
        """Appends events through the typed path (``tc_store_append`` with
        ``tc_event`` structs) in one transaction and returns their ids.

        Each event is a dict with ``tenant``, ``entity_type``, ``entity_id``,
        ``type``, ``payload`` (a dict, or JSON text of an object) and
        optionally ``time_us`` (0: now), ``author`` and ``idempotency_key``.
        """
        items = list(events)
        if not items:
            return []
        array = (Event * len(items))()
        for i, item in enumerate(items):
            unknown = set(item) - {
                "tenant",
                "entity_type",
                "entity_id",
                "type",
                "payload",
                "time_us",
                "author",
                "idempotency_key",
            }
            if unknown:
                raise InvalidArgument(
                    "event[{}].{}: unknown field".format(i, sorted(map(str, unknown))[0])
                )
            e = array[i]
            e.version = TC_EVENT_VERSION
            for name in ("tenant", "entity_type", "entity_id", "type"):
                if name in item and item[name] is not None:
                    setattr(e, name, encode_str(item[name], "event[{}].{}".format(i, name)))
            if "payload" in item:
                e.payload_json = encode_json(item["payload"], "event[{}].payload".format(i))
            e.time_us = int(item.get("time_us") or 0)
            for name in ("author", "idempotency_key"):
                if item.get(name) is not None:
                    setattr(e, name, encode_str(item[name], "event[{}].{}".format(i, name)))
        ids = (ctypes.c_int64 * len(items))()
        check(lib().tc_store_append(ids, self._ptr(), array, len(items)), "tc_store_append")
        return list(ids)

    # -- reading ------------------------------------------------------------

    def read(self, query: Optional[JsonDoc] = None, /, **fields: Any) -> Dict[str, Any]:
        """Reads events of one tenant in log order (``tc_store_read_json``).

        The query (a dict, JSON text, or keyword fields): ``tenant``
        (required), ``entity_type``, ``entity_id``, ``type``, ``after_id``,
        ``since_us``, ``until_us`` (exclusive), ``limit`` (default 1000, at
        most 100000).

        Returns:
            ``{"schema_version": 1, "events": [...], "last_id": n}``.
        """
        data = encode_json(merge_request(query, fields, "read"), "event query")
        return call_json(lib().tc_store_read_json, self._ptr(), data, len(data))

    def iter_events(
        self, query: Optional[Mapping[str, Any]] = None, /, *, page_size: int = 1000, **fields: Any
    ) -> Iterator[Dict[str, Any]]:
        """Every event matching the query, in log order, read page by page
        (``after_id`` paging with ``limit=page_size``)."""
        base = dict(merge_request(query, fields, "iter_events"))
        after = int(base.pop("after_id", 0) or 0)
        base.pop("limit", None)
        while True:
            page = self.read(dict(base, after_id=after, limit=page_size))
            events = page["events"]
            yield from events
            if len(events) < page_size:
                return
            after = int(page["last_id"])

    def view(self, view: str, tenant: str, student: Optional[str] = None) -> Dict[str, Any]:
        """Rows of a materialized view of one tenant (``tc_store_view_json``).

        Args:
            view: ``"mastery"``, ``"practice"``, ``"escalation"``,
                ``"effectiveness"`` or ``"modality"``.
            tenant: the tenant.
            student: only this student's rows (mastery, escalation).
        Returns:
            ``{"schema_version": 1, "view": ..., "rows": [...]}``.
        """
        query: Dict[str, Any] = {"view": view, "tenant": tenant}
        if student is not None:
            query["student"] = student
        data = encode_json(query, "view query")
        return call_json(lib().tc_store_view_json, self._ptr(), data, len(data))

    def describe(self) -> Dict[str, Any]:
        """The open store (``tc_store_describe``): ``{"schema_version": 1,
        "backend", "durability", "personal_data_allowed", "last_id"}``;
        ``personal_data_allowed`` is the ``allow_personal_data`` it was opened
        with."""
        return call_json(lib().tc_store_describe, self._ptr())

    def last_id(self) -> int:
        """The id of the newest event in the log (0 when empty)."""
        out = ctypes.c_int64()
        check(lib().tc_store_last_id(ctypes.byref(out), self._ptr()), "tc_store_last_id")
        return int(out.value)

    # -- views --------------------------------------------------------------

    def rebuild_views(self) -> None:
        """Drops every materialized view and rebuilds it from the log
        (``tc_store_rebuild_views``); on failure the previous views stay."""
        check(lib().tc_store_rebuild_views(self._ptr()), "tc_store_rebuild_views")

    def checkpoint(self) -> None:
        """Persists the views now (``tc_store_checkpoint``)."""
        check(lib().tc_store_checkpoint(self._ptr()), "tc_store_checkpoint")

    # -- subscriptions ------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Subscription:
        """Calls ``callback(event_dict)`` for every event committed through this
        store, once per event, in log order (``tc_store_subscribe``).

        The callback runs on the appending thread after the commit, without
        the store's lock, so it may call the store (events it appends are
        delivered after the current ones). An exception it raises does not
        undo anything: it is kept in :attr:`Subscription.errors` and reported
        through ``sys.unraisablehook``. The store keeps the callback alive
        until :meth:`Subscription.unsubscribe` or :meth:`close`.
        """
        if not callable(callback):
            raise TypeError("callback must be callable")
        sub = Subscription(self, callback)
        token = ctypes.c_uint64()
        check(
            lib().tc_store_subscribe(ctypes.byref(token), self._ptr(), sub._trampoline, None),
            "tc_store_subscribe",
        )
        sub.token = int(token.value)
        sub._active = True
        self._subscriptions[sub.token] = sub
        return sub

    @property
    def subscriptions(self) -> List[Subscription]:
        """The active subscriptions."""
        return list(self._subscriptions.values())

    def __repr__(self) -> str:
        where = self.path if self.backend == "sqlite" else self.backend
        return "<tutorcore.Store {} {}>".format(where, self._state())

