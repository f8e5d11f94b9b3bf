"""Staff log in over SSH by key (issue 9, item 2): the service account's
``~/.ssh/authorized_keys``, written by ``credx keys``, gitolite's way.

Each key credx adds is one line::

    command="/opt/credx/venv/bin/credx --db /srv/credx/store --key-user rev_zn",restrict,pty ssh-ed25519 AAAA... credx:rev_zn

``restrict`` turns off forwarding, agent, X11 and ~/.ssh/rc; ``pty`` gives the terminal
back.  Lines credx did not write are kept as they are.  The file is replaced atomically
(0600, folder 0700), so sshd never reads half a file.

With README's sshd block (``ForceCommand ... --ssh`` and ``ExposeAuthInfo yes``) sshd
runs the ForceCommand for every login, also a key's, and names the key it accepted in
the file ``$SSH_USER_AUTH``; :func:`key_user_from_auth_info` finds that key here and so
the credx account.  Without a ForceCommand the line's own ``command=`` does the same.
No Textual, no store."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from credx_tui.bilingual import BilingualError

KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)
"""Public key types credx accepts (OpenSSH's current ones; no DSA)."""

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
"""credx account names that may appear in a command line unquoted-safe."""

MARK = "credx:"
"""The comment credx puts on its own lines: ``credx:<account>``."""


class SshKeyError(BilingualError):
    """A refused key or key file, in Chinese and English."""


@dataclass(frozen=True)
class PublicKey:
    """One public key: its type and base64 blob (the comment is not kept)."""

    type: str
    blob: str

    @property
    def fingerprint(self) -> str:
        """SHA256 fingerprint, as ``ssh-keygen -l`` prints it."""
        digest = hashlib.sha256(base64.b64decode(self.blob)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class KeyLine:
    """A line of authorized_keys that credx wrote: whose it is, and the key."""

    account: str
    key: PublicKey


def parse_public_key(line: str, where: str) -> PublicKey:
    """One ``type base64 [comment]`` line; refuses options, unknown types, bad data."""
    parts = line.strip().split()
    if len(parts) < 2:
        raise SshKeyError(f"{where}：不是公钥行", f"{where}: not a public key line")
    kind, blob = parts[0], parts[1]
    if kind not in KEY_TYPES:
        if "=" in kind or "," in kind or '"' in line:
            raise SshKeyError(
                f"{where}：公钥行不能带选项（如 command=、from=），只写“类型 公钥 注释”",
                f"{where}: options (command=, from=, ...) are not allowed; give only "
                "'type key comment'",
            )
        raise SshKeyError(
            f"{where}：不支持的公钥类型 {kind}", f"{where}: unsupported key type {kind}"
        )
    if inner_type(blob) != kind:
        raise SshKeyError(f"{where}：公钥数据损坏", f"{where}: the key data is damaged")
    return PublicKey(kind, blob)


def inner_type(blob: str) -> str | None:
    """The key type written inside the blob, if the blob is a whole sequence of
    length-prefixed strings (as every OpenSSH public key is); else None."""
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return None
    fields, at = [], 0
    while at < len(raw):
        size = int.from_bytes(raw[at : at + 4], "big")
        if at + 4 + size > len(raw):
            return None
        fields.append(raw[at + 4 : at + 4 + size])
        at += 4 + size
    try:
        return fields[0].decode("ascii") if len(fields) >= 2 else None
    except UnicodeDecodeError:
        return None


def read_key_file(path: Path) -> list[PublicKey]:
    """The keys of a ``.pub`` file: one key per line, blank lines and # comments skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SshKeyError(f"无法读取 {path}：{reason}", f"cannot read {path}: {reason}") from None
    keys = [
        parse_public_key(line, f"{path}:{n}")
        for n, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not keys:
        raise SshKeyError(f"{path} 中没有公钥", f"no public key in {path}")
    return keys


def credx_line(command: list[str], account: str, key: PublicKey) -> str:
    """The authorized_keys line that logs ``key`` in as ``account``."""
    if not USERNAME.match(account):
        raise SshKeyError(
            f"账号名 {account} 不能用于密钥登录", f"account {account} cannot log in by key"
        )
    forced = shlex.join([*command, "--key-user", account]).replace('"', '\\"')
    return f'command="{forced}",restrict,pty {key.type} {key.blob} {MARK}{account}'


def parse_credx_line(line: str) -> KeyLine | None:
    """A line credx wrote (ends with ``credx:<account>``, forced command and restrict),
    else None."""
    match = re.match(r'^command="(?P<cmd>(?:[^"\\]|\\.)*)",restrict,pty (?P<rest>.*)$', line)
    if not match:
        return None
    parts = match["rest"].split()
    if len(parts) != 3 or not parts[2].startswith(MARK):
        return None
    account = parts[2][len(MARK) :]
    argv = shlex.split(match["cmd"].replace('\\"', '"'))
    if argv[-2:] != ["--key-user", account]:
        return None
    try:
        key = parse_public_key(f"{parts[0]} {parts[1]}", "authorized_keys")
    except SshKeyError:
        return None
    return KeyLine(account, key)


def authorized_keys_of(home: Path) -> Path:
    """The authorized_keys file of a home folder."""
    return home / ".ssh" / "authorized_keys"


def read_lines(path: Path) -> list[str]:
    """The file's lines (none when it is not there)."""
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SshKeyError(f"无法读取 {path}：{reason}", f"cannot read {path}: {reason}") from None


def credx_keys(path: Path) -> list[KeyLine]:
    """Every key credx added to ``path``."""
    return [k for k in map(parse_credx_line, read_lines(path)) if k is not None]


def write_lines(path: Path, lines: list[str]) -> None:
    """Replace ``path`` atomically with ``lines`` (file 0600, folder 0700)."""
    folder = path.parent
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    tmp = folder / f".authorized_keys.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in lines))
            fh.flush()
            os.fchmod(fh.fileno(), 0o600)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def add_keys(path: Path, command: list[str], account: str, keys: list[PublicKey]) -> int:
    """Bind ``keys`` to ``account`` (a key bound to another account is refused); returns
    how many lines were added.  Other lines stay as they were."""
    lines = read_lines(path)
    existing = {}
    for line in lines:
        parsed = parse_credx_line(line)
        if parsed is not None:
            existing[parsed.key] = parsed.account
        else:
            parts = line.split()
            for i, part in enumerate(parts[:-1]):
                if part in KEY_TYPES:
                    existing.setdefault(PublicKey(part, parts[i + 1]), "")
    added = 0
    for key in keys:
        owner = existing.get(key)
        if owner == account:
            continue
        if owner is not None:
            who = owner or "(a line credx did not write)"
            raise SshKeyError(
                f"公钥 {key.fingerprint} 已属于 {who}，未作任何修改",
                f"the key {key.fingerprint} already belongs to {who}; nothing was changed",
            )
        lines.append(credx_line(command, account, key))
        existing[key] = account
        added += 1
    if added:
        write_lines(path, lines)
    return added


def remove_keys(path: Path, account: str, fingerprint: str | None = None) -> int:
    """Drop the account's keys (or only the one with ``fingerprint``); returns how many."""
    kept, removed = [], 0
    for line in read_lines(path):
        parsed = parse_credx_line(line)
        if (
            parsed is not None
            and parsed.account == account
            and fingerprint in (None, parsed.key.fingerprint)
        ):
            removed += 1
            continue
        kept.append(line)
    if removed:
        write_lines(path, kept)
    return removed


def key_user_from_auth_info(auth_info: Path, authorized_keys: Path) -> str | None:
    """The credx account of the key sshd accepted, from the ``ExposeAuthInfo`` file
    (lines ``publickey TYPE BLOB``); None for a password login or an unknown key."""
    try:
        text = auth_info.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    used = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "publickey":
            used.add(PublicKey(parts[1], parts[2]))
    if len(used) != 1:
        return None
    [key] = used
    for entry in credx_keys(authorized_keys):
        if entry.key == key:
            return entry.account
    return None
