"""The one error a loader raises for bad input: it names the file and where in it."""

from __future__ import annotations

from pathlib import Path


class ListFormatError(ValueError):
    def __init__(self, path: Path | str, where: str, message: str) -> None:
        self.path = str(path)
        self.where = where
        self.message = message
        super().__init__(f"{self.path}:{where}: {message}")
