"""Read a text file into a normal form for editing, and write it back exactly in its own format.

Edits are computed on a `str` with `\\n` line ends and no byte-order mark, because YAML node marks
are character offsets into such a string. Whatever the file had (a BOM, CRLF line ends, no final
newline) is remembered and restored on write, so a file the kit leaves alone is never touched and
a file it edits differs only where it edited. Writes go through a temporary file and a rename so a
crash can never leave half a file behind; the new file keeps the old one's mode, and a caller that
read the file with `read_file` can have the write refused when someone changed it in between.

Files come from repositories the kit does not control: `read_file` never follows a symlink and
refuses a file over `MAX_BYTES` before reading it, and a UTF-16 or UTF-32 file is named as such
rather than mistaken for text without the words the kit looks for.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kit.errors import RefusedFile

BOM = "\ufeff"
MAX_BYTES = 32 * 1024 * 1024  # far above any real workflow, even a 2,000-job one once hardened


class TextFormatError(RefusedFile):
    """The file cannot be edited safely as text (not UTF-8, or mixed line endings)."""


class UnreadableFile(RefusedFile):
    """The file is not one the kit reads: a symlink, not a regular file, too large, or unreadable."""


class FileChanged(RefusedFile):
    """The file changed between the kit's reading and its writing; it was not overwritten."""


@dataclass(frozen=True)
class FileState:
    """What a file was when it was read: enough to notice, just before replacing it, that it changed."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    digest: bytes

    @classmethod
    def of(cls, info: os.stat_result, data: bytes) -> FileState:
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, hashlib.sha256(data).digest())


def read_file(path: Path, where: str, limit: int = MAX_BYTES) -> tuple[bytes, FileState]:
    """The bytes of a regular file and its state, read through one descriptor; never through a symlink.

    Raises `UnreadableFile` for a symlink, anything but a regular file, a file over `limit` bytes
    (said in the message) or an OS error (its reason in the message)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        if err.errno == errno.ELOOP or path.is_symlink():
            raise UnreadableFile(f"{where}: is a symlink; the kit reads and edits only regular files") from err
        raise UnreadableFile(f"{where}: cannot read it ({err.strerror or err})") from err
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"{where}: not a regular file")
        if info.st_size > limit:
            raise UnreadableFile(f"{where}: is {megabytes(info.st_size)}; the kit reads files up to {megabytes(limit)}")
        try:
            data = handle.read(limit + 1)
        except OSError as err:
            raise UnreadableFile(f"{where}: cannot read it ({err.strerror or err})") from err
    if len(data) > limit:
        raise UnreadableFile(f"{where}: grew past {megabytes(limit)} while being read")
    return data, FileState.of(info, data)


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


_WIDE_BOMS = {
    "utf-32-le": codecs.BOM_UTF32_LE,
    "utf-32-be": codecs.BOM_UTF32_BE,
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-16-be": codecs.BOM_UTF16_BE,
}


def wide_encoding(raw: bytes) -> tuple[str, str] | None:
    """(codec, label) when the bytes look like UTF-16 or UTF-32, else None.

    Judged by the NUL bytes that ASCII text (a workflow's keys, at least) has in those encodings, so
    such a file is named even without a BOM, and even though its bytes may be valid UTF-8."""
    for codec, bom in _WIDE_BOMS.items():  # UTF-32 LE first: its BOM starts with UTF-16 LE's
        if raw.startswith(bom) and _nul_pattern(raw[len(bom) :]) == codec:
            return codec, f"{_label(codec)} with a BOM"
    codec = _nul_pattern(raw)
    return (codec, f"{_label(codec)}, no BOM") if codec else None


def _label(codec: str) -> str:
    return f"{codec[:6].upper()} {codec[-2:].upper()}"


def _nul_pattern(raw: bytes) -> str | None:
    """The wide codec whose ASCII pattern (one non-NUL byte per code unit, at the same place) most of
    the first 4 KB follows."""
    head = raw[:4096]
    if len(head) < 4 or b"\x00" not in head:
        return None
    for width, offsets in ((4, {"utf-32-le": 0, "utf-32-be": 3}), (2, {"utf-16-le": 0, "utf-16-be": 1})):
        units = [head[i : i + width] for i in range(0, len(head) // width * width, width)]
        for codec, offset in offsets.items():
            if sum(unit[offset] != 0 and unit.count(0) == width - 1 for unit in units) >= len(units) * 3 // 4:
                return codec
    return None


def searchable_text(raw: bytes) -> str:
    """The file's text for a quick "does it mention X" test, whatever its encoding (lossy)."""
    wide = wide_encoding(raw)
    return raw.decode(wide[0] if wide else "utf-8", errors="replace")


@dataclass(frozen=True)
class TextFile:
    """A file's text in edit form plus what is needed to give it back its own format."""

    text: str
    bom: bool
    crlf: bool
    state: FileState | None = None  # the file as read (None for text that came from no file)

    @classmethod
    def parse(cls, raw: bytes, where: str = "<text>", state: FileState | None = None) -> TextFile:
        wide = wide_encoding(raw)
        if wide:
            raise TextFormatError(
                f"{where}: not UTF-8 (looks like {wide[1]}); GitHub reads workflows as UTF-8: "
                f"convert it, e.g. `iconv -f {wide[0].upper().replace('-LE', 'LE').replace('-BE', 'BE')} -t UTF-8`"
            )
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise TextFormatError(f"{where}: not UTF-8 text ({err.reason} at byte {err.start})") from err
        if "\x00" in decoded:
            raise TextFormatError(f"{where}: contains NUL bytes, which text never has; not edited")
        bom = decoded.startswith(BOM)
        if bom:
            decoded = decoded[1:]
        crlf_count = decoded.count("\r\n")
        lf_count = decoded.count("\n")
        if crlf_count and crlf_count != lf_count:
            raise TextFormatError(f"{where}: mixes CRLF and LF line endings; normalise them first")
        if "\r" in decoded.replace("\r\n", ""):
            raise TextFormatError(f"{where}: contains a bare carriage return")
        return cls(decoded.replace("\r\n", "\n"), bom, bool(crlf_count), state)

    @classmethod
    def read(cls, path: Path, where: str | None = None) -> TextFile:
        """The file read with `read_file` (no symlinks, size-limited), its state kept for the write."""
        where = where or str(path)
        raw, state = read_file(path, where)
        return cls.parse(raw, where, state)

    def with_text(self, text: str) -> TextFile:
        return TextFile(text, self.bom, self.crlf, self.state)

    def encode(self) -> bytes:
        text = self.text.replace("\n", "\r\n") if self.crlf else self.text
        return ((BOM if self.bom else "") + text).encode("utf-8")


def write_atomic(path: Path, data: bytes, expect: FileState | None = None, where: str | None = None) -> None:
    """Replace `path` with `data` so that readers see either the old or the new file, never a mix.

    The new file keeps the old one's mode (and owner, where the OS allows). With `expect`, the file
    must still be what was read (same inode, size, mtime and bytes) just before the rename, else
    `FileChanged` (naming it as `where`) is raised and it is left alone. OS errors (a read-only folder, a full disk) are
    raised as they are, after the temporary file is removed."""
    old = path.stat() if path.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".codex-kit.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if old is None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        else:
            _take_owner(tmp, old)
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
        if expect is not None:
            _check_unchanged(path, expect, where or str(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _take_owner(tmp: str, old: os.stat_result) -> None:
    """Give the new file the old one's owner and group when the OS lets this user (root may)."""
    info = os.stat(tmp)
    if (info.st_uid, info.st_gid) != (old.st_uid, old.st_gid):
        # an ordinary user cannot give a file away: it stays theirs, as any editor leaves it
        with contextlib.suppress(PermissionError):
            os.chown(tmp, old.st_uid, old.st_gid)


def _check_unchanged(path: Path, expect: FileState, where: str) -> None:
    """Raise `FileChanged` unless `path` is still the file that was read."""
    try:
        _, now = read_file(path, where)
    except RefusedFile as err:
        now_is = str(err).removeprefix(f"{where}: ")
        raise FileChanged(f"{where}: changed since the kit read it ({now_is}); not overwritten") from err
    if now != expect:
        raise FileChanged(f"{where}: changed since the kit read it; not overwritten (run the kit again)")
