"""Appending to the hash-chained audit log, sealing what was appended unchained, and proving the
chain unbroken.

Each sealed entry's hash is ``sha256(prev_hash + canonical JSON of the entry)``, where the entry is
its chain position (under the key ``id``), ``occurred_at`` in UTC ISO form, ``actor``, ``action``,
``subject`` and ``details``. Canonical JSON (sorted keys, no spaces, UTF-8) and UTC timestamps with
microseconds make the hash the same whichever database holds the row, so a chain can be verified
after a move from SQLite to PostgreSQL, or by a program that never saw the database.

**Why entries may be unsealed.** Chaining an entry needs the hash of the one before, so chaining
serialises its writers: one lock, held until commit. A payment that chained its own audit entry
would therefore wait for every other payment's commit, and payments would be counted one at a
time. So a payment writes its entry *unsealed* (:meth:`AuditLog.append_unsealed`: the three chain
columns empty, no lock, no read of the head) in its own transaction, and the *sealer*
(:func:`seal_audit_log`, run by the worker each round, by ``gridpos audit verify`` before it
checks, and at the end of the benchmark) chains the unsealed entries in id order under the lock,
a batch per transaction. Everything else (sign-ins, top-ups, console actions — rare) is chained at
once by :meth:`AuditLog.append`, under the same lock. The chain order is the order of sealing,
kept in ``chain_position``.

What this keeps: an unsealed entry is already append-only — the triggers refuse its deletion and
every change but the one sealing UPDATE, which fills the empty chain columns once and leaves the
content as it was; a sealed entry can never change again. Verification checks every sealed entry
and names each entry still unsealed after :data:`UNSEALED_GRACE` (a sealer that stopped, or a row
written around the sealer) as a break. On SQLite writers are serialised by ``BEGIN IMMEDIATE``
anyway, so every entry is sealed as it is written there.
"""

from gridpos.adapters.db.audit_log.checks import (
    CHECK_DESCRIPTION,
    CHECK_NAME,
    PROTECTION_CHECK_DESCRIPTION,
    PROTECTION_CHECK_NAME,
    UNSEALED_GRACE,
)
from gridpos.adapters.db.audit_log.hashing import (
    GENESIS_HASH,
    canonical_json,
    entry_hash,
    utc_iso,
)
from gridpos.adapters.db.audit_log.log import SEAL_BATCH, AuditEntry, AuditLog, seal_audit_log

__all__ = [
    "CHECK_DESCRIPTION",
    "CHECK_NAME",
    "GENESIS_HASH",
    "PROTECTION_CHECK_DESCRIPTION",
    "PROTECTION_CHECK_NAME",
    "SEAL_BATCH",
    "UNSEALED_GRACE",
    "AuditEntry",
    "AuditLog",
    "canonical_json",
    "entry_hash",
    "seal_audit_log",
    "utc_iso",
]
