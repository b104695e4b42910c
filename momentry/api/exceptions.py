"""One place that turns every failure into the contract's error body and its HTTP status.

Services raise plain Django exceptions (`ValidationError`, `Http404`, `PermissionDenied`) or the
domain errors of `momentry.core.errors`, which carry no status: it is chosen here. Views never
build error bodies themselves.
"""
import logging
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response

from momentry.core.errors import ApplicationError, Conflict, TooLarge, UnsupportedMediaType

logger = logging.getLogger(__name__)


def error_body(code, message):
    return {"success": False, "error": {"code": code, "message": message}}


def error_response(status_code, code, message):
    return Response(error_body(code, message), status=status_code)


def _first_message(detail):
    """Flatten DRF's nested error detail into one sentence naming the field."""
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            if field in ("non_field_errors", "__all__"):
                return message
            return f"{field}: {message}"
        return "Invalid input."
    if isinstance(detail, (list, tuple)):
        return _first_message(detail[0]) if detail else "Invalid input."
    return str(detail)


def _django_validation_message(exc):
    if hasattr(exc, "error_dict"):
        return _first_message({k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()})
    return "; ".join(exc.messages)


_DRF_CODES = {
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.AuthenticationFailed: "authentication_failed",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.ParseError: "parse_error",
    drf_exceptions.ValidationError: "validation_error",
    drf_exceptions.Throttled: "throttled",
}


# Most specific first: the first class the error is an instance of gives its status.
_APPLICATION_STATUSES = {
    Conflict: status.HTTP_409_CONFLICT,
    TooLarge: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    UnsupportedMediaType: status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    ApplicationError: status.HTTP_400_BAD_REQUEST,
}


@dataclass(frozen=True)
class ApiError:
    """What the contract answers for a failure: the HTTP status, the error body's code and message,
    and the headers that go with it (WWW-Authenticate, Retry-After)."""

    status: int
    code: str
    message: str
    headers: dict = field(default_factory=dict)


def api_error(exc):
    """The `ApiError` of a failure, or None for one the API does not expect (a 500). The one
    mapping from exceptions to statuses and codes: the handler answers a request with it, and an
    endpoint that answers per item (mergefrom) answers each failed item with it."""
    # Django's upload limits (DATA_UPLOAD_MAX_*) raise these while DRF parses the body.
    if isinstance(exc, RequestDataTooBig):
        return ApiError(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "request_too_large", "The request body is too large.")
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return ApiError(status.HTTP_400_BAD_REQUEST, "bad_request", str(exc))
    if isinstance(exc, ApplicationError):
        status_code = next(code for cls, code in _APPLICATION_STATUSES.items() if isinstance(exc, cls))
        return ApiError(status_code, exc.code, exc.message)
    if isinstance(exc, DjangoValidationError):
        return ApiError(status.HTTP_400_BAD_REQUEST, "validation_error", _django_validation_message(exc))
    if isinstance(exc, Http404):
        return ApiError(status.HTTP_404_NOT_FOUND, "not_found", str(exc) or "Not found.")
    if isinstance(exc, PermissionDenied):
        return ApiError(status.HTTP_403_FORBIDDEN, "permission_denied", str(exc) or "Permission denied.")
    if isinstance(exc, drf_exceptions.APIException):
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        return ApiError(exc.status_code, code, _first_message(exc.detail), headers)
    return None


def exception_handler(exc, context):
    error = api_error(exc)
    if error is None:
        logger.exception("Unhandled error in %s", context.get("view"))
        return error_response(status.HTTP_500_INTERNAL_SERVER_ERROR, "server_error", "Internal server error.")
    response = error_response(error.status, error.code, error.message)
    for name, value in error.headers.items():
        response[name] = value
    return response


def json_error(status_code, code, message):
    """The contract's error body outside DRF (URL resolver 404s, Django's 500 handler)."""
    return JsonResponse(error_body(code, message), status=status_code)
