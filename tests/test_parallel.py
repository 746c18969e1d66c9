"""core.parallel: the second group runs on the helper thread (its own connection) at
once, errors come back to the caller, inside a transaction or with the setting off the
two run one after the other here, and PostgreSQL starts no workers of its own for them.

The threading tests need no database: the worker setting (PostgreSQL's only) is left
out of them; its own test reads it on the real test database outside a transaction,
which only reading settings leaves as it was."""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.db import connection

from linli.core import parallel


def where() -> str:
    return threading.current_thread().name


@pytest.fixture(autouse=True)
def no_worker_setting(request, monkeypatch):
    if "postgresql" not in request.node.name:
        monkeypatch.setattr(parallel, "_own_workers_only", contextlib.nullcontext)


def test_the_second_group_runs_on_the_helper_thread_meanwhile():
    started = threading.Event()

    def first():
        assert started.wait(5), "the second group did not start while the first ran"
        return where()

    def second():
        started.set()
        return where()

    here, there = parallel.both(first, second)
    assert here == threading.current_thread().name
    assert there.startswith("linli-reads")


def test_errors_of_either_group_reach_the_caller():
    done = threading.Event()

    def slow():
        done.wait(0.2)
        done.set()

    def fail():
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        parallel.both(lambda: 1, fail)
    with pytest.raises(ValueError, match="boom"):
        parallel.both(fail, slow)
    assert done.is_set()  # the other group had finished before the error came back


def test_off_or_in_a_transaction_both_run_here(settings, db):
    settings.PARALLEL_READS = False
    assert parallel.both(where, where) == (where(), where())
    settings.PARALLEL_READS = True
    assert connection.in_atomic_block  # the test's transaction
    assert parallel.both(where, where) == (where(), where())


def workers() -> str:
    with connection.cursor() as cur:
        cur.execute("SHOW max_parallel_workers_per_gather")
        return cur.fetchone()[0]


def fail_after_looking():
    assert workers() == "0"
    raise ValueError("boom")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_postgresql_starts_no_workers_of_its_own_for_the_groups(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        try:
            check_the_worker_setting()
        finally:  # both connections closed, or the test database cannot be dropped
            parallel._helper.submit(lambda: connection.close()).result()
            connection.close()


def check_the_worker_setting():
    before = workers()
    assert before != "0"  # the server's default, which the groups must not keep
    assert parallel.both(workers, workers) == ("0", "0")
    assert workers() == before  # reset on the caller's connection
    assert parallel.both(workers, workers)[1] == "0"  # and the helper's, set again each time
    with pytest.raises(ValueError):
        parallel.both(fail_after_looking, workers)
    assert workers() == before  # reset after an error too
