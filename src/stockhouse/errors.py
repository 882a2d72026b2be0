"""Domain errors raised by core services.

Every adapter (native /v1, web UI, CLI, each compatible API) maps these to its own wire
format; services never know which adapter called them. `code` is a stable,
machine-readable identifier that the native API returns as `error.code`.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    code = "error"
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class AuthenticationFailed(DomainError):
    """The caller could not be identified (bad password, unknown or expired token)."""

    code = "authentication_failed"
    http_status = 401


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""

    code = "permission_denied"
    http_status = 403


class InvalidParameter(DomainError):
    """One named input is wrong; `name` says which."""

    code = "invalid_parameter"
    http_status = 400

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


class Conflict(DomainError):
    """The request clashes with existing state (duplicate name, wrong status...)."""

    code = "conflict"
    http_status = 409


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    http_status = 402


class RateLimited(DomainError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
