"""Reading and writing spreadsheets (xlsx via openpyxl, csv) safely.

Reading: size and row limits, xlsx parsed with defusedxml in place (openpyxl uses
it when installed), every cell as text. Writing: cells that a spreadsheet would
run as a formula are neutralised (CWE-1236).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

import defusedxml  # noqa: F401  (openpyxl uses defusedxml when it is importable)
from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from .errors import ErrorCode, ServiceError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def read_table(data: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the first sheet of an xlsx or a csv; every cell a stripped string."""
    if len(data) > settings.LINLI_MAX_IMPORT_BYTES:
        raise ServiceError(
            ErrorCode.FILE_TOO_LARGE,
            _("文件过大：最大 %(mb)d MB。") % {"mb": settings.LINLI_MAX_IMPORT_BYTES // 1048576},
        )
    name = filename.lower()
    if name.endswith(".xlsx"):
        rows = _read_xlsx(data)
    elif name.endswith(".csv"):
        rows = _read_csv(data)
    else:
        raise ServiceError(ErrorCode.UNSUPPORTED_FILE, _("只支持 .xlsx 和 .csv 文件。"))
    rows = [r for r in rows if any(c for c in r)]
    if not rows:
        raise ServiceError(ErrorCode.INVALID, _("文件是空的。"))
    if len(rows) - 1 > settings.LINLI_MAX_IMPORT_ROWS:
        raise ServiceError(
            ErrorCode.FILE_TOO_LARGE, _("行数过多：最多 %(n)d 行。") % {"n": settings.LINLI_MAX_IMPORT_ROWS}
        )
    header = [h.strip() for h in rows[0]]
    return header, rows[1:]


class NumericCell(str):
    """Text of a cell that the spreadsheet stored as a number (e.g. an ID number that
    Excel turned into 1.50902E+17): importers report these instead of guessing."""


SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int | float):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return NumericCell(str(v))
    return str(v).strip()


def was_number(value: str) -> bool:
    """True when the cell was stored as a number or written in scientific notation."""
    return isinstance(value, NumericCell) or bool(SCIENTIFIC.match(value))


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ServiceError(
            ErrorCode.UNSUPPORTED_FILE, _("无法读取该 Excel 文件，请确认是 .xlsx 格式。")
        ) from exc
    ws = wb.worksheets[0]
    rows = [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
    wb.close()
    return rows


def _read_csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ServiceError(
            ErrorCode.UNSUPPORTED_FILE, _("无法识别 CSV 文件的编码（请用 UTF-8 或 GB18030）。")
        )
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_table(header: Sequence[str], rows: Iterable[Sequence], fmt: str) -> bytes:
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow([neutralise(h) for h in header])
        for r in rows:
            w.writerow([neutralise(c) for c in r])
        return ("\ufeff" + buf.getvalue()).encode()
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append([neutralise(h) for h in header])
    for r in rows:
        ws.append([neutralise(c) for c in r])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table_response(header, rows, fmt: str, filename: str) -> HttpResponse:
    content_type = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[fmt]
    resp = HttpResponse(write_table(header, rows, fmt), content_type=content_type)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}.{fmt}"
    return resp
