"""Two cores for one import: a forked child reads and prepares chunks of rows (parsing,
validation, encryption: pure Python, no database) while the caller writes the chunk
before. The caller keeps the database connection and its transaction; the child never
touches either, and leaves through ``os._exit`` like every ``multiprocessing`` child, so
nothing it inherited is closed or flushed.

Where ``fork`` does not exist (Windows), or for a single chunk, the chunks are prepared
in the caller's process, one after the other: same results, one core.
"""

from __future__ import annotations

import itertools
import multiprocessing
import queue
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


def _child(rows: Iterable, size: int, first: int | None, prepare: Callable[[list], T], out) -> None:
    try:
        for chunk in batched(rows, size, first):
            out.put(("chunk", prepare(chunk)))
        out.put(("end", None))
    except BaseException:  # noqa: BLE001 - handed to the parent, which raises it
        out.put(("error", traceback.format_exc()))


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
    computed in a forked child one or two chunks ahead of the caller."""
    if not parallel or "fork" not in multiprocessing.get_all_start_methods():
        for chunk in batched(rows, size, first):
            yield prepare(chunk)
        return
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue(maxsize=AHEAD)
    child = ctx.Process(target=_child, args=(rows, size, first, prepare, out), daemon=True)
    child.start()
    try:
        while True:
            try:
                kind, value = out.get(timeout=1)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(f"import worker exited with code {child.exitcode}") from None
                continue
            if kind == "end":
                break
            if kind == "error":
                raise RuntimeError(f"import worker failed:\n{value}")
            yield value
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        out.close()
