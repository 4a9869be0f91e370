"""Writing a run's outputs: checked before the scan, published together, never half-written.

- ``prepare_output_dir`` runs before any AWS call: a directory that cannot be written is an
  input error (exit 2) now, not a traceback after a long scan whose results are then lost.
- ``publish`` writes a run's files (report.json, report.html, ...) into a staging directory
  beside them and moves them into place together. An interrupt (SIGINT/SIGTERM) that arrives
  meanwhile is deferred until the set is complete: a reader never sees a new report.json
  beside an old report.html, and no temporary file is left behind.
- ``PUBLICATIONS`` remembers what was published, so the interrupt message can say exactly
  what was and was not written.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from .errors import PreflightError, PreflightSignal

if TYPE_CHECKING:
    from .s3dest import S3Location


class OutputDirectoryError(PreflightError):
    """The output directory cannot be created or written (exit code 2)."""


class _Publications:
    """What this process has published, and interrupts held back while it publishes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._deferred: list[Callable[[], None]] = []
        self.published: list[Path] = []

    @property
    def publishing(self) -> bool:
        return self._depth > 0

    @property
    def interrupted(self) -> bool:
        """An interrupt is waiting for the publication to end."""
        return bool(self._deferred)

    def defer(self, action: Callable[[], None]) -> None:
        """Run ``action`` (an interrupt) when the publication in progress is complete."""
        with self._lock:
            self._deferred.append(action)

    @contextmanager
    def critical(self) -> Iterator[None]:
        with self._lock:
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                pending = self._deferred if self._depth == 0 else []
                if self._depth == 0:
                    self._deferred = []
            for action in pending[:1]:  # one interrupt is enough; it raises
                action()


PUBLICATIONS = _Publications()


def prepare_output_dir(out_dir: Path, option: str = "--out") -> Path:
    """Prove, before the scan, that reports can be written to ``out_dir``.

    The proof is real (create the missing directories, then a file) and leaves nothing
    behind: what it created is removed again, so a run that then stops on bad input does
    not leave an empty report directory.
    """
    created: list[Path] = []
    try:
        for directory in reversed([out_dir, *out_dir.parents]):
            if not directory.exists():
                directory.mkdir()
                created.append(directory)
        fd, probe = tempfile.mkstemp(prefix=".preflight-probe.", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputDirectoryError(
            f"{option} {_shown(out_dir)}: cannot write reports there ({reason}). "
            f"Fix: give {option} a directory you can write to; nothing was scanned") from None
    finally:
        for directory in reversed(created):
            with contextlib.suppress(OSError):
                directory.rmdir()
    return out_dir


class Sink(Protocol):
    """Where a streaming renderer writes: anything with ``write(text)``."""

    def write(self, text: str, /) -> int: ...


# A file's content: its text, or a function that writes it (a streaming renderer).
Content = str | Callable[[Sink], None]


class _Abandoned(PreflightSignal):
    """An interrupt came while the files were being written: publish none of them."""


def publish(out_dir: Path, files: Mapping[str, Content]) -> list[Path]:
    """Write every file of ``files`` (name -> content) into ``out_dir``: all of them, or none.

    Interrupts are held for the whole publication. One that comes while the files are being
    written abandons them (the previous set stays); one that comes while they are moved into
    place waits until the set is complete. Either way it is raised on the way out.
    """
    targets = [out_dir / name for name in files]
    with PUBLICATIONS.critical():
        out_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".preflight-staging.", dir=out_dir))
        try:
            for name, content in files.items():
                _write_synced(staging / name, content)
            if PUBLICATIONS.interrupted:
                raise _Abandoned
            for name, target in zip(files, targets, strict=True):
                os.replace(staging / name, target)
            PUBLICATIONS.published.extend(targets)
        except _Abandoned:
            pass  # the held interrupt is raised when the critical section ends
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return targets


def render_text(content: Content) -> str:
    """A content as one string (for destinations that take whole bodies, such as S3)."""
    if isinstance(content, str):
        return content
    buffer = io.StringIO()
    content(buffer)
    return buffer.getvalue()


class _Interruptible:
    """A file a streaming renderer writes to; it stops at once if an interrupt is held."""

    def __init__(self, handle: TextIO) -> None:
        self._handle = handle

    def write(self, text: str, /) -> int:
        if PUBLICATIONS.interrupted:
            raise _Abandoned
        return self._handle.write(text)


def parse_destination(text: str) -> Path | S3Location:
    """``--out``'s value: ``s3://bucket/prefix`` or a directory."""
    from .s3dest import is_s3, parse_s3

    return parse_s3(text) if is_s3(text) else Path(text)


def prepare_destination(destination: Path | S3Location) -> None:
    """Before any scan call: the directory is writable, or the bucket usable."""
    if isinstance(destination, Path):
        prepare_output_dir(destination)
    else:
        from .s3dest import check_destination

        check_destination(destination)


def publish_to(destination: Path | S3Location, files: Mapping[str, Content]) -> list[str]:
    """``publish`` to a directory, or upload under an S3 prefix; where each file went."""
    if isinstance(destination, Path):
        return [str(path) for path in publish(destination, files)]
    from . import s3dest

    return s3dest.publish(destination, {name: render_text(c) for name, c in files.items()})


def _write_synced(path: Path, content: Content) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        if isinstance(content, str):
            handle.write(content)
        else:
            content(_Interruptible(handle))
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, 0o666 & ~_umask())  # a report is an ordinary file, readable as the umask says


def _shown(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 120 else text[:117] + "..."


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
