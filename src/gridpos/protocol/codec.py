"""Compact JSON bodies for both sides of the terminal API, and refusals named by field.

:func:`encode` writes a message with its short wire names and nothing the decoder can put back
(no ``null``, no field equal to its default). :func:`decode` reads a body into a message and turns
every way it can be wrong into a :class:`~gridpos.protocol.errors.ProtocolError`: not JSON or not
an object → ``malformed_request``; too big → ``body_too_large``; a money field that is not a whole
positive number of fen → ``amount_invalid``; any other field → ``invalid_field``; each naming the
field by its wire name (``lines.2.kwh``) with a Chinese and an English message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from gridpos.protocol.errors import ErrorBody, ErrorCode, ProtocolError
from gridpos.protocol.messages import WireAnswer

MAX_BODY_BYTES = 64 * 1024
"""The largest request body the server reads (an upload part is under 10 KB)."""
MAX_ANSWER_BYTES = 512 * 1024
"""The largest answer body a terminal reads (an arrears page is the big one)."""
JSON_CONTENT_TYPE = "application/json"

M = TypeVar("M", bound=BaseModel)

# Chinese for pydantic's own error types; our field types carry theirs in ``ctx["zh"]``.
_ZH_BY_TYPE: Mapping[str, str] = {
    "missing": "缺少此字段",
    "extra_forbidden": "不是此请求的字段",
    "int_type": "必须是整数",
    "int_parsing": "必须是整数",
    "int_from_float": "必须是整数",
    "bool_type": "必须是 true 或 false",
    "bool_parsing": "必须是 true 或 false",
    "string_type": "必须是文字",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "string_pattern_mismatch": "格式不正确",
    "greater_than_equal": "数值过小",
    "greater_than": "数值过小",
    "less_than_equal": "数值过大",
    "less_than": "数值过大",
    "list_type": "必须是列表",
    "tuple_type": "必须是列表",
    "too_short": "条目过少",
    "too_long": "条目过多",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "model_type": "必须是对象",
    "model_attributes_type": "必须是对象",
    "dict_type": "必须是对象",
    "frozen_instance": "不可修改",
}


def encode(message: BaseModel) -> bytes:
    """The message as compact UTF-8 JSON: wire names, no nulls, no defaults."""
    data = message.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    return orjson.dumps(data)


def encode_error(body: ErrorBody) -> bytes:
    """An error body as JSON (``field`` and ``details`` left out when empty)."""
    return orjson.dumps(body.model_dump(mode="json", exclude_none=True))


def _load_object(body: bytes, *, max_bytes: int) -> dict[str, Any]:
    if len(body) > max_bytes:
        raise ProtocolError.of(ErrorCode.BODY_TOO_LARGE, details={"max": max_bytes})
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ProtocolError.of(ErrorCode.MALFORMED_REQUEST) from None
    if not isinstance(data, dict):
        raise ProtocolError.of(
            ErrorCode.MALFORMED_REQUEST,
            message_zh="请求内容必须是 JSON 对象",
            message_en="the body must be a JSON object",
        )
    return data


def decode(model: type[M], body: bytes, *, max_bytes: int | None = None) -> M:
    """Read ``body`` as a ``model``, by wire names only.

    ``max_bytes`` defaults to :data:`MAX_ANSWER_BYTES` for an answer and :data:`MAX_BODY_BYTES`
    for anything else.

    Raises:
        ProtocolError: ``body_too_large``, ``malformed_request``, ``amount_invalid`` or
            ``invalid_field`` (with the field's wire name), see the module's docstring.
    """
    if max_bytes is None:
        max_bytes = MAX_ANSWER_BYTES if issubclass(model, WireAnswer) else MAX_BODY_BYTES
    data = _load_object(body, max_bytes=max_bytes)
    return validate(model, data)


def validate(model: type[M], data: Mapping[str, Any]) -> M:
    """Validate already-parsed wire data as a ``model`` (wire names only).

    Raises:
        ProtocolError: ``amount_invalid`` or ``invalid_field`` naming the field.
    """
    try:
        return model.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as exc:
        raise refusal_of(exc) from None


def decode_params(model: type[M], params: Mapping[str, str]) -> M:
    """Read the path and query parameters of a ``GET`` as a ``model``.

    Raises:
        ProtocolError: ``invalid_field`` naming the parameter.
    """
    return validate(model, dict(params))


def decode_error(body: bytes) -> ErrorBody:
    """Read a refusal the server sent.

    Raises:
        ProtocolError: ``malformed_request`` when the body is not an error body (e.g. a proxy's
            HTML page); the caller then judges by the HTTP status alone.
    """
    data = _load_object(body, max_bytes=MAX_BODY_BYTES)
    try:
        return ErrorBody.model_validate(data)
    except ValidationError:
        raise ProtocolError.of(
            ErrorCode.MALFORMED_REQUEST,
            message_zh="应答不是错误说明",
            message_en="the answer is not an error body",
        ) from None


def _field_of(error: ErrorDetails) -> str | None:
    parts = [str(part) for part in error["loc"]]
    context = error.get("ctx") or {}
    extra = context.get("field")
    if isinstance(extra, str):
        parts.append(extra)
    return ".".join(parts) or None


def refusal_of(exc: ValidationError) -> ProtocolError:
    """The refusal of a validation failure: its first error, the field named by wire name."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    field = _field_of(first)
    context = first.get("ctx") or {}
    error_type = first["type"]
    code = ErrorCode.AMOUNT_INVALID if error_type == "amount_invalid" else ErrorCode.INVALID_FIELD
    reason_zh = context.get("zh") or _ZH_BY_TYPE.get(error_type, "内容无效")
    details: dict[str, Any] = {"reason": context.get("reason", error_type)}
    if len(errors) > 1:
        details["errors"] = len(errors)
    where_zh = f"字段「{field}」" if field else "请求"
    where_en = f"{field}: " if field else ""
    return ProtocolError.of(
        code,
        field=field,
        details=details,
        message_zh=f"{where_zh}{reason_zh}",
        message_en=f"{where_en}{first['msg']}",
    )
