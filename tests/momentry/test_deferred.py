"""Work deferred past the response: at once outside a request, after the response inside one."""
import logging

import pytest

from momentry.core.deferred import after_response, response_scope


def test_outside_a_request_the_work_runs_at_once():
    done = []
    after_response(lambda: done.append("now"))
    assert done == ["now"]


def test_in_a_request_the_work_waits_for_the_response_and_one_failure_stops_no_other(caplog):
    done = []

    def fails():
        raise OSError("disk full")

    with caplog.at_level(logging.ERROR, logger="momentry.core.deferred"):
        with response_scope():
            after_response(lambda: done.append("first"))
            after_response(fails)
            after_response(lambda: done.append("last"))
            assert done == []
    assert done == ["first", "last"]
    assert "what it owed stays owed" in caplog.text
    after_response(lambda: done.append("after the request"))
    assert done[-1] == "after the request"


def test_a_process_dying_in_the_deferred_work_is_not_caught():
    class ProcessDied(BaseException):
        pass

    def dies():
        raise ProcessDied

    with pytest.raises(ProcessDied), response_scope():
        after_response(dies)
