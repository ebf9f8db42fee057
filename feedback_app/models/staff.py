"""Staff (ASN and non-ASN) and the weekly duty roster that places them at counters."""
from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    Boolean, Date, Enum, ForeignKey, LargeBinary, SmallInteger, String, Text, Time, UniqueConstraint,
)
from sqlalchemy import and_, exists, or_
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .units import ServicePoint, Unit


class AsnType(str, enum.Enum):
    """Employment status: civil servant, contract civil servant, or not an ASN (honorer, outsourced)."""

    PNS = "PNS"
    PPPK = "PPPK"
    NON_ASN = "NON_ASN"


class Staff(Base):
    """A person who serves citizens; ASN are identified by NIP, others by a local code."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str | None] = mapped_column(String(18), unique=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    asn_type: Mapped[AsnType] = mapped_column(Enum(AsnType, native_enum=False, length=10))
    position: Mapped[str] = mapped_column(String(200), default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    service_start: Mapped[date | None] = mapped_column(Date)  # TMT: first appointment, for length of service
    disciplinary_note: Mapped[str] = mapped_column(Text, default="")  # a current disciplinary penalty, if any
    photo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    photo_type: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    shifts: Mapped[list[DutyShift]] = relationship(back_populates="staff", cascade="all, delete-orphan")

    @property
    def key(self) -> str:
        """The identifier HR files use for this person: NIP for ASN, the local code otherwise."""
        return self.nip or self.code or ""


class DutyShift(Base):
    """A weekly shift: this staff member serves at this counter on this weekday (0 = Monday), local time.

    `week_start` empty: the standing roster, every week (what `flask roster import` writes). A Monday: that week
    only, at a counter whose week has a roster of its own (RosterWeek) instead of its standing roster."""

    __tablename__ = "duty_shifts"
    __table_args__ = (UniqueConstraint("staff_id", "service_point_id", "week_start", "weekday", "starts",
                                       name="uq_duty_shifts_staff_week_day_starts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id", ondelete="CASCADE"), index=True)
    week_start: Mapped[date | None] = mapped_column(Date, index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)

    staff: Mapped[Staff] = relationship(back_populates="shifts")
    service_point: Mapped[ServicePoint] = relationship()

    @classmethod
    def in_force(cls, monday: date):
        """The SQL condition for the shifts that apply in the week starting `monday`: the week's own shifts at a
        counter whose week has a roster of its own (RosterWeek), the standing roster at any other."""
        has_own_week = exists().where(RosterWeek.service_point_id == cls.service_point_id,
                                      RosterWeek.week_start == monday)
        return or_(cls.week_start == monday, and_(cls.week_start.is_(None), ~has_own_week))


class RosterWeek(Base):
    """A counter's week that has a roster of its own (its DutyShift rows with that week_start, possibly none:
    a week without service), instead of the standing roster."""

    __tablename__ = "roster_weeks"
    __table_args__ = (UniqueConstraint("service_point_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id", ondelete="CASCADE"))
    week_start: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
