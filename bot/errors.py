"""Every exception the bot raises on purpose, under one root, so a caller can catch "the bot's own
errors" without catching programming mistakes. Each module raises the class that names its problem;
the classes live here so the whole list can be read in one place."""

from __future__ import annotations


class GovernanceBotError(Exception):
    """The root: a failure the bot anticipated and can describe in one line."""


class IndexMissing(GovernanceBotError):
    """No built index at the given folder."""


class IndexInconsistent(IndexMissing):
    """An index folder whose parts disagree (vectors, passages, manifest): unusable, as if missing."""


class LoadError(GovernanceBotError):
    """A knowledge file that cannot be read or parsed."""


class PdfProblem(LoadError, ValueError):
    """A PDF that opens but cannot be used (encrypted, or no text layer)."""


class ExportMismatch(GovernanceBotError, RuntimeError):
    """The exported ONNX model does not reproduce sentence-transformers' embeddings."""


class ReplyFailed(GovernanceBotError):
    """The channel refused or never took a reply; `status` is the channel's HTTP status, if it answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class DatabaseError(GovernanceBotError):
    """The database cannot be used: a bad URL, a missing driver, or no answer. One line, no secrets."""


class SchemaTooNew(DatabaseError):
    """The database was migrated by a newer version of the bot."""


class GlossaryError(GovernanceBotError, ValueError):
    """A synonyms or curated-answers file a person has to fix; says where."""


class NotReady(GovernanceBotError, RuntimeError):
    """The service was asked to answer before its index and model were loaded."""
