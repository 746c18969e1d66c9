"""Two independent groups of read-only queries run at once, one of them on a second
database connection held by a helper thread: a page whose time is its queries (the
district dashboard) then takes about the longer group's time instead of the sum.

SQLite and PostgreSQL both run a query without holding Python's GIL, so the two
connections really work side by side on two cores. The helper thread keeps its
connection like a request does (``CONN_MAX_AGE``; a broken one is dropped before use).

While the two run, PostgreSQL starts no parallel workers of its own for their queries
(``max_parallel_workers_per_gather`` 0 on both connections, reset after): the two
groups already keep the cores busy, and for the small index scans a dashboard makes,
starting workers costs more than it saves (the planner's guesses about these value
ranges start them where they lose: a month tally at 10⁶ residents took 16–21 ms with two
workers and 7–14 ms without).

It is only safe when the caller is not inside a transaction: the second connection
would not see what the transaction wrote (and a test's transaction). Then, and when
``settings.PARALLEL_READS`` is off, the two groups simply run one after the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import TypeVar

from django.conf import settings
from django.db import close_old_connections, connection

A = TypeVar("A")
B = TypeVar("B")

_helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linli-reads")


@contextmanager
def _own_workers_only() -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("SET max_parallel_workers_per_gather = 0")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("RESET max_parallel_workers_per_gather")


def _run(fn: Callable[[], A]) -> A:
    with _own_workers_only():
        return fn()


def _on_own_connection(fn: Callable[[], B]) -> B:
    close_old_connections()  # as at a request's start and end: the age and health rules
    try:
        return _run(fn)
    finally:
        close_old_connections()


def both(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """``(first(), second())``, with ``second`` run on the helper thread meanwhile when
    that is safe. Neither may write; an error in either is raised here."""
    if connection.in_atomic_block or not settings.PARALLEL_READS:
        return first(), second()
    future = _helper.submit(_on_own_connection, second)
    try:
        a = _run(first)
    except BaseException:
        wait([future])  # nothing is left running behind an error
        raise
    return a, future.result()
