"""The terminal API: the messages a POS terminal and the payment server exchange.

One module per area — :mod:`.enrolment`, :mod:`.session` (sign-in/out, heartbeat),
:mod:`.accounts` (query, offline arrears), :mod:`.payments` (pay, status, reversal, void,
reprint, offline upload), :mod:`.batches` (close, upload, statistics, reconciliation),
:mod:`.journal_upload` (the journal the company asks for, 终端流水调阅) — and
:mod:`.routes`, which ties each operation to its method, versioned path and messages.
"""
