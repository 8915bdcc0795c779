"""The terminal API: the messages a POS terminal and the payment server exchange.

One module per area — :mod:`.enrolment`, :mod:`.session` (sign-in/out, heartbeat),
:mod:`.accounts` (query, offline arrears), :mod:`.payments` (pay, status, reversal, void,
reprint, offline upload), :mod:`.batches` (close, upload, statistics, reconciliation) — and
:mod:`.routes`, which ties each operation to its method, versioned path and messages.
"""
