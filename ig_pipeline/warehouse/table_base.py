"""What every warehouse table module shares: the one ``MetaData`` and the standard columns."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Double, MetaData, Text, func

metadata = MetaData()

_RATIO_COLUMNS = {"reels_skip_rate"}


def timestamps() -> list[Column]:
    """``created_at`` and ``updated_at`` (a database trigger touches it), on every table."""
    return [
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


def metrics(names: list[str]) -> list[Column]:
    return [Column(name, Double if name in _RATIO_COLUMNS else BigInteger) for name in names]


def owner() -> Column:
    return Column("owner_id", Text, nullable=False)
