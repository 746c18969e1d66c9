"""The SQLite backend queues write transactions on a file lock: a second writer waits in
the kernel and starts as soon as the first commits (instead of SQLite's sleeping retries;
here SQLite's own timeout is 0, so without the lock the second writer would fail)."""

import threading
import time

from linli.core.sqlite.base import DatabaseWrapper


def _wrapper(path):
    settings = {
        "NAME": str(path), "ENGINE": "linli.core.sqlite", "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 0},
        "TIME_ZONE": None, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False, "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False, "TEST": {}, "USER": "", "PASSWORD": "", "HOST": "", "PORT": "",
    }  # fmt: skip
    return DatabaseWrapper(settings, alias=f"lock-test-{id(settings)}")


def _in_thread(django_db_blocker, work) -> None:
    """Run ``work`` with the database unblocked, in a thread of its own (the browser tests
    leave an event loop in the main thread), and raise what it raised."""
    errors = []

    def run():
        try:
            with django_db_blocker.unblock():
                work()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    main = threading.Thread(target=run)
    main.start()
    main.join(30)
    assert not main.is_alive(), "the work did not finish"
    if errors:
        raise errors[0]


def test_second_writer_waits_for_the_first_to_commit(tmp_path, django_db_blocker):
    _in_thread(django_db_blocker, lambda: _two_writers(tmp_path))


def _two_writers(tmp_path):
    first = _wrapper(tmp_path / "db.sqlite3")
    first.ensure_connection()
    first.cursor().execute("CREATE TABLE t (x INTEGER)")
    first._start_transaction_under_autocommit()
    first.cursor().execute("INSERT INTO t VALUES (1)")
    began = threading.Event()

    def write():
        second = _wrapper(tmp_path / "db.sqlite3")
        second.ensure_connection()
        second._start_transaction_under_autocommit()
        began.set()
        second.cursor().execute("INSERT INTO t VALUES (2)")
        second._commit()
        second.close()

    worker = threading.Thread(target=write)
    worker.start()
    assert not began.wait(0.3)  # blocked on the lock, not failing with "database is locked"
    time.sleep(0.05)
    first._commit()
    assert began.wait(5)
    worker.join(5)
    assert [r[0] for r in first.cursor().execute("SELECT x FROM t ORDER BY x").fetchall()] == [1, 2]
    assert (tmp_path / "db.sqlite3.writelock").exists()
    first.close()


def test_checkpoints_run_after_the_lock_is_released(tmp_path, django_db_blocker):
    """SQLite's own checkpoint runs inside a COMMIT, holding the write lock: the backend
    checkpoints every CHECKPOINT_EVERY commits itself, once the lock is free."""
    from linli.core.sqlite import base

    seen = []

    def work():
        db = _wrapper(tmp_path / "db.sqlite3")
        db.ensure_connection()
        cur = db.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        assert cur.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == base.BACKSTOP_PAGES
        cur.execute("CREATE TABLE t (x INTEGER)")
        real = db.connection.execute

        def watch(sql, *args):
            if "wal_checkpoint" in sql:
                seen.append(db._locked)
            return real(sql, *args)

        for i in range(base.CHECKPOINT_EVERY * 2):
            db._start_transaction_under_autocommit()
            cur.execute("INSERT INTO t VALUES (%s)", [i])
            if i == 0:
                db.connection = _Watched(db.connection, watch)
            db._commit()
        # everything written is in the database file: nothing left to copy
        busy, log, done = real("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert (busy, log - done) == (0, 0)
        db.connection = db.connection.inner
        db.close()

    _in_thread(django_db_blocker, work)
    assert seen == [False, False]  # two checkpoints, each with the lock released


class _Watched:
    """A sqlite3 connection whose ``execute`` is observed (the real one is read-only)."""

    def __init__(self, inner, execute):
        self.inner, self.execute = inner, execute

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_closing_analyses_in_full_one_index_at_a_time(tmp_path, django_db_blocker):
    """On close, the tables ``PRAGMA optimize`` finds unanalysed are analysed in full, one
    index per statement: a sampled ANALYZE (analysis_limit) counted a column with one value
    in its first thousand rows as a thousand rows a value, and the planner then took that
    index over a range (the dashboard's cohort: 36 ms became 0.6 s)."""
    seen: list[str] = []

    def work():
        db = _wrapper(tmp_path / "db.sqlite3")
        db.ensure_connection()
        db.connection.executescript(
            "CREATE TABLE t (place TEXT, at INTEGER);"
            "CREATE INDEX t_place ON t (place); CREATE INDEX t_at ON t (place, at);"
        )
        db.connection.executemany("INSERT INTO t VALUES ('150902', ?)", [(i,) for i in range(5000)])
        db.connection.execute("SELECT count(*) FROM t WHERE place = '150902' AND at > 10").fetchall()
        real = db.connection.execute
        db.connection = _Watched(db.connection, lambda sql, *a: seen.append(sql) or real(sql, *a))
        db.close()
        db.ensure_connection()
        stats = dict(db.connection.execute("SELECT idx, stat FROM sqlite_stat1").fetchall())
        db.close()
        assert stats["t_place"] == "5000 5000"  # every row has the one place: not "1001"
        assert stats["t_at"] == "5000 5000 1"

    _in_thread(django_db_blocker, work)
    assert not any("analysis_limit" in sql for sql in seen)
    assert sorted(sql for sql in seen if sql.startswith("ANALYZE")) == ['ANALYZE "t_at"', 'ANALYZE "t_place"']
