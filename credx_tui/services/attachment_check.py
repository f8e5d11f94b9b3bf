"""What an attachment must be before the store keeps it: the one content check shared by
the local file path (:meth:`Services.attach`) and the upload link; and what the list of
attachments an application names must be before a save writes it (count, the same
content twice, proof that this student stored each).

A screenshot of grades reaches a reviewer, who opens it with a viewer; so the bytes
must really be the PNG, JPEG or PDF they claim, judged by content, never by name: a file
that starts ``%PDF-`` and then holds HTML is not a PDF, and the stored name carries the
extension of the detected type, never the one the student gave.  Reading a local path
is here too, because a path can name a FIFO (which blocks a plain ``open`` until
someone writes to it), ``/dev/zero`` (whose ``stat`` size is 0 and whose content never
ends) or a symbolic link to another person's file.
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from credx_tui.services.errors import BadAttachment, DuplicateAttachment
from policy.models import Attachment
from policy.rules import AttachmentRules
from policy.text import FILENAME_MAX, INVISIBLE, for_terminal, has_terminal_controls

EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf"}
"""The extension a stored attachment's name gets, by the type detected in its content."""

_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"%PDF-": "application/pdf",
}
_PDF_HEADER = re.compile(rb"^%PDF-[12]\.[0-9]")
_PDF_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")
_PDF_END = re.compile(rb"startxref\s+\d+\s+%%EOF\s*$")
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)

if TYPE_CHECKING:
    from credx_tui.store import HotTransaction
    from credx_tui.store.base import DocumentStore


@dataclass(frozen=True)
class DetectedType:
    """What the content of an attachment turned out to be."""

    media_type: str
    """``image/png``, ``image/jpeg`` or ``application/pdf``."""
    filename: str
    """The name to store: the student's name cleaned, with the detected type's extension."""
    size: int
    """Bytes."""


def sniff_media_type(payload: bytes) -> str | None:
    """The media type the first bytes claim (never the file name); None when none."""
    for magic, media_type in _MAGIC.items():
        if payload.startswith(magic):
            return media_type
    return None


def _clean_base(claimed_name: str) -> str:
    base = claimed_name.replace("\\", "/").rsplit("/", 1)[-1]
    # An undecodable byte of a POSIX file name arrives as a lone surrogate
    # (surrogateescape): shown as U+FFFD, never stored as is.
    base = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in base)
    base = unicodedata.normalize("NFC", base)
    base = "".join(
        "_" if ch in "\t\n" or has_terminal_controls(ch) else ch
        for ch in base
        if ch not in INVISIBLE
    )
    return base.strip()


def clean_name(claimed_name: str, media_type: str) -> str:
    """A stored name from whatever name the student gave: the last path component, NFC,
    without control, bidi, invisible or undecodable characters, within
    :data:`~policy.text.FILENAME_MAX`, ending in the detected type's extension."""
    base = _clean_base(claimed_name)
    stem = (base.rsplit(".", 1)[0] if "." in base else base).strip(" .") or "attachment"
    ext = EXTENSIONS[media_type]
    return stem[: FILENAME_MAX - len(ext)] + ext


def _decodes(payload: bytes, media_type: str) -> bool:
    if media_type == "application/pdf":
        return bool(
            _PDF_HEADER.match(payload)
            and _PDF_OBJECT.search(payload)
            and _PDF_END.search(payload[-2048:])
            and b"<html" not in payload[:4096].lower()
        )
    try:
        from PIL import Image  # Pillow comes with reportlab

        with Image.open(io.BytesIO(payload)) as image:
            fmt = image.format
            image.verify()
    except Exception:  # Pillow raises many kinds for a broken image
        return False
    return (fmt, media_type) in (("PNG", "image/png"), ("JPEG", "image/jpeg"))


def check_content(payload: bytes, claimed_name: str, rules: AttachmentRules) -> DetectedType:
    """The detected type of ``payload`` if it may be stored, else :class:`BadAttachment`.

    Used for a local file (after :func:`read_local`) and for an upload alike:
    size within ``rules.max_bytes``, not empty, content of a type the rules accept that
    really decodes as that type (Pillow for images, the PDF's header, an object and its
    end-of-file trailer for PDFs)."""
    shown = _clean_base(claimed_name)[:80] or "attachment"
    if not payload:
        raise BadAttachment(f"{shown}：文件为空", f"{shown}: the file is empty")
    if len(payload) > rules.max_bytes:
        limit = rules.max_bytes / 1048576
        raise BadAttachment(
            f"{shown}：文件超过上限 {limit:.1f} MB", f"{shown}: over the {limit:.1f} MB limit"
        )
    media_type = sniff_media_type(payload)
    if media_type is None or media_type not in rules.types:
        raise BadAttachment(
            f"{shown}：只接受 PNG、JPEG 或 PDF（按文件内容判断，不看扩展名）",
            f"{shown}: only PNG, JPEG or PDF are accepted (judged by content, not name)",
        )
    if not _decodes(payload, media_type):
        kind = {"image/png": "PNG", "image/jpeg": "JPEG", "application/pdf": "PDF"}[media_type]
        raise BadAttachment(
            f"{shown}：文件开头像 {kind}，但内容不是有效的 {kind}（损坏或伪装的文件）",
            f"{shown}: it starts like a {kind} but is not a valid {kind} (damaged or disguised)",
        )
    return DetectedType(media_type, clean_name(claimed_name, media_type), len(payload))


def read_local(path: Path, rules: AttachmentRules) -> bytes:
    """The bytes of a local attachment file: a regular file only, opened without
    blocking and without following a link, checked with ``fstat`` after the open,
    read to at most ``max_bytes + 1`` (so an endless device cannot fill memory)."""
    shown = for_terminal(str(path))
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except ValueError:  # a NUL in the path
        raise BadAttachment(
            "文件名含有空字符（NUL），无法打开", "the file name holds a NUL"
        ) from None
    except FileNotFoundError:
        raise BadAttachment(f"找不到文件 {shown}", f"no such file {shown}") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise BadAttachment(
                f"{shown} 是符号链接；请选择文件本身",
                f"{shown} is a symbolic link; choose the file itself",
            ) from None
        if exc.errno == errno.EISDIR:
            raise BadAttachment(f"{shown} 是文件夹", f"{shown} is a folder") from None
        raise BadAttachment(
            f"无法读取 {shown}：{exc.strerror}", f"cannot read {shown}: {exc.strerror}"
        ) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise BadAttachment(f"{shown} 是文件夹", f"{shown} is a folder")
        if not stat.S_ISREG(st.st_mode):
            raise BadAttachment(
                f"{shown} 不是普通文件（设备、管道等），不能作为附件",
                f"{shown} is not a regular file (a device, pipe or the like); it cannot be attached",
            )
        limit = rules.max_bytes + 1
        if st.st_size >= limit:
            mb, cap = st.st_size / 1048576, rules.max_bytes / 1048576
            raise BadAttachment(
                f"{shown}：文件 {mb:.1f} MB，超过上限 {cap:.1f} MB",
                f"{shown}: {mb:.1f} MB is over the {cap:.1f} MB limit",
            )
        chunks: list[bytes] = []
        got = 0
        while got < limit:
            chunk = os.read(fd, min(1 << 20, limit - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    except BlockingIOError:
        raise BadAttachment(
            f"{shown} 暂时无法读取", f"{shown} cannot be read without waiting"
        ) from None
    except OSError as exc:
        raise BadAttachment(
            f"无法读取 {shown}：{exc.strerror}", f"cannot read {shown}: {exc.strerror}"
        ) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


# -- the attachments an application names (checked by a save) ----------------------


def same_content(attachments: list[Attachment], new: Attachment) -> Attachment | None:
    """The attachment of ``attachments`` with the bytes of ``new`` (its SHA-256), if
    any: the same file under another name proves nothing more (S4)."""
    return next((a for a in attachments if a.sha256 == new.sha256), None)


def refuse_same_content(attachments: list[Attachment]) -> None:
    """Refuse a list that names the same bytes twice (issue 15): a reviewer would see
    one screenshot as two pieces of evidence, and the store keeps each content once."""
    for index, att in enumerate(attachments):
        first = same_content(attachments[:index], att)
        if first is not None:
            raise DuplicateAttachment(
                f"附件《{att.filename}》与《{first.filename}》内容相同（同一文件），"
                "请只保留一个（S4）",
                f"attachment {att.filename} has the same content as {first.filename} "
                "(the same file); keep only one (S4)",
            )


def check_list(attachments: list[Attachment], rules: AttachmentRules) -> None:
    """Refuse more attachments than the rules allow, or the same content twice."""
    limit = rules.max_count
    if len(attachments) > limit:
        raise BadAttachment(
            f"附件最多 {limit} 个，现有 {len(attachments)} 个",
            f"at most {limit} attachments; this has {len(attachments)}",
        )
    refuse_same_content(attachments)


def check_proof(
    store: DocumentStore,
    tx: HotTransaction,
    student_id: str,
    application_id: str | None,
    attachments: list[Attachment],
) -> None:
    """Refuse an attachment reference this student did not store: another student's
    file named by its digest, or a made-up one (S4)."""
    current = tx.application(application_id) if application_id else None
    kept = {a.sha256: a for a in current.attachments} if current else {}
    stored = {u.sha256: u for u in tx.uploads(student_id)}
    for att in attachments:
        proof = kept.get(att.sha256) or stored.get(att.sha256)
        if (
            proof is None
            or proof.media_type != att.media_type
            or proof.size != att.size
            or not store.has_attachment(att.sha256)
        ):
            raise BadAttachment(
                "附件不是你上传的文件，请重新添加",
                "an attachment is not a file you uploaded; add it again",
            )
