"""The refusals of reconciliation, each with a stable code, the field concerned and a message in
Chinese and English. Nothing is changed by a refused request."""

from __future__ import annotations

from typing import Any

from gridpos.domain.errors import DomainError


class ReconciliationError(DomainError):
    """An anticipated refusal of a reconciliation use case."""

    code = "reconciliation_error"


def refusal(
    code: str, *, field: str | None, zh: str, en: str, **details: Any
) -> ReconciliationError:
    """A :class:`ReconciliationError` with ``details``."""
    return ReconciliationError(
        code=code, field=field, message_zh=zh, message_en=en, details=details or None
    )


def item_changed(item_id: int) -> ReconciliationError:
    """Another operator acted on the difference since it was shown: nothing was done."""
    return refusal(
        "difference_changed",
        field="version",
        zh="该差异已被其他操作员处理或已变化，请刷新后再操作",
        en="another operator has acted on this difference since you saw it: reload it",
        item_id=item_id,
    )


def not_found(what: str, key: object, *, field: str) -> ReconciliationError:
    """Something asked for by id does not exist."""
    names = {"run": "对账批次", "item": "差异", "resolution": "处理申请", "agent": "代理商"}
    return refusal(
        f"{what}_unknown",
        field=field,
        zh=f"{names.get(what, what)} {key} 不存在",
        en=f"there is no {what} {key}",
    )
