"""Is the store on a network file system?  Its file locks cannot be trusted there.

Reads ``/proc/mounts`` (Linux) and finds the mount that holds a path: the longest
mount point that is a prefix of the resolved path.  No Textual, no store."""

from __future__ import annotations

from pathlib import Path

NETWORK_FS_TYPES = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "fuse.sshfs",
        "sshfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "fuse.glusterfs",
        "lustre",
        "gpfs",
        "fuse.rclone",
        "davfs",
        "fuse.davfs2",
    }
)
"""File systems whose ``flock`` is not a cross-host lock (or not a lock at all)."""

PROC_MOUNTS = Path("/proc/mounts")


def _unescape(field: str) -> str:
    """/proc/mounts writes spaces, tabs, newlines and backslashes as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def filesystem_of(path: Path, mounts: Path = PROC_MOUNTS) -> str | None:
    """The file-system type holding ``path``; None when unknown (no /proc/mounts)."""
    try:
        lines = mounts.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = Path(path).expanduser().resolve()
    best: tuple[int, str] | None = None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = Path(_unescape(fields[1]))
        if target == point or point in target.parents:
            depth = len(point.parts)
            if best is None or depth >= best[0]:
                best = (depth, fields[2])
    return best[1] if best else None


def network_filesystem(path: Path, mounts: Path = PROC_MOUNTS) -> str | None:
    """The network file-system type holding ``path``, or None when it is local."""
    fstype = filesystem_of(path, mounts)
    if fstype is None:
        return None
    if fstype in NETWORK_FS_TYPES or fstype.startswith(("nfs", "fuse.sshfs", "smb")):
        return fstype
    return None
