"""Reading and writing spreadsheets safely.

Reading (xlsx, xls, csv): size and row limits; spreadsheets are parsed by calamine
(python-calamine, Rust), which never expands XML entities or fetches external ones,
and before that every XML part of an xlsx is checked in the defusedxml way — a DTD
or entity declaration refuses the file (``defusedxml.DTDForbidden``) — and the
archive's declared sizes must stay within bounds (zip bombs). Every cell comes back
as stripped text; cells the spreadsheet stored as numbers are ``NumericCell`` so
importers can tell an ID number that Excel mangled.
Writing (openpyxl, csv): cells a spreadsheet would run as a formula are neutralised
(CWE-1236).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import time
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from defusedxml import DTDForbidden
from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from .errors import ErrorCode, ServiceError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# an xlsx's XML may be at most this many times the upload limit once unpacked
UNPACKED_RATIO = 40
READABLE = (".xlsx", ".xls", ".csv")


@dataclass
class Table:
    """A sheet being read: its header, the number of rows after it (blank ones too),
    and the non-blank rows as (spreadsheet row number, stripped strings), produced lazily
    and only once."""

    header: list[str]
    total: int
    rows: Iterator[tuple[int, list[str]]]


def open_table(data: bytes, filename: str) -> Table:
    """Open the first sheet of an xlsx/xls or a csv, checking size, format and row limit."""
    if len(data) > settings.LINLI_MAX_IMPORT_BYTES:
        raise ServiceError(
            ErrorCode.FILE_TOO_LARGE,
            _("文件过大：最大 %(mb)d MB。") % {"mb": settings.LINLI_MAX_IMPORT_BYTES // 1048576},
        )
    name = filename.lower()
    if name.endswith((".xlsx", ".xls")):
        total, raw = _open_spreadsheet(data, xlsx=name.endswith(".xlsx"))
    elif name.endswith(".csv"):
        lines = _read_csv(data)
        total, raw = len(lines), iter(lines)
    else:
        raise ServiceError(ErrorCode.UNSUPPORTED_FILE, _("只支持 .xlsx、.xls 和 .csv 文件。"))
    header: list[str] | None = None
    number = 0
    for row in raw:
        number += 1
        if any(row):
            header = [h.strip() for h in row]
            break
    if header is None:
        raise ServiceError(ErrorCode.INVALID, _("文件是空的。"))
    if total - number > settings.LINLI_MAX_IMPORT_ROWS:
        raise ServiceError(
            ErrorCode.FILE_TOO_LARGE, _("行数过多：最多 %(n)d 行。") % {"n": settings.LINLI_MAX_IMPORT_ROWS}
        )

    def numbered() -> Iterator[tuple[int, list[str]]]:
        for n, row in enumerate(raw, start=number + 1):
            if any(row):
                yield n, row

    return Table(header, total - number, numbered())


def read_table(data: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    """(header, non-blank rows) of the first sheet; every cell a stripped string."""
    table = open_table(data, filename)
    rows = [r for _n, r in table.rows]
    if not rows:
        raise ServiceError(ErrorCode.INVALID, _("文件是空的。"))
    return table.header, rows


class NumericCell(str):
    """Text of a cell that the spreadsheet stored as a number (e.g. an ID number that
    Excel turned into 1.50902E+17): importers report these instead of guessing."""


SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


def _cell(v) -> str:
    if type(v) is str:
        return v.strip()
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int | float):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return NumericCell(str(v))
    if isinstance(v, dt.datetime) and v.time() == dt.time():
        return v.date().isoformat()
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    return str(v).strip()


def was_number(value: str) -> bool:
    """True when the cell was stored as a number or written in scientific notation."""
    return isinstance(value, NumericCell) or bool(SCIENTIFIC.match(value))


def _unreadable() -> ServiceError:
    return ServiceError(ErrorCode.UNSUPPORTED_FILE, _("无法读取该 Excel 文件，请确认是 .xlsx 或 .xls 格式。"))


def _check_xlsx(data: bytes) -> None:
    """Refuse zip bombs and XML with a DTD before the parser sees the file."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise _unreadable() from exc
    if sum(m.file_size for m in members) > UNPACKED_RATIO * settings.LINLI_MAX_IMPORT_BYTES:
        raise ServiceError(ErrorCode.FILE_TOO_LARGE, _("文件解压后过大，拒绝读取。"))
    for m in members:
        if not m.filename.endswith((".xml", ".rels")):
            continue
        try:
            with archive.open(m) as fh:
                dtd = _declares_dtd(fh)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise _unreadable() from exc
        if dtd:
            raise ServiceError(
                ErrorCode.UNSUPPORTED_FILE, _("文件中含有不允许的 XML 声明（DTD），拒绝读取。")
            ) from DTDForbidden(None, None, None)


# what may come before an XML document's first element besides its DTD: space,
# processing instructions (<?xml ...?>) and comments
_PROLOG = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.S)
_ROOT = re.compile(rb"<[^!?]")
PROLOG_LIMIT = 1 << 20


def _declares_dtd(fh) -> bool:
    """Whether an XML part declares a DTD (or entities). A DTD can only stand before the
    first element, so the part is read up to there; a part whose start is anything else,
    or longer than ``PROLOG_LIMIT``, is searched whole."""
    buf = b""
    while len(buf) < PROLOG_LIMIT:
        more = fh.read(1 << 16)
        buf += more
        start = 3 if buf.startswith(b"\xef\xbb\xbf") else 0
        pos = m.end() if (m := _PROLOG.match(buf, start)) else start  # it always matches
        if buf.startswith(b"<!DOCTYPE", pos):
            return True
        if _ROOT.match(buf, pos):
            return False
        if not more:
            break
    tail = b""  # not a plain prolog: every byte is searched
    while buf:
        if b"<!DOCTYPE" in tail + buf or b"<!ENTITY" in tail + buf:
            return True
        tail = buf[-16:]
        buf = fh.read(1 << 20)
    return False


def _open_spreadsheet(data: bytes, *, xlsx: bool) -> tuple[int, Iterator[list[str]]]:
    from python_calamine import CalamineError, CalamineWorkbook

    if xlsx:
        _check_xlsx(data)
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except (CalamineError, ValueError, OSError) as exc:  # damaged or not a spreadsheet
        raise _unreadable() from exc

    def cells() -> Iterator[list[str]]:
        for row in rows:  # text cells (most of them) without a call each
            yield [v.strip() if type(v) is str else _cell(v) for v in row]

    return (sheet.start[0] + sheet.height if sheet.start else 0), cells()


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


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
        "xlsx": XLSX_TYPE,
    }[fmt]
    resp = HttpResponse(write_table(header, rows, fmt), content_type=content_type)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}.{fmt}"
    return resp


# Error reports are copies of the uploaded file (personal data in full): kept only
# briefly, readable by the server's user alone, and only offered to the uploader.
ERROR_REPORT_TTL = 3600


def _report_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "import-errors"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def save_error_report(data: bytes, filename: str, errors: list[dict], *, replaces: str | None = None) -> str:
    """Write the uploaded rows with an error column; returns the report's id. Reports older
    than ERROR_REPORT_TTL, and the one this replaces, are deleted."""
    folder = _report_dir()
    cutoff = time.time() - ERROR_REPORT_TTL
    for old in folder.glob("*.xlsx"):
        if old.stat().st_mtime < cutoff or old.stem == replaces:
            old.unlink(missing_ok=True)
    header, rows = read_table(data, filename)
    by_row: dict[int, list[str]] = {}
    for e in errors:
        by_row.setdefault(e["row"], []).append(f"{e['column']}：{e['message']}")
    out = [[*r, "；".join(by_row.get(n, []))] for n, r in enumerate(rows, start=2)]
    report_id = uuid.uuid4().hex
    path = folder / f"{report_id}.xlsx"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(write_table([*header, _("错误")], out, "xlsx"))
    return report_id


def load_error_report(report_id: str) -> bytes | None:
    if not re.fullmatch(r"[0-9a-f]{32}", report_id):
        return None
    path = _report_dir() / f"{report_id}.xlsx"
    if not path.exists() or path.stat().st_mtime < time.time() - ERROR_REPORT_TTL:
        return None
    return path.read_bytes()


def error_report_response(report_id: str, name: str) -> HttpResponse:
    """The error report as a download, or 404 once it has expired."""
    content = load_error_report(report_id)
    if content is None:
        raise Http404
    resp = HttpResponse(content, content_type=XLSX_TYPE)
    resp["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(f"导入错误-{name}.xlsx")
    return resp
