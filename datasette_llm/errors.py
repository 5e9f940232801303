"""One exception family: every error carries a message a user can act on and an HTTP status."""

from __future__ import annotations


class DatasetteLLMError(Exception):
    """Base class. `message` is shown to users as is; `status` is the HTTP status for web surfaces."""

    status = 500
    code = "error"

    def __init__(self, message: str, *, status: int | None = None, **details):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.details = details

    def to_json(self) -> dict:
        data = {"ok": False, "error": self.message, "code": self.code, "status": self.status}
        data.update({k: v for k, v in self.details.items() if v is not None})
        return data


class Busy(DatasetteLLMError):
    """Too much is waiting right now: 503, with Retry-After (seconds) in the header and the body."""

    status = 503
    code = "busy"

    def __init__(self, message: str, *, retry_after: int = 5, **details):
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


class BadRequest(DatasetteLLMError):
    status = 400
    code = "bad_request"


class Forbidden(DatasetteLLMError):
    status = 403
    code = "forbidden"


class NotFound(DatasetteLLMError):
    status = 404
    code = "not_found"


class MethodNotAllowed(DatasetteLLMError):
    """`allow` names the methods the route accepts: web surfaces send them in the Allow header (RFC 9110 15.5.6)."""

    status = 405
    code = "method_not_allowed"

    def __init__(self, message: str, *, allow: tuple[str, ...] = (), **details):
        super().__init__(message, **details)
        self.allow = tuple(allow)


class PayloadTooLarge(DatasetteLLMError):
    status = 413
    code = "payload_too_large"


class StoreFull(DatasetteLLMError):
    """A store holds as many entries as it may; someone must remove some first (RFC 4918 507)."""

    status = 507
    code = "store_full"


class UnsupportedMediaType(DatasetteLLMError):
    status = 415
    code = "unsupported_media_type"


class ConfigError(DatasetteLLMError):
    """The plugin settings are wrong (unknown model name, missing key...)."""

    status = 500
    code = "config_error"


class ModelError(DatasetteLLMError):
    """A model backend failed (server error, bad response)."""

    status = 502
    code = "model_error"


class ModelNotReady(ModelError):
    """Weights missing or failing verification; the message names the set-up command that fixes it."""

    status = 503
    code = "model_not_ready"


class ModelUnavailable(ModelError):
    """The model server cannot be reached."""

    status = 502
    code = "model_unavailable"


class ModelTimeout(ModelError):
    status = 504
    code = "model_timeout"


class ModelBusy(Busy, ModelError):
    """The model queue is full; retry later."""

    code = "model_busy"


class ContextOverflow(ModelError):
    """The prompt does not fit the model's context window. `learned`: the model counts otherwise since (a server
    said how long the prompt was or how large its window is), so the prompt built again may fit."""

    status = 400
    code = "context_overflow"
    learned = False


class SQLRejected(DatasetteLLMError):
    """The SQL guard refused a statement. Carries the reason, the offending identifier, suggestions."""

    status = 400
    code = "sql_rejected"
