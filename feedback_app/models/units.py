"""Units (agency tree), service points (loket) with their opening hours, and service types."""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Boolean, Column, ForeignKey, SmallInteger, String, Table, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow

service_point_service_types = Table(
    "service_point_service_types",
    Base.metadata,
    Column("service_point_id", ForeignKey("service_points.id", ondelete="CASCADE"), primary_key=True),
    Column("service_type_id", ForeignKey("service_types.id", ondelete="CASCADE"), primary_key=True),
)


class Unit(Base):
    """A unit kerja: an agency (OPD) or one of its sub-units (UPTD, puskesmas, bidang)."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.name")
    service_points: Mapped[list[ServicePoint]] = relationship(back_populates="unit", order_by="ServicePoint.name")

    def path(self) -> list[Unit]:
        """This unit and its ancestors, agency first."""
        chain: list[Unit] = []
        node: Unit | None = self
        while node is not None and len(chain) < 32:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class ServiceType(Base):
    """A kind of service a counter offers (jenis layanan), e.g. "Perekaman KTP-el"."""

    __tablename__ = "service_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


class ServicePoint(Base):
    """A counter or desk (loket) where citizens are served, reachable by its public code."""

    __tablename__ = "service_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship(back_populates="service_points")
    service_types: Mapped[list[ServiceType]] = relationship(
        secondary=service_point_service_types, order_by="ServiceType.name"
    )
    hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="service_point",
        cascade="all, delete-orphan",
        order_by="(OpeningHours.weekday, OpeningHours.opens)",
    )

    def is_open(self, weekday: int, at: time) -> bool:
        """Whether the counter is open at this local weekday (0 = Monday) and time."""
        return any(h.weekday == weekday and h.opens <= at < h.closes for h in self.hours)


class OpeningHours(Base):
    """One opening interval of a service point on one weekday (0 = Monday), local time."""

    __tablename__ = "opening_hours"
    __table_args__ = (UniqueConstraint("service_point_id", "weekday", "opens"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)

    service_point: Mapped[ServicePoint] = relationship(back_populates="hours")
