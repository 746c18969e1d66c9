"""core.parallel: the second group runs on the helper thread (its own connection) at
once, errors come back to the caller, and inside a transaction or with the setting off
the two run one after the other here."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from linli.core import parallel


def where() -> str:
    return threading.current_thread().name


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
