"""The web console's stores: sessions, the one-time form tokens, and the admin queries of the
organisation tree and the operators. Each works through one connection (a unit of work's)."""

from gridpos.adapters.db.console.operator_admin import (
    OperatorAdmin,
    OperatorFilter,
    OperatorRow,
    OperatorSort,
)
from gridpos.adapters.db.console.org_admin import OrganisationAdmin, OrganisationRow
from gridpos.adapters.db.console.sessions import (
    ConsoleSessionStore,
    SessionRecord,
    SignInCandidate,
)
from gridpos.adapters.db.console.submissions import FormSubmissions, PreviousSubmission

__all__ = [
    "ConsoleSessionStore",
    "FormSubmissions",
    "OperatorAdmin",
    "OperatorFilter",
    "OperatorRow",
    "OperatorSort",
    "OrganisationAdmin",
    "OrganisationRow",
    "PreviousSubmission",
    "SessionRecord",
    "SignInCandidate",
]
