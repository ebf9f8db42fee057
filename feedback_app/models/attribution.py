"""Verified attribution: counter devices (screens and kiosks), one-time survey tokens, and services delivered."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, BigIntPK, UTCDateTime, utcnow
from .staff import Staff
from .units import ServicePoint

# Where a service delivered (and its token) came from.
SOURCES = ("screen", "kiosk", "queue", "import")


class CounterDevice(Base):
    """A counter's screen or kiosk on which an officer signed in once: the device keeps a long-lived cookie whose
    secret only its SHA-256 is stored here. Signed out (by the officer, or by signing in anew) it is dead for good."""

    __tablename__ = "counter_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    mode: Mapped[str] = mapped_column(String(8), default="screen")  # "screen" or "kiosk"
    signed_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    service_point: Mapped[ServicePoint] = relationship()
    staff: Mapped[Staff] = relationship()


class SurveyToken(Base):
    """A one-time survey link: bound to a counter, the officer who served, the minute it was minted and an expiry;
    only the SHA-256 of its random value is stored. Redeemed once, by one conditional UPDATE."""

    __tablename__ = "survey_tokens"
    __table_args__ = (Index("ix_survey_tokens_device_minted", "device_id", "minted_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("counter_devices.id"))
    source: Mapped[str] = mapped_column(String(8))
    minted_at: Mapped[datetime] = mapped_column(UTCDateTime)  # to the minute
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id", ondelete="SET NULL"))

    staff: Mapped[Staff] = relationship()
    service_point: Mapped[ServicePoint] = relationship()


class SurveyLinkView(Base):
    """A device that drew a one-time link's survey page before the link was used: the link's shared_link evidence
    (services/integrity/links). Only the device's daily-rotating keyed hash is kept, and only for
    INTEGRITY_DEVICE_HASH_DAYS (the daily purge); at most a few per link."""

    __tablename__ = "survey_link_views"

    token_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("survey_tokens.id", ondelete="CASCADE"),
                                          primary_key=True)
    client_hash: Mapped[str] = mapped_column(String(16), primary_key=True)
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceDelivered(Base):
    """One citizen served by one officer at one counter on one local day: a minted token (screen "next citizen",
    kiosk session, queue ticket) or an imported queue ticket. The denominator of the response rate."""

    __tablename__ = "services_delivered"
    __table_args__ = (
        UniqueConstraint("service_point_id", "day", "ticket"),  # a queue ticket counts once (NULLs never clash)
        Index("ix_services_delivered_staff_day", "staff_id", "day"),
        Index("ix_services_delivered_sp_day", "service_point_id", "day"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(8))
    ticket: Mapped[str | None] = mapped_column(String(40))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("survey_tokens.id", ondelete="SET NULL"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
