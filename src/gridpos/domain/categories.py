"""Customer categories (用电类别) as the tariff and the penalty rules see them."""

from __future__ import annotations

from enum import StrEnum


class CustomerCategory(StrEnum):
    """What kind of customer a bill belongs to."""

    RESIDENTIAL = "residential"  # 居民
    SHARED_METER = "shared_meter"  # 居民合表
    SUBSIDISED = "subsidised"  # 低保/五保户 (residential, 10 kWh free a month)
    NON_RESIDENTIAL = "non_residential"  # 非居民

    @property
    def is_residential(self) -> bool:
        """低保/五保 and 合表 customers are residential for the penalty rules."""
        return self is not CustomerCategory.NON_RESIDENTIAL

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]

    @property
    def label_en(self) -> str:
        return _LABELS_EN[self]


_LABELS_ZH = {
    CustomerCategory.RESIDENTIAL: "居民",
    CustomerCategory.SHARED_METER: "居民合表",
    CustomerCategory.SUBSIDISED: "低保五保",
    CustomerCategory.NON_RESIDENTIAL: "非居民",
}
_LABELS_EN = {
    CustomerCategory.RESIDENTIAL: "Residential",
    CustomerCategory.SHARED_METER: "Residential, shared meter",
    CustomerCategory.SUBSIDISED: "Subsidised household",
    CustomerCategory.NON_RESIDENTIAL: "Non-residential",
}
