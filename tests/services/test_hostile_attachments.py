"""Issue 11, attachments: every reproduction of the issue, refused cleanly (S4).

The cases that hung or ate memory on the old main (``/dev/zero``, ``/dev/urandom``, a
FIFO named ``x.png``) run in a child process with a 10 s timeout, so a regression fails
the test instead of hanging CI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from service_college import COLLEGE, OTHER_STUDENT, STUDENT, location, login

from credx_tui.services import BadAttachment, Services
from credx_tui.services.attachment_check import check_content, clean_name
from policy.models import Attachment, SourceKind, SourceRef

G1 = SourceRef(kind=SourceKind.GENERAL_ELECTIVE, ref="G1")
HERE = Path(__file__).resolve().parent


def _png(text: bytes = b"") -> bytes:
    """A real 1x1 PNG, written by hand with zlib (not by Pillow, which reads it)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    extra = chunk(b"tEXt", b"Comment\0" + text) if text else b""
    idat = chunk(b"IDAT", zlib.compress(b"\0\xff\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + idat + chunk(b"IEND", b"")


def _pdf() -> bytes:
    """A real one-page PDF written by ReportLab."""
    import io

    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.drawString(72, 72, "grades")
    page.save()
    return buf.getvalue()


ATTACH_IN_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[3])
from service_college import login
from credx_tui.services import ServiceError, make_services
from credx_tui.store.opening import open_store
from policy.rules import load_rules
services = make_services(open_store(sys.argv[1]), load_rules())
try:
    att = services.attach(login(services, "2099010101"), sys.argv[2])
    print(json.dumps({"ok": att.filename}))
except ServiceError as exc:
    print(json.dumps({"refused": exc.en}))
"""


def attach_in_child(store_root: str, path: str) -> dict[str, str]:
    """``attach(path)`` in a fresh process, failing the test after 10 s (a hang)."""
    done = subprocess.run(
        [sys.executable, "-c", ATTACH_IN_CHILD, str(store_root), path, str(HERE)],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_at_once(services: Services, device: str) -> None:
    found = attach_in_child(location(services.store), device)
    assert "not a regular file" in found["refused"]


def test_a_fifo_named_png_is_refused_without_waiting(services: Services, tmp_path: Path) -> None:
    fifo = tmp_path / "x.png"
    os.mkfifo(fifo)
    found = attach_in_child(location(services.store), str(fifo))
    assert "not a regular file" in found["refused"]


def test_a_symbolic_link_is_not_followed(services: Services, tmp_path: Path) -> None:
    real = tmp_path / "real.png"
    real.write_bytes(_png())
    link = tmp_path / "link.png"
    link.symlink_to(real)
    with pytest.raises(BadAttachment, match="symbolic link"):
        services.attach(login(services, STUDENT), link)


def test_a_folder_is_refused(services: Services, tmp_path: Path) -> None:
    with pytest.raises(BadAttachment, match="folder"):
        services.attach(login(services, STUDENT), tmp_path)


def test_a_name_that_is_not_utf8_is_cleaned_not_a_crash(services: Services, tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/\xff\xfe grades.png"
    with open(raw, "wb") as fh:
        fh.write(_png())
    me = login(services, STUDENT)
    att = services.attach(me, os.fsdecode(raw))
    assert att.filename == "\ufffd\ufffd grades.png"
    saved = services.save(me, "M1", [G1], attachments=[att])
    assert saved.attachments[0].filename == att.filename


def test_a_nul_in_the_name_is_refused(services: Services) -> None:
    with pytest.raises(BadAttachment, match="NUL"):
        services.attach(login(services, STUDENT), "/tmp/a\x00.png")


def test_escape_sequences_in_a_file_name_never_reach_the_reviewer(
    services: Services, tmp_path: Path
) -> None:
    evil = tmp_path / "\x1b]0;owned\x07shot\u202e.png"
    evil.write_bytes(_png(b"e"))
    att = services.attach(login(services, STUDENT), evil)
    assert att.filename == "_]0;owned_shot_.png"


def test_pdf_header_then_html_is_not_a_pdf(services: Services, tmp_path: Path) -> None:
    fake = tmp_path / "page.html"
    fake.write_bytes(b"%PDF-1.4\n<html><script>alert(1)</script></html>\n")
    with pytest.raises(BadAttachment, match="not a valid PDF"):
        services.attach(login(services, STUDENT), fake)


def test_a_real_pdf_named_html_is_stored_as_pdf(services: Services, tmp_path: Path) -> None:
    doc = tmp_path / "grades.html"
    doc.write_bytes(_pdf())
    att = services.attach(login(services, STUDENT), doc)
    assert (att.media_type, att.filename) == ("application/pdf", "grades.pdf")


def test_png_magic_with_garbage_is_refused(services: Services, tmp_path: Path) -> None:
    fake = tmp_path / "shot.png"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    with pytest.raises(BadAttachment, match="not a valid PNG"):
        services.attach(login(services, STUDENT), fake)


def test_an_oversized_file_is_refused_by_size_without_reading_it_all(
    services: Services, tmp_path: Path
) -> None:
    big = tmp_path / "big.png"
    with big.open("wb") as fh:
        fh.truncate(services.rules.attachments.max_bytes * 50)  # sparse: huge, costs nothing
    with pytest.raises(BadAttachment, match="over the"):
        services.attach(login(services, STUDENT), big)


def test_check_content_is_the_one_check_for_uploads_too(services: Services) -> None:
    rules = services.rules.attachments
    found = check_content(_png(), "../../etc/x.exe", rules)
    assert (found.media_type, found.filename) == ("image/png", "x.png")
    with pytest.raises(BadAttachment):
        check_content(b"", "a.png", rules)
    assert clean_name("\u200b\u200b.pdf", "application/pdf") == "attachment.pdf"


def test_save_refuses_another_students_file_by_digest(services: Services, tmp_path: Path) -> None:
    shot = tmp_path / "other.png"
    shot.write_bytes(_png(b"other"))
    # The other student (another college) stored a file; this student names its digest.
    others = services.attach(login(services, OTHER_STUDENT), shot)
    me = login(services, STUDENT)
    with pytest.raises(BadAttachment, match="not a file you uploaded"):
        services.save(me, "M1", [G1], attachments=[others])
    assert services.applications(me) == []


def test_save_refuses_a_made_up_digest(services: Services) -> None:
    me = login(services, STUDENT)
    made_up = Attachment(sha256="ab" * 32, filename="x.png", media_type="image/png", size=10)
    with pytest.raises(BadAttachment):
        services.save(me, "M1", [G1], attachments=[made_up])


def test_save_refuses_own_digest_with_forged_size_or_type(
    services: Services, tmp_path: Path
) -> None:
    me = login(services, STUDENT)
    shot = tmp_path / "s.png"
    shot.write_bytes(_png(b"mine"))
    att = services.attach(me, shot)
    for forged in (
        att.model_copy(update={"size": att.size + 1}),
        att.model_copy(update={"media_type": "application/pdf"}),
    ):
        with pytest.raises(BadAttachment):
            services.save(me, "M1", [G1], attachments=[forged])
    saved = services.save(me, "M1", [G1], attachments=[att])
    # Kept on a later save without re-uploading.
    again = services.save(me, "M1", [G1], application_id=saved.id, attachments=saved.attachments)
    assert again.attachments == [att]
    assert services.store.verify() == []
    assert COLLEGE in services.store.colleges()
