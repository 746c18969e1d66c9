"""Two cores for one import: chunks of rows are prepared (parsing, validation,
encryption: pure Python, no database) by a forked child while the caller writes the
chunk before. When the next chunk is not ready and the caller is the faster side (it
used the chunks so far in less time a row than preparing them took), the caller
prepares one further ahead itself instead of waiting: each side claims the next chunk
number from a shared counter and reads its own copy of the rows up to it, so the two
cores stay busy whichever side is the slower for a file. When the caller is the slower
side, it only waits: what it prepared would be work taken from the side with time to
spare. The caller gets the chunks in order.

The caller keeps the database connection and its transaction; the child never touches
either, and leaves through ``os._exit`` like every ``multiprocessing`` child, so nothing
it inherited is closed or flushed.

Where ``fork`` does not exist (Windows), or for a single chunk, the chunks are prepared
in the caller's process, one after the other: same results, one core.
"""

from __future__ import annotations

import itertools
import multiprocessing
import queue
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
AHEAD = 2  # prepared chunks waiting for the writer at most (bounds the memory)


def batched(rows: Iterable, size: int, first: int | None = None) -> Iterator[list]:
    """Lists of ``size`` rows (the first one of ``first`` rows)."""
    it = iter(rows)
    if first and (chunk := list(itertools.islice(it, first))):
        yield chunk
    while chunk := list(itertools.islice(it, size)):
        yield chunk


class _Cursor:
    """One process's own reading of the rows: chunk ``j`` is ``first`` rows for the first,
    ``size`` rows after that; rows of chunks the other side prepares are skipped."""

    def __init__(self, rows: Iterable, size: int, first: int | None) -> None:
        self.it = iter(rows)
        self.size, self.first = size, first or size
        self.pos = 0

    def chunk(self, j: int) -> list:
        start = 0 if j == 0 else self.first + (j - 1) * self.size
        if start > self.pos:  # consume the rows in between
            next(itertools.islice(self.it, start - self.pos, start - self.pos), None)
        rows = list(itertools.islice(self.it, self.first if j == 0 else self.size))
        self.pos = start + len(rows)
        return rows


def _claim(counter, limit: int | None = None) -> int | None:
    """The next chunk number nobody has taken (None: it is beyond ``limit``)."""
    with counter.get_lock():
        j = counter.value
        if limit is not None and j > limit:
            return None
        counter.value = j + 1
        return j


class _Pace:
    """Seconds a row, over the chunks seen so far."""

    def __init__(self) -> None:
        self.seconds, self.rows = 0.0, 0

    def add(self, seconds: float, rows: int) -> None:
        self.seconds += seconds
        self.rows += rows

    def __lt__(self, other: _Pace) -> bool:
        """Known for both, and faster than ``other``."""
        return bool(self.rows and other.rows) and self.seconds * other.rows < other.seconds * self.rows


def _timed(prepare: Callable[[list], T], chunk: list) -> tuple[T, float]:
    start = time.perf_counter()
    return prepare(chunk), time.perf_counter() - start


class _Failed(RuntimeError):
    """Preparing a chunk failed: raised when that chunk's turn comes."""


def _child(cursor: _Cursor, counter, prepare: Callable[[list], T], out) -> None:
    j = None
    try:
        while True:
            j = _claim(counter)
            assert j is not None
            chunk = cursor.chunk(j)
            if not chunk:
                out.put(("end", j))
                return
            out.put(("chunk", (j, *_timed(prepare, chunk), len(chunk))))
    except BaseException:  # noqa: BLE001 - handed to the parent, which raises it
        out.put(("chunk", (j, _Failed(f"import worker failed:\n{traceback.format_exc()}"), 0.0, 0)))


def _message(out, child, block: bool):
    """The child's next message, or None: none yet (``block``: none within a second).
    Whether the child is alive is read before waiting: a child flushes what it sent
    before it exits, so one found dead before the wait has nothing more on the way when
    the wait comes back empty. (Read after, a child that sent its last chunk and left
    while the wait was ending looked like one that died without sending it.)"""
    alive = child.is_alive()
    try:
        return out.get(timeout=1) if block else out.get_nowait()
    except queue.Empty:
        if block and not alive:
            raise RuntimeError(f"import worker exited with code {child.exitcode}") from None
        return None


def prepared_chunks(
    rows: Iterable,
    size: int,
    prepare: Callable[[list], T],
    *,
    parallel: bool = True,
    first: int | None = None,
) -> Iterator[T]:
    """``prepare(chunk)`` for consecutive chunks of ``size`` rows, in order (the first
    chunk of ``first`` rows, so that the caller starts sooner); with ``parallel``,
    computed by a forked child and, while it is behind and the caller the faster side,
    by the caller too."""
    if not parallel or "fork" not in multiprocessing.get_all_start_methods():
        for chunk in batched(rows, size, first):
            yield prepare(chunk)
        return
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue(maxsize=AHEAD)
    counter = ctx.Value("q", 0)
    cursor = _Cursor(rows, size, first)  # copied by the fork: each side reads its own
    child = ctx.Process(target=_child, args=(cursor, counter, prepare, out), daemon=True)
    child.start()
    ready: dict[int, tuple[T | _Failed, int]] = {}  # chunk number → (result, rows)
    end: int | None = None  # the number of chunks, once a side has found the rows' end
    # a row's preparing (either side) and the caller's use of it, from the second chunk
    # on (the first warms caches up: it tells little of the rest)
    preparing, using = _Pace(), _Pace()

    def receive(block: bool) -> bool:
        """Whether a message came (a chunk, or the end of the rows)."""
        nonlocal end
        message = _message(out, child, block)
        if message is None:
            return False
        kind, value = message
        if kind == "end":
            end = value if end is None else min(end, value)
        else:
            j, result, seconds, count = value
            ready[j] = (result, count)
            if j:
                preparing.add(seconds, count)
        return True

    try:
        i = 0
        while end is None or i < end:
            if i in ready:
                result, count = ready.pop(i)
                if isinstance(result, _Failed):
                    raise result
                start = time.perf_counter()
                yield result  # type: ignore[misc]
                if i:
                    using.add(time.perf_counter() - start, count)
                i += 1
                continue
            if receive(block=False):
                continue  # chunk i, or the end of the rows: look again
            # the child is on chunk i: prepare one ahead, if that is the faster side's work
            j = _claim(counter, limit=i + AHEAD) if using < preparing else None
            if j is None:
                receive(block=True)
                continue
            chunk = cursor.chunk(j)
            if not chunk:
                end = j if end is None else min(end, j)
                continue
            try:
                result, seconds = _timed(prepare, chunk)
                preparing.add(seconds, len(chunk))
            except Exception as exc:  # noqa: BLE001 - reported in turn, as the child's failures are
                result = _Failed(f"preparing rows failed: {exc}")
                result.__cause__ = exc
            ready[j] = (result, len(chunk))
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        out.close()
