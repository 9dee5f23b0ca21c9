"""The overlay directory of a region, and the only way stages read files.

Every path a stage reads goes through `OverlayDir.resolve`, which refuses
URLs and anything outside the project root or the overlay directory, with
symlinks resolved first. No stage opens a file on its own.
"""
from __future__ import annotations

import os
from pathlib import Path

from postrender.errors import ConfigError


class OverlayDir:
    def __init__(self, path: Path, root: Path):
        self.path = Path(os.path.abspath(path))
        self.root = Path(os.path.abspath(root))
        self._real_path = self.path.resolve()
        self._real_root = self.root.resolve()

    def display(self, path: Path) -> str:
        """A path as the operator wrote it: relative to the root when it is inside."""
        try:
            return str(Path(os.path.abspath(path)).relative_to(self.root))
        except ValueError:
            return str(path)

    def resolve(self, reference: str | os.PathLike, *, base: Path | None = None,
                referrer: str | None = None) -> Path:
        """An absolute path for a reference found in a file under `base` (default: the overlay).

        Refused: URLs, and paths that leave both the overlay and the project root.
        """
        where = {"file": referrer or self.display(self.path)}
        text = os.fspath(reference)
        if "://" in text or text.startswith(("git@", "github.com/")):
            raise ConfigError(f"remote resource {text!r} refused: only local files are read",
                              **where)
        candidate = Path(base or self.path) / text
        real = candidate.resolve()
        if not (_inside(real, self._real_path) or _inside(real, self._real_root)):
            raise ConfigError(f"{text!r} resolves to {real}, outside the overlay "
                              f"{self._real_path} and the project root {self._real_root}",
                              **where)
        return Path(os.path.abspath(candidate))

    def file(self, name: str) -> Path | None:
        """A file of the overlay directory itself, or None when it is absent."""
        path = self.resolve(name)
        return path if path.is_file() else None

    def read_text(self, reference: str | os.PathLike, *, base: Path | None = None,
                  referrer: str | None = None) -> str:
        path = self.resolve(reference, base=base, referrer=referrer)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(f"{os.fspath(reference)!r} does not exist",
                              file=referrer or self.display(path)) from None
        except IsADirectoryError:
            raise ConfigError(f"{os.fspath(reference)!r} is a directory, not a file",
                              file=referrer or self.display(path)) from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = data.count(b"\n", 0, err.start) + 1
            raise ConfigError(f"not UTF-8: byte 0x{data[err.start]:02x}",
                              file=self.display(path), line=line) from None


def _inside(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents
