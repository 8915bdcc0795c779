"""Settings read from the environment, once, at the edge of the program."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_data_dir() -> Path:
    """Where the embedded default keeps its files: ``GRIDPOS_DATA_DIR``, else ~/.local/share."""
    configured = os.environ.get("GRIDPOS_DATA_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    return Path.home() / ".local" / "share" / "gridpos"


@dataclass(frozen=True, slots=True)
class Settings:
    """What the server side needs to start."""

    data_dir: Path
    database_url: str
    mis_url: str | None = None  # GRIDPOS_MIS_URL: the MIS interface, e.g. http://127.0.0.1:8700
    mis_api_key: str | None = None  # GRIDPOS_MIS_API_KEY

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = default_data_dir()
        url = os.environ.get("GRIDPOS_DATABASE_URL") or f"sqlite:///{data_dir / 'gridpos.sqlite'}"
        return cls(
            data_dir=data_dir,
            database_url=url,
            mis_url=os.environ.get("GRIDPOS_MIS_URL") or None,
            mis_api_key=os.environ.get("GRIDPOS_MIS_API_KEY") or None,
        )
