"""Read a text file into a normal form for editing, and write it back exactly in its own format.

Edits are computed on a `str` with `\\n` line ends and no byte-order mark, because YAML node marks
are character offsets into such a string. Whatever the file had (a BOM, CRLF line ends, no final
newline) is remembered and restored on write, so a file the kit leaves alone is never touched and
a file it edits differs only where it edited. Writes go through a temporary file and a rename so a
crash can never leave half a file behind.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kit.errors import RefusedFile

BOM = "\ufeff"


class TextFormatError(RefusedFile):
    """The file cannot be edited safely as text (not UTF-8, or mixed line endings)."""


@dataclass(frozen=True)
class TextFile:
    """A file's text in edit form plus what is needed to give it back its own format."""

    text: str
    bom: bool
    crlf: bool

    @classmethod
    def parse(cls, raw: bytes, where: str = "<text>") -> TextFile:
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise TextFormatError(f"{where}: not UTF-8 text ({err.reason} at byte {err.start})") from err
        bom = decoded.startswith(BOM)
        if bom:
            decoded = decoded[1:]
        crlf_count = decoded.count("\r\n")
        lf_count = decoded.count("\n")
        if crlf_count and crlf_count != lf_count:
            raise TextFormatError(f"{where}: mixes CRLF and LF line endings; normalise them first")
        if "\r" in decoded.replace("\r\n", ""):
            raise TextFormatError(f"{where}: contains a bare carriage return")
        return cls(decoded.replace("\r\n", "\n"), bom, bool(crlf_count))

    @classmethod
    def read(cls, path: Path) -> TextFile:
        return cls.parse(path.read_bytes(), str(path))

    def with_text(self, text: str) -> TextFile:
        return TextFile(text, self.bom, self.crlf)

    def encode(self) -> bytes:
        text = self.text.replace("\n", "\r\n") if self.crlf else self.text
        return ((BOM if self.bom else "") + text).encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that readers see either the old or the new file, never a mix."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".codex-kit.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
