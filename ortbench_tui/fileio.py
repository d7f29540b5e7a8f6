"""The one way ortbench writes a file, and the one way it reads a file a user could have swapped.

Writes: a unique temp file in the target's folder (`tempfile.mkstemp`), fsync, then
`os.replace` (overwrite) or `os.link` (no-overwrite: the link fails if another process made the
name first, so two racing savers never both "succeed"). The temp file is removed on any failure;
a replaced file keeps its mode, a new one gets the umask's. Errors name the path and the OS
reason: a bad path (missing folder, a file where a folder should be, no permission) is bad input
(OrtbenchError, exit 2); anything else (disk full, I/O error) is a failed write (WriteFailed,
exit 1).

Reads: only regular files (a FIFO would hang, /dev/zero would never end, a folder is no file)
up to a size limit, so neither the CLI nor the TUI can be stalled by what sits in a folder.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from .errors import OrtbenchError, WriteFailed

MiB = 1 << 20
PROFILE_LIMIT = 1 * MiB
SPEC_LIMIT = 1 * MiB
RESULT_LIMIT = 64 * MiB

_USER_PATH_ERRNOS = {
    errno.ENOENT,
    errno.ENOTDIR,
    errno.EISDIR,
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENAMETOOLONG,
    errno.ELOOP,
    errno.EEXIST,
}


def slug(text: str, empty: str, limit: int | None = None) -> str:
    """`text` as a file-name part: runs of anything but letters, digits, `_`, `.` and `-` become
    one `-`, with no `-` or `.` at either end (no hidden files), cut to `limit` characters;
    `empty` where nothing is left. Result, derived-model and profile file names all use it."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")
    return cleaned[:limit].rstrip("-.") or empty


def write_error(path: Path, exc: OSError) -> OrtbenchError | WriteFailed:
    """The error for `exc` while writing `path`: bad input for a bad path, else WriteFailed."""
    reason = exc.strerror or str(exc)
    message = f"cannot write {path}: {reason}"
    return OrtbenchError(message) if exc.errno in _USER_PATH_ERRNOS else WriteFailed(message)


def _umask() -> int:
    """The process umask, read without changing it (os.umask would, and threads share it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _existing_mode(path: Path) -> int | None:
    """The permission bits of the file `path` would replace; refuse to replace a non-file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise write_error(path, exc) from None
    if stat.S_ISDIR(st.st_mode):
        raise OrtbenchError(f"cannot write {path}: it is a folder")
    if not stat.S_ISREG(st.st_mode):
        raise OrtbenchError(f"cannot write {path}: it is not a regular file")
    return stat.S_IMODE(st.st_mode)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable; some file systems cannot, which is not worth an error."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _already_exists(path: Path) -> OrtbenchError:
    return OrtbenchError(f"{path} already exists (choose another name or allow overwriting)")


def _place(tmp: str, path: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic and fails when the name exists, even if made a moment ago
    except FileExistsError:
        raise _already_exists(path) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        # No hard links here (some network and FAT file systems): claim the name with O_EXCL.
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            raise _already_exists(path) from None
        os.replace(tmp, path)
    else:
        os.unlink(tmp)


def write_atomic(
    path: str | os.PathLike[str],
    data: bytes | str,
    *,
    overwrite: bool = True,
    make_parents: bool = False,
) -> Path:
    """Write `data` to `path` so that readers see the old file or the new one, never half."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if make_parents:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise OrtbenchError(
                f"cannot write {path}: {path.parent} is a file, not a folder"
            ) from None
        except OSError as exc:
            raise write_error(path, exc) from None
    mode = _existing_mode(path)
    if mode is not None and not overwrite:
        raise _already_exists(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        try:
            _write_all(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
        _place(tmp, path, overwrite)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise write_error(path, exc) from None
        raise
    _fsync_dir(path.parent)
    return path


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _a(what: str) -> str:
    return f"an {what}" if what[:1] in "aeiou" else f"a {what}"


def check_regular(path: Path, limit: int, what: str) -> os.stat_result:
    """Stat `path` (through links) and refuse anything but a regular file within `limit`."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise OrtbenchError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise OrtbenchError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise OrtbenchError(f"{path} is a folder, not {_a(what)}")
    if not stat.S_ISREG(st.st_mode):
        kind = _kind(st.st_mode)
        raise OrtbenchError(f"{path} is {kind}, not {_a(what)}: ortbench reads plain files")
    if st.st_size > limit:
        raise OrtbenchError(
            f"{path} is too large for {_a(what)}: {st.st_size / MiB:.1f} MiB "
            f"(at most {limit / MiB:g} MiB)"
        )
    return st


def read_regular(path: str | os.PathLike[str], limit: int, what: str) -> bytes:
    """The bytes of a regular file no larger than `limit`; OrtbenchError naming it otherwise."""
    path = Path(path)
    check_regular(path, limit, what)
    try:
        # O_NONBLOCK: should a FIFO be swapped in after the check, open() does not wait for it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise OrtbenchError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OrtbenchError(f"{path} is not a regular file, not {_a(what)}")
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, MiB))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise OrtbenchError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise OrtbenchError(f"{path} is too large for {_a(what)} (at most {limit / MiB:g} MiB)")
    return data


def parse_toml(raw: bytes, path: str | os.PathLike[str], what: str) -> dict[str, Any]:
    """A TOML document from `raw`, or OrtbenchError naming the file: a UTF-8 byte-order mark
    (Windows editors write one) is allowed, bad UTF-8 or TOML is named, and a document nested
    too deeply for the parser (hundreds of inline tables) is refused rather than crashing."""
    try:
        return tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise OrtbenchError(f"cannot read {what} {path}: not UTF-8 text ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise OrtbenchError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise OrtbenchError(
            f"{path}: not a usable {what}: its tables or arrays are nested too deeply"
        ) from None


def read_toml(path: str | os.PathLike[str], limit: int, what: str) -> dict[str, Any]:
    """`read_regular` then `parse_toml`: the one way a TOML file a user could have edited is
    read."""
    return parse_toml(read_regular(path, limit, what), path, what)


__all__ = [
    "PROFILE_LIMIT",
    "RESULT_LIMIT",
    "SPEC_LIMIT",
    "WriteFailed",
    "check_regular",
    "parse_toml",
    "read_regular",
    "read_toml",
    "write_atomic",
    "write_error",
]
