"""What can go wrong when the server talks to the MIS, as named refusals.

- :class:`MisUnreachableError` — no usable answer: the connection failed, the call timed out, or
  the MIS answered 5xx (``mis_down``, ``mis_unavailable``). Always worth trying again later.
- :class:`MisRefusedError` — the MIS answered and refused (4xx, an ``ErrorResponse``); its own code
  is kept in ``mis_code``. ``permanent`` says whether the same request can ever succeed.
- :class:`MisMalformedError` — the MIS answered something that is not the message the interface
  promises (not JSON, wrong fields, wrong types).
"""

from __future__ import annotations

from typing import Any

from gridpos.domain.errors import DomainError

# 401/403: a key or configuration problem, fixed by an operator; 408/429: try again later.
_TRANSIENT_STATUSES = frozenset({401, 403, 408, 425, 429})


class MisError(DomainError):
    """Any failure of a call to the MIS; ``operation`` names the call (``post_payment``...)."""

    code = "mis_error"

    def __init__(
        self,
        *,
        operation: str,
        message_zh: str,
        message_en: str,
        code: str | None = None,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            code=code,
            field=field,
            message_zh=message_zh,
            message_en=message_en,
            details={"operation": operation, **(details or {})},
        )
        self.operation = operation

    @property
    def transient(self) -> bool:
        """Whether trying the same call again later may succeed."""
        return True


class MisUnreachableError(MisError):
    """No usable answer: connection failed (``mis_unreachable``), the call timed out
    (``mis_timeout``), or the MIS answered 5xx (``mis_unavailable``)."""

    code = "mis_unreachable"


class MisRefusedError(MisError):
    """The MIS refused the request (``mis_refused``); ``mis_code`` is the MIS's own code."""

    code = "mis_refused"

    def __init__(
        self,
        *,
        operation: str,
        status: int,
        mis_code: str,
        mis_field: str | None,
        mis_message_zh: str,
        mis_message_en: str,
        mis_details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            operation=operation,
            field=mis_field,
            message_zh=f"营销系统拒绝了请求：{mis_message_zh}",
            message_en=f"the MIS refused the request: {mis_message_en}",
            details={"status": status, "mis_code": mis_code, "mis_details": mis_details or {}},
        )
        self.status = status
        self.mis_code = mis_code
        self.mis_details = mis_details or {}

    @property
    def transient(self) -> bool:
        return self.status in _TRANSIENT_STATUSES

    @property
    def permanent(self) -> bool:
        """The same request will be refused again: it must not be retried as it stands."""
        return not self.transient


class MisMalformedError(MisError):
    """The MIS answered something that is not the promised message (``mis_malformed``)."""

    code = "mis_malformed"

    @property
    def transient(self) -> bool:
        # a proxy's error page or a half-deployed MIS: worth another try, but it counts
        return True
