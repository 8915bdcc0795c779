"""Base classes of the terminal API's messages.

Python code uses the glossary's names (``account_no``, ``cash_time``); the wire uses short aliases
(``acct``, ``at``) because every byte crosses GPRS. Reading from the wire accepts the aliases only
(:func:`gridpos.protocol.codec.decode` validates ``by_name=False``), so the contract has one
spelling; constructing in code accepts the names.

- :class:`WireRequest`: what a terminal sends. Unknown fields are refused, so a typo never passes
  for an absent optional field.
- :class:`WireAnswer`: what the server answers. Unknown fields are ignored, so a server may add a
  field before every terminal in the valleys has been upgraded.
- :class:`WireParams`: the path and query parameters of a ``GET``; read from strings.

Defaults are part of the contract: the encoder leaves out every field equal to its default (and
every ``None``), the decoder puts the default back.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# Written out in each class, not shared through ``**``: the pydantic mypy plugin reads only a
# literal ConfigDict, and needs ``validate_by_name`` to type constructors by field name.


class WireRequest(BaseModel):
    """A message a terminal sends: unknown fields refused."""

    model_config = ConfigDict(
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
    )


class WireAnswer(BaseModel):
    """A message the server answers: unknown fields ignored (newer servers may add some)."""

    model_config = ConfigDict(
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
    )


class WireParams(BaseModel):
    """Path and query parameters of a ``GET``: unknown parameters refused."""

    model_config = ConfigDict(
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
    )
