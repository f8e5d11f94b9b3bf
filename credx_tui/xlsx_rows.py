"""The rows of a big ``.xlsx`` sheet in bounded memory (issue 12, item 1).

python-calamine (credx's spreadsheet reader, :mod:`credx_tui.sheets`) loads a whole
sheet into memory before the first row comes out: the 成绩 export of a 20,000-student
college (820,000 rows, 505 MB of sheet XML) took 900 MB in calamine alone.  A sheet
whose XML is bigger than :data:`STREAM_XML_BYTES` is therefore handed to calamine a
slice at a time: the sheet's XML is decompressed a block at a time, cut after a
``</row>``, and each slice (the sheet's head, its rows, the end tags) goes into a small
in-memory workbook with the file's shared strings and styles, which calamine reads as
it reads any workbook.  Memory holds one slice; the values are calamine's own (row
numbers come from the rows' ``r``, so they are Excel's).  Python-side XML parsing was
tried and was 4 times slower than calamine (49 s of CPU for that sheet with
``ElementTree.iterparse``, 13 s with the slices).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from posixpath import join, normpath
from typing import Any

STREAM_XML_BYTES = 32 << 20
"""Sheets whose XML is bigger than this (uncompressed) are streamed here; smaller ones
are read by calamine."""

SLICE_BYTES = 8 << 20
"""Bytes of sheet XML calamine reads at a time (8 MB: about 15,000 rows of 11 columns,
150 MB at the peak for the sheet above; 32 MB slices peaked at 400 MB)."""

HEAD_BYTES = 16 << 20
"""How far into a sheet's XML its ``<sheetData>`` is looked for."""

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"

_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b[^>]*>")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*/>")


class NotStreamable(Exception):
    """The workbook is not laid out as this reader expects; calamine reads it whole."""


class StreamedWorkbook:
    """The sheets of one ``.xlsx`` file: names, XML sizes, and rows on demand."""

    def __init__(self, path: str) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
            workbook = ET.fromstring(self.zip.read("xl/workbook.xml"))
            rels = ET.fromstring(self.zip.read("xl/_rels/workbook.xml.rels"))
        except (KeyError, zipfile.BadZipFile, ET.ParseError, OSError) as exc:
            raise NotStreamable(str(exc)) from None
        targets = {
            r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{_PKG_REL}}}Relationship")
        }
        self.sheets: dict[str, str] = {}
        for sheet in workbook.iter(f"{{{_MAIN}}}sheet"):
            target = targets.get(sheet.get(f"{{{_REL}}}id"), "")
            member = target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
            self.sheets[sheet.get("name", "")] = member

    def size(self, sheet: str) -> int:
        """Uncompressed bytes of the sheet's XML (0 when it is not there)."""
        try:
            return self.zip.getinfo(self.sheets[sheet]).file_size
        except KeyError:
            return 0

    def rows(self, sheet: str) -> Iterator[tuple[int, list[object]]]:
        """(Excel row number, cells from column A) of the sheet's rows, a slice at a time."""
        from python_calamine import CalamineWorkbook

        member = self.sheets[sheet]
        others = {
            info.filename: self.zip.read(info.filename)
            for info in self.zip.infolist()
            if info.filename != member
            and not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"))
        }
        with self.zip.open(member) as raw:
            buf = raw.read(SLICE_BYTES)
            while (found := _SHEET_DATA.search(buf)) is None and len(buf) < HEAD_BYTES:
                more = raw.read(SLICE_BYTES)
                if not more:
                    break
                buf += more
            if found is None:
                raise NotStreamable("no <sheetData> element")
            if found.group(0).endswith(b"/>"):
                return  # a sheet without rows
            prefix = found.group(1) or b""
            # the <dimension> would make calamine size every slice as the whole sheet
            head = _DIMENSION.sub(b"", buf[: found.end()])
            tail = b"</" + prefix + b"sheetData></" + prefix + b"worksheet>"
            close = b"</" + prefix + b"row>"
            buf = buf[found.end() :]
            done = False
            while not done:
                while len(buf) < SLICE_BYTES or close not in buf:
                    more = raw.read(SLICE_BYTES)
                    if not more:
                        done = True
                        break
                    buf += more
                if done:
                    # what follows the last row (</sheetData>, merged cells, ...) is not a row
                    end = buf.find(b"</" + prefix + b"sheetData>")
                    body, buf = (buf[:end] if end >= 0 else buf), b""
                else:
                    cut = buf.rfind(close)
                    body, buf = buf[: cut + len(close)], buf[cut + len(close) :]
                if body.strip():
                    yield from self._slice(
                        CalamineWorkbook, others, member, sheet, head + body + tail
                    )

    @staticmethod
    def _slice(
        reader: Any, others: dict[str, bytes], member: str, sheet: str, xml: bytes
    ) -> Iterator[tuple[int, list[object]]]:
        book = io.BytesIO()
        with zipfile.ZipFile(book, "w", zipfile.ZIP_STORED) as out:
            for name, data in others.items():
                out.writestr(name, data)
            out.writestr(member, xml)
        del xml
        book.seek(0)
        data = reader.from_filelike(book).get_sheet_by_name(sheet)
        start = data.start
        if start is None:
            return
        first, offset = start
        rows = data.to_python(skip_empty_area=True)
        del data, book
        pad = [""] * offset
        for index, cells in enumerate(rows):
            rows[index] = None
            yield first + 1 + index, pad + cells if offset else cells


__all__ = ["SLICE_BYTES", "STREAM_XML_BYTES", "NotStreamable", "StreamedWorkbook"]
