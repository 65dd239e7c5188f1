"""One error shape for every error: ``{"error": {"code", "message", "details"}}``.

The body also carries ``code`` and ``message`` at its top level: Segment's and
RudderStack's libraries read an error from there (RudderStack's crashes without them).
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error a client caused or must know about, with a stable ``code``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON document sent to the client."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details},
                "code": self.code, "message": self.message}


def bad_request(code: str, message: str, details: list[Any] | None = None) -> ApiError:
    """400: the request cannot be read."""
    return ApiError(400, code, message, details)


def unprocessable(code: str, message: str, details: list[Any] | None = None) -> ApiError:
    """422: the request was read but its content is not valid."""
    return ApiError(422, code, message, details)


def not_found(what: str) -> ApiError:
    """404 with the thing that was not found named."""
    return ApiError(404, "not_found", f"{what} was not found.")


def unauthorized(message: str) -> ApiError:
    """401: credentials missing or unknown."""
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Basic"})


def forbidden(code: str, message: str) -> ApiError:
    """403: credentials known but not allowed to do this."""
    return ApiError(403, code, message)
