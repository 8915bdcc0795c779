"""Offline collection (脱机收费): the area's arrears kept on the terminal, limits, upload.

At sign-in the terminal may take an offline allowance (held from the agent's float by the server)
and download its area's arrears page by page (:func:`download_arrears`). With no link it collects
from that copy (:func:`collect_offline`):

- within the day's parameters: per payment (``off_pay``), per business day (``off_day``) and the
  allowance taken at sign-in — a limit of 0 means offline collection is not allowed;
- penalties recomputed to the cash date from each bill's due date with the domain's rules, and
  the cash allocated by the domain (oldest first, penalty first, prepaid and 调尾);
- the receipt printed marked 脱机 with the verification code the server can check
  (:func:`gridpos.protocol.signing.receipt_code`);
- journalled ``pending`` with a monotonic offline sequence and the cash time, and the local copy
  of the customer updated in the same transaction, so a second payment the same day sees the
  first.

When the link returns, :func:`upload_offline` sends them oldest first (at most 20 a request); the
server's answer for each is journalled.

Cash time: the terminal's clock corrected by the offset the server's answers taught it (the
sign-in at the latest) — the best the terminal knows of the real time; the sequence orders the
payments whatever the clock did.
"""

from gridpos.terminal.offline.arrears import OfflineStore, download_arrears
from gridpos.terminal.offline.collect import collect_offline, upload_offline
from gridpos.terminal.offline.limits import OfflineLimits, check_offline_limits, offline_limits
from gridpos.terminal.offline.view import offline_view

__all__ = [
    "OfflineLimits",
    "OfflineStore",
    "check_offline_limits",
    "collect_offline",
    "download_arrears",
    "offline_limits",
    "offline_view",
    "upload_offline",
]
