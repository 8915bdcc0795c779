"""Wires settings, the database engine, the MIS client and the clock together for the programs."""

from __future__ import annotations

from gridpos.settings import Settings

__all__ = ["Settings"]
