"""Work a write owes after its commit that the caller need not wait for: run once the response is
sent, or at once outside a request.

Django sends `request_finished` when the WSGI server closes the response, after it has written the
whole body, so the client has its answer while this work runs. Only for work a crash cannot make
wrong, because what it does is owed elsewhere until done: the merge record's completion (a pending
record is settled by its next reader) and the identity files (owed in the outbox, written at the
next start). A failure is logged, since the response is already sent and what it owed stays owed.
A request that a BaseException ends (the process is going) never sends `request_finished`: its
work is dropped when the thread's next request starts.
"""
import logging
import threading
from contextlib import contextmanager

from django.core.signals import request_finished, request_started

logger = logging.getLogger(__name__)

_local = threading.local()


def after_response(call):
    """Run `call()` once the current request's response is sent; at once outside a request."""
    queue = getattr(_local, "queue", None)
    if queue is None:
        call()
    else:
        queue.append(call)


def _begin(**kwargs):
    _local.queue = []


def _run(**kwargs):
    queue, _local.queue = getattr(_local, "queue", None), None
    for call in queue or ():
        try:
            call()
        except Exception:
            logger.exception("Work deferred past the response failed; what it owed stays owed.")


@contextmanager
def response_scope():
    """Defer `after_response` work to the end of the block, as a request defers it past its
    response (for a command that times what a client would wait for)."""
    _begin()
    try:
        yield
    finally:
        _run()


request_started.connect(_begin, dispatch_uid="momentry.core.deferred.begin")
request_finished.connect(_run, dispatch_uid="momentry.core.deferred.run")
