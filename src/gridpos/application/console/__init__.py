"""The use cases of the web console: sign-in and sessions, the :class:`Actor` and its access
checks, the organisation tree and the operators.

Each use case checks the actor's role and organisation subtree itself, opens one unit of work,
and commits once; forms carry a one-time token so that one sent twice acts once.
"""

from gridpos.application.console.access import (
    GRANTABLE_ROLES,
    ROLE_PERMISSIONS,
    Actor,
    Permission,
    Role,
    require,
    require_scope,
)
from gridpos.application.console.context import ConsolePolicy, ConsoleServices
from gridpos.application.console.errors import (
    AccessDeniedError,
    ConsoleError,
    Done,
    InvalidFormError,
    NotFoundError,
)
from gridpos.application.console.paging import Paged
from gridpos.application.console.sessions import (
    CurrentSession,
    SignInError,
    current_session,
    sign_in,
    sign_out,
)

__all__ = [
    "GRANTABLE_ROLES",
    "ROLE_PERMISSIONS",
    "AccessDeniedError",
    "Actor",
    "ConsoleError",
    "ConsolePolicy",
    "ConsoleServices",
    "CurrentSession",
    "Done",
    "InvalidFormError",
    "NotFoundError",
    "Paged",
    "Permission",
    "Role",
    "SignInError",
    "current_session",
    "require",
    "require_scope",
    "sign_in",
    "sign_out",
]
