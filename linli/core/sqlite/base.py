"""Django's SQLite backend with write transactions queued on a file lock.

SQLite lets one writer in at a time; a second process that tries ``BEGIN IMMEDIATE``
meanwhile gets SQLITE_BUSY and its busy handler sleeps and retries (1, 2, 5, 10 … 100 ms),
so under concurrent writes the web workers spend much of their time asleep while the
database is free. Here every write transaction first takes an exclusive ``flock`` on a
file beside the database: waiting writers block in the kernel and the next one starts
the moment the previous one commits. Reads (outside transactions) never take it, and
WAL keeps them concurrent with the writer. The lock belongs to the process, so a process
that dies releases it. In-memory databases (tests) and systems without ``fcntl`` use
the plain backend behaviour. Closing a connection refreshes the query planner's
statistics where ``PRAGMA optimize`` finds them missing or stale, so they follow the data
as it grows: in full, one index at a time under the write lock (``_refresh_statistics``).

Checkpoints (copying the WAL back into the database file) happen outside the lock. SQLite
runs its automatic checkpoint inside the COMMIT that takes the WAL past
``wal_autocheckpoint`` pages, so the writer that crosses the line copies pages and syncs
the file while still holding the write lock, and every other writer waits for it: on B3's
intake about a fifth of the time. Here each connection runs a PASSIVE checkpoint (which
never waits for, nor blocks, readers or writers) every ``CHECKPOINT_EVERY`` commits, after
releasing the lock; SQLite's own stays as a backstop at ``BACKSTOP_PAGES``.
"""

from __future__ import annotations

import contextlib

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux or macOS
    fcntl = None  # type: ignore[assignment]

from django.db.backends.sqlite3 import base

CHECKPOINT_EVERY = 50  # commits of one connection (a few MB of WAL at B3's intake)
BACKSTOP_PAGES = 10000  # SQLite's automatic checkpoint, for a WAL nobody else has copied


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_file = None
    _locked = False
    _commits = 0

    def _lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if fcntl is None or self.is_in_memory_db() or not name:
            return None
        return name + ".writelock"

    def _acquire(self) -> None:
        path = self._lock_path()
        if path is None or self._locked:
            return
        if self._lock_file is None:
            self._lock_file = open(path, "a+b")  # noqa: SIM115 - kept open with the connection
        fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX)
        self._locked = True

    def _release(self) -> None:
        if self._locked and self._lock_file is not None:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
        self._locked = False

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        if self._lock_path() is not None:
            conn.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        return conn

    def _checkpoint(self) -> None:
        """Copy what the WAL holds into the database, outside the write lock."""
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY or self.connection is None or self._lock_path() is None:
            return
        with contextlib.suppress(Exception):  # housekeeping: the commit has succeeded
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _start_transaction_under_autocommit(self):
        self._acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release()
            raise

    def _commit(self):
        try:
            result = super()._commit()
        finally:
            self._release()
        self._checkpoint()
        return result

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release()

    def _close(self):
        if self.connection is not None and not self.is_in_memory_db():
            with contextlib.suppress(Exception):  # housekeeping never blocks a close
                self._refresh_statistics()
        try:
            return super()._close()
        finally:
            self._release()
            if self._lock_file is not None:
                self._lock_file.close()
                self._lock_file = None

    def _refresh_statistics(self) -> None:
        """Analyse in full the tables ``PRAGMA optimize`` would (statistics missing, or the
        table grown or shrunk a lot since): each index in its own statement under the write
        lock, so a writer waits for one index at most (about a second at 10^6 rows; the
        whole table of cases, 15 s).

        Never sampled: ``analysis_limit`` reads the first rows of each index only, so a
        column with one value there (the district, in a one-district database) was
        counted as a thousand rows a value, and the planner took the district's index
        over a period's range: the dashboard's cohort went from 36 ms to 0.6 s."""
        conn = self.connection
        stale = [row[0] for row in conn.execute("PRAGMA optimize(3)")]  # 1: list, do not run
        for statement in stale:  # ANALYZE "main"."table"
            table = statement.rsplit(".", 1)[-1].strip('";')
            found = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
            ).fetchall()
            for (name,) in found or [(table,)]:
                self._acquire()
                try:
                    conn.execute('ANALYZE "{}"'.format(name.replace('"', '""')))
                finally:
                    self._release()
