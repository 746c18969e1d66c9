"""Helpers for management commands: ServiceError becomes a clear CommandError."""

from __future__ import annotations

import contextlib

from django.core.management.base import CommandError

from .errors import ServiceError


@contextlib.contextmanager
def service_errors():
    try:
        yield
    except ServiceError as exc:
        lines = [str(exc.message)]
        for e in exc.errors:
            where = (
                f"#{e['index']}"
                if "index" in e
                else (f"第 {e['row']} 行" if "row" in e else e.get("field", ""))
            )
            lines.append(f"  {where}: {e.get('message') or e.get('messages')}")
        raise CommandError("\n".join(lines)) from exc
