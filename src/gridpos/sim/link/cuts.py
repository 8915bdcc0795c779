"""What the link can do to one request: the cut kinds, how a cut closes, where a stall falls."""

from __future__ import annotations

from enum import StrEnum


class CutKind(StrEnum):
    """Where the link breaks an exchange.

    - ``drop_request``: the request never reaches the server; the client's connection is closed.
    - ``cut_before_answer``: the request is delivered whole (the server does its work and
      answers), the answer is swallowed and the client's connection is closed — the server has
      committed, the terminal hears nothing.
    - ``cut_mid_answer``: part of the answer is delivered, then the client's connection is closed.
    - ``black_hole``: from this request on nothing crosses either way and nothing is closed; the
      client only learns by its own timeout.
    """

    DROP_REQUEST = "drop_request"
    CUT_BEFORE_ANSWER = "cut_before_answer"
    CUT_MID_ANSWER = "cut_mid_answer"
    BLACK_HOLE = "black_hole"


class Closing(StrEnum):
    """How the client's side of a cut connection ends.

    ``reset`` sends a TCP RST (SO_LINGER 0): the client's next read fails at once with a reset.
    ``fin`` closes normally: the client reads end-of-stream. ``silent`` closes nothing and
    forwards nothing more: the connection is a black hole until the client gives up.
    """

    RESET = "reset"
    FIN = "fin"
    SILENT = "silent"


DEFAULT_CLOSING: dict[CutKind, Closing] = {
    CutKind.DROP_REQUEST: Closing.RESET,
    CutKind.CUT_BEFORE_ANSWER: Closing.RESET,
    # FIN so the client really holds the partial answer: bytes still unread when a reset
    # arrives are thrown away by the client's kernel.
    CutKind.CUT_MID_ANSWER: Closing.FIN,
    CutKind.BLACK_HOLE: Closing.SILENT,
}


class StallOn(StrEnum):
    """Which way a stall pauses delivery: the request on its way up, or its answer coming down."""

    REQUEST = "request"
    ANSWER = "answer"


class PartitionMode(StrEnum):
    """What pulling the plug does to connections already open (new ones are always refused)."""

    BLACK_HOLE = "black_hole"
    RESET = "reset"
    FIN = "fin"
