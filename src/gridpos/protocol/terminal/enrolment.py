"""Enrolment (终端开通): a one-time code from the console gives the terminal its own key.

The installer types the twelve-digit code the console showed for this terminal; the server checks
it (``enrolment_code_invalid`` / ``_expired`` / ``_used``), makes a 32-byte key, and answers it once
with the terminal number. The enrolment request is the only one that is not signed: the code
stands for the signature. Every later request is signed with the key
(:mod:`gridpos.protocol.signing`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from gridpos.protocol.fields import Name, ProgramVersion, TerminalNo, UnixTime
from gridpos.protocol.messages import WireAnswer, WireRequest
from gridpos.protocol.signing import decode_key

ENROLMENT_CODE_DIGITS = 12


def _read_enrolment_code(value: object) -> str:
    if (
        isinstance(value, str)
        and value.isascii()
        and value.isdigit()
        and len(value) == ENROLMENT_CODE_DIGITS
    ):
        return value
    raise PydanticCustomError(
        "enrolment_code_format",
        "the enrolment code is 12 digits",
        {"zh": "开通码应为12位数字"},
    )


def _read_key(value: object) -> str:
    if isinstance(value, str):
        try:
            decode_key(value)
        except ValueError:
            pass
        else:
            return value
    raise PydanticCustomError(
        "key_invalid", "the key must be 43 base64url characters", {"zh": "密钥格式错误"}
    )


EnrolmentCode = Annotated[
    str,
    PlainValidator(_read_enrolment_code),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{12}$"}),
]
TerminalKeyText = Annotated[
    str,
    PlainValidator(_read_key),
    WithJsonSchema({"type": "string", "pattern": r"^[A-Za-z0-9_-]{43}$"}),
]


class EnrolRequest(WireRequest):
    """终端开通: the one-time code, the device's serial and the program's version."""

    code: EnrolmentCode
    device_serial: str = Field(alias="sn", min_length=1, max_length=32, strict=True)
    version: ProgramVersion = Field(alias="ver")


class EnrolAnswer(WireAnswer):
    """The terminal's number and key (sent this once), the server's time, where it stands."""

    terminal_no: TerminalNo = Field(alias="term")
    key: TerminalKeyText
    server_time: UnixTime = Field(alias="now")
    collection_point: Name = Field(alias="pt")

    @property
    def key_bytes(self) -> bytes:
        """The key as the signing functions take it."""
        return decode_key(self.key)
