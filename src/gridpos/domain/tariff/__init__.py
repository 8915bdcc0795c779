"""The electricity tariff: dated prices per customer category, and billing a month of kWh.

``TariffSchedule.from_config`` validates the dated configuration (see ``tariff.schedule`` for its
shape); ``TariffSchedule.bill`` prices a month; ``default_tariff_schedule`` is the Anhui default.
"""

from gridpos.domain.tariff.config import (
    Accumulation,
    TariffConfigError,
    TariffEntry,
    TariffTier,
)
from gridpos.domain.tariff.schedule import (
    Bill,
    BillingError,
    ChargeLine,
    TariffSchedule,
    default_tariff_schedule,
)

__all__ = [
    "Accumulation",
    "Bill",
    "BillingError",
    "ChargeLine",
    "TariffConfigError",
    "TariffEntry",
    "TariffSchedule",
    "TariffTier",
    "default_tariff_schedule",
]
