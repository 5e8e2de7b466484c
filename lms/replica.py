"""Reports and exports read from the read replica, when there is one (``DATABASE_REPLICA_URL``).

Nothing is guessed from the model: a view says that its reads may be a little stale by
``@reads_from_replica`` (a class's ``get``, or a function or method), and only the queries run
inside it go to ``replica``. Everything else, and within a routed view every write and every
read inside a transaction (``atomic``) on the primary, stays on ``default``. Without
``DATABASE_REPLICA_URL`` the router is not installed (``lms/settings.py``) and the decorator
changes nothing.

What is routed, and what lag means there (the replica is behind the primary by its replication
lag, usually well under a second, more under heavy writes; the README's deployment section):

- the exam summary, the exam statistics pages and their CSV/XLSX exports, the statistics API:
  figures up to that lag old;
- the attempt list's CSV/XLSX exports (the page itself stays on the primary, so that an
  instructor's own change, e.g. "finalize overdue", shows at once);
- the Thought Industries and iSpring reporting lists: a client pulling them sees a row up to
  that lag later, and its next pull picks it up.

Authentication, permission checks and throttles run before the handler (Django's ``dispatch``
mixins, DRF's ``initial``) and so read the primary: a revoked token or an ended session is
refused at once, whatever the lag.
"""

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connections
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse

REPLICA = "replica"
PRIMARY = "default"

# Per thread (each gunicorn thread runs in its own context): on only inside replica_reads().
_reading = ContextVar("lms_replica_reads", default=False)


@contextmanager
def replica_reads():
    """Reads in this block go to the replica (when the router is installed)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def _streamed_from_replica(chunks) -> Iterator:
    """A streamed response's chunks, each produced with replica reads on: its rows are read
    while the server sends it, after the view has returned."""
    iterator = iter(chunks)
    while True:
        with replica_reads():
            chunk = next(iterator, StopIteration)
        if chunk is StopIteration:
            return
        yield chunk


def _in_replica_reads(function, *, when=None, request_at=0):
    @functools.wraps(function)
    def routed(*args, **kwargs):
        if when is not None and not when(args[request_at]):
            return function(*args, **kwargs)
        with replica_reads():
            response = function(*args, **kwargs)
            # A page's template renders after the view returns: render it here, where its
            # lazy querysets still read the replica. (A DRF Response holds its data already,
            # and renders once DRF has chosen its renderer.)
            if isinstance(response, TemplateResponse):
                response.render()
        if isinstance(response, StreamingHttpResponse):
            response.streaming_content = _streamed_from_replica(response.streaming_content)
        return response

    return routed


def reads_from_replica(view=None, *, when=None):
    """Route the reads of a view to the replica: on a class, its ``get`` (what runs after the
    authentication and permission checks); on a function view, the whole call.
    ``when(request)``, if given, limits it to the requests it is true for (e.g. a page's
    exports, not the page itself)."""
    if view is None:
        return functools.partial(reads_from_replica, when=when)
    if isinstance(view, type):
        view.get = _in_replica_reads(view.get, when=when, request_at=1)
        return view
    return _in_replica_reads(view, when=when)


class ReplicaRouter:
    """``replica`` for reads inside :func:`replica_reads` unless the primary is in a
    transaction (a read there may decide a write: it must see the primary); ``default`` for
    everything else. Both aliases hold the same rows, so relations between them are allowed,
    and only the primary is migrated (the replica follows it by replication)."""

    def db_for_read(self, model, **hints):
        if _reading.get() and not connections[PRIMARY].in_atomic_block:
            return REPLICA
        return PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY
