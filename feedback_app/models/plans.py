"""The follow-up plan (Rencana Tindak Lanjut) a unit head writes for a unit and period, with its progress."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class FollowUpPlan(Base):
    """One unit's plan for one period; also holds the number of service users that sets the minimum sample."""

    __tablename__ = "followup_plans"
    __table_args__ = (UniqueConstraint("unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period: Mapped[str] = mapped_column(String(30))
    service_users: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    items: Mapped[list[FollowUpItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="FollowUpItem.position"
    )


class FollowUpItem(Base):
    """A line of the plan: which element, what programme, in which quarter, who is responsible, how far it is."""

    __tablename__ = "followup_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("followup_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    element_code: Mapped[str] = mapped_column(String(10))
    programme: Mapped[str] = mapped_column(Text)
    quarter: Mapped[int] = mapped_column(SmallInteger)  # TW I-IV
    responsible: Mapped[str] = mapped_column(String(200))
    progress: Mapped[str] = mapped_column(Text, default="")

    plan: Mapped[FollowUpPlan] = relationship(back_populates="items")
