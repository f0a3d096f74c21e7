"""xlperf's own error types. Every one carries a one-line Chinese message for the user.

Commands catch :class:`XlperfError` and print ``message`` with exit code 2; anything else is a bug.
"""

from __future__ import annotations


class XlperfError(Exception):
    """Base class: something the user can act on, described in one Chinese line."""

    kind = "error"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class UnreadableFileError(XlperfError):
    """The file cannot be opened as a workbook (corrupt, truncated, wrong type, missing)."""

    kind = "unreadable"


class EncryptedFileError(UnreadableFileError):
    """The workbook is password protected."""

    kind = "encrypted"


class UnsupportedFormatError(UnreadableFileError):
    """A format xlperf does not read (WPS .et, unknown extensions)."""

    kind = "unsupported"


class UnsafeFileError(UnreadableFileError):
    """The file looks hostile: zip bomb, XML entity expansion, absurd size."""

    kind = "unsafe"


class NotAFormError(XlperfError):
    """The sheet is not a 部门整体支出绩效目标表: names the labels that were not found."""

    kind = "not-a-form"


class WriteRefusedError(XlperfError):
    """xlperf refuses to write: it would lose parts of the workbook or overwrite an input."""

    kind = "write-refused"
