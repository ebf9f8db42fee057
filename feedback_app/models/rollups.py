"""Daily rollups of responses: per local day, counter and officer, the sums a report needs (kept exact)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

ELEMENT_CODES = tuple(f"U{i}" for i in range(1, 10))


def _element_columns(cls):
    for i in range(1, 10):
        setattr(cls, f"s{i}", mapped_column(Integer, default=0))  # sum of the answers to U<i>
        setattr(cls, f"c{i}", mapped_column(Integer, default=0))  # how many answered U<i>
    return cls


class _Sums:
    responses: Mapped[int] = mapped_column(Integer)


class _OfficerSums(_Sums):
    # per-response officer score (mean of the officer elements x 25): count, sum and sum of squares
    officer_n: Mapped[int] = mapped_column(Integer, default=0)
    officer_sum: Mapped[float] = mapped_column(Float, default=0.0)
    officer_squares: Mapped[float] = mapped_column(Float, default=0.0)


@_element_columns
class RollupDay(_OfficerSums, Base):
    """Responses of one local day at one counter, attributed to one officer (staff_id 0: nobody), not excluded."""

    __tablename__ = "rollup_days"
    __table_args__ = (Index("ix_rollup_days_unit_day", "unit_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    service_point_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer)


@_element_columns
class RollupProfileDay(_Sums, Base):
    """Responses of one local day at one counter with one value of a profile dimension ('' = not said)."""

    __tablename__ = "rollup_profile_days"
    __table_args__ = (Index("ix_rollup_profile_dimension_unit_day", "dimension", "unit_id", "day"),
                      Index("ix_rollup_profile_dimension_day", "dimension", "day"))

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    service_point_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(40), primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer)


@_element_columns
class RollupMonth(_OfficerSums, Base):
    """The daily rollups of one calendar month added up (month = its first day), for long periods."""

    __tablename__ = "rollup_months"
    __table_args__ = (Index("ix_rollup_months_unit_month", "unit_id", "month"),)

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    service_point_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer)


@_element_columns
class RollupProfileMonth(_Sums, Base):
    """The daily profile rollups of one calendar month added up."""

    __tablename__ = "rollup_profile_months"
    __table_args__ = (Index("ix_rollup_profile_months_dimension_unit", "dimension", "unit_id", "month"),
                      Index("ix_rollup_profile_months_dimension", "dimension", "month"))

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    service_point_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(40), primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer)


class RollupState(Base):
    """How far the rollups reach: every response with id <= watermark is in them."""

    __tablename__ = "rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    officer_elements: Mapped[str] = mapped_column(String(60), default="")
    timezone: Mapped[str] = mapped_column(String(60), default="")
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
