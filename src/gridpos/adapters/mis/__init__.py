"""The MIS (营销MIS) as the server reaches it: an HTTP client with a timeout on every call, typed
answers from :mod:`gridpos.protocol.mis`, and named errors for unreachable, refused, malformed."""

from gridpos.adapters.mis.client import DEFAULT_TIMEOUT_S, MisClient
from gridpos.adapters.mis.errors import (
    MisError,
    MisMalformedError,
    MisRefusedError,
    MisUnreachableError,
)

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "MisClient",
    "MisError",
    "MisMalformedError",
    "MisRefusedError",
    "MisUnreachableError",
]
