"""Domain errors. They say what was refused and why, never how to answer it: the API's exception
handler (`momentry.api.exceptions`) and the console map them to a status or a message."""
from django.core.exceptions import ValidationError


class ApplicationError(Exception):
    """A refused operation, with a stable machine-readable `code` and a sentence for people."""

    default_code = "bad_request"

    def __init__(self, message, *, code=None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code


class Conflict(ApplicationError):
    """The request is valid, but the current state forbids it."""

    default_code = "conflict"


class TooLarge(ApplicationError):
    """The input is over a size limit (bytes or pixels)."""

    default_code = "too_large"


class UnsupportedMediaType(ApplicationError):
    """The input is of a kind the operation does not take."""

    default_code = "unsupported_media_type"


def error_message(exc):
    """One sentence for a person or a log line, whatever the refusal was; a validation error of
    named fields names them (`name: A non-empty name is required.`)."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {message}" for field, errors in exc.message_dict.items() for message in errors)
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return getattr(exc, "message", None) or str(exc)
