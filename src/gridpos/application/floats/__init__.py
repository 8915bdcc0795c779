"""Use cases of the agents' floats, for the console and the terminal API.

- top-ups under maker-checker: :func:`request_topup`, :func:`approve_topup`, :func:`reject_topup`
  (and :func:`record_topup_request` / :func:`record_topup_decision` inside a caller's unit of
  work);
- holds for offline collection: :func:`place_hold`, :func:`release_hold`, and
  :func:`record_hold` / :func:`record_hold_release` inside a caller's unit of work;
- the agent's float statement: :func:`float_statement`.

Every operator-facing use case checks the operator's role and that the agent lies in the
operator's part of the organisation tree, and every change writes an audit entry. Refusals are
:class:`FloatError` (codes in its docstring); a float that cannot cover a hold is the ledger's
``float_insufficient``.
"""

from gridpos.application.floats._access import MAX_AMOUNT_FEN, FloatError
from gridpos.application.floats.holds import (
    HOLD_ROLES,
    HoldRecord,
    place_hold,
    record_hold,
    record_hold_release,
    release_hold,
)
from gridpos.application.floats.statement import FloatStatement, StatementDay, float_statement
from gridpos.application.floats.topups import (
    CHECKER_ROLES,
    MAKER_ROLES,
    TopupRecord,
    approve_topup,
    record_topup_decision,
    record_topup_request,
    reject_topup,
    request_topup,
)

__all__ = [
    "CHECKER_ROLES",
    "HOLD_ROLES",
    "MAKER_ROLES",
    "MAX_AMOUNT_FEN",
    "FloatError",
    "FloatStatement",
    "HoldRecord",
    "StatementDay",
    "TopupRecord",
    "approve_topup",
    "float_statement",
    "place_hold",
    "record_hold",
    "record_hold_release",
    "record_topup_decision",
    "record_topup_request",
    "reject_topup",
    "release_hold",
    "request_topup",
]
