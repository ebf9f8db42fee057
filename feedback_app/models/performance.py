"""ASN performance: periods and their closing, supervisor ratings, peer feedback, frozen per-ASN summaries,
award categories and nominations (PermenPANRB 6/2022; domain.md section 2 and 4)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .staff import Staff
from .units import Unit

PERIOD_STATES = ("open", "closing", "closed")  # closing: ended, late responses and ratings still accepted
RATING_LEVELS = ("above", "meets", "below")  # Di Atas / Sesuai / Di Bawah Ekspektasi


class PerformancePeriod(Base):
    """A performance period (month, quarter, semester, year) and where it stands in its cycle."""

    __tablename__ = "performance_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(24), unique=True)  # 2026-Q3, as services.periods.parse reads
    kind: Mapped[str] = mapped_column(String(10))
    first: Mapped[date] = mapped_column(Date)
    last: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default="open")
    formula_version: Mapped[int | None] = mapped_column(Integer)  # what the summaries were computed with
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # set when HR reopens it: the scheduler then leaves the closing to HR ("Close now")
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Formula(Base):
    """One version of the combined-index formula and the officer-score settings; versions are never edited."""

    __tablename__ = "performance_formulas"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    settings: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Rating(Base):
    """A supervisor's rating of one staff member for one period: hasil kerja, perilaku kerja, the predikat from
    the matrix, and continuous feedback per BerAKHLAK value."""

    __tablename__ = "performance_ratings"
    __table_args__ = (UniqueConstraint("period_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("performance_periods.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    hasil_kerja: Mapped[str] = mapped_column(String(8))
    perilaku: Mapped[str] = mapped_column(String(8))
    predikat: Mapped[str] = mapped_column(String(24))
    notes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff: Mapped[Staff] = relationship()


class PeerFeedback(Base):
    """A colleague's short structured feedback (1-4 on three values); the rated person never sees who gave it."""

    __tablename__ = "peer_feedback"
    __table_args__ = (UniqueConstraint("period_id", "staff_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("performance_periods.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    service: Mapped[int] = mapped_column(SmallInteger)  # Berorientasi Pelayanan
    harmony: Mapped[int] = mapped_column(SmallInteger)  # Harmonis
    collaboration: Mapped[int] = mapped_column(SmallInteger)  # Kolaboratif
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PerformanceSummary(Base):
    """One ASN's frozen summary for a closed period: the figures, the inputs they came from and the formula
    version; recomputing from `inputs` with that version gives the same figures."""

    __tablename__ = "performance_summaries"
    __table_args__ = (UniqueConstraint("period_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("performance_periods.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    formula_version: Mapped[int] = mapped_column(Integer)
    inputs: Mapped[dict] = mapped_column(JSON)
    citizen_n: Mapped[int] = mapped_column(Integer, default=0)
    citizen_mean: Mapped[float | None] = mapped_column(Float)
    citizen_low: Mapped[float | None] = mapped_column(Float)
    citizen_high: Mapped[float | None] = mapped_column(Float)
    citizen_shrunk: Mapped[float | None] = mapped_column(Float)
    sufficient: Mapped[bool] = mapped_column(Boolean, default=False)
    hasil_kerja: Mapped[str | None] = mapped_column(String(8))
    perilaku: Mapped[str | None] = mapped_column(String(8))
    predikat: Mapped[str | None] = mapped_column(String(24))
    peer_n: Mapped[int] = mapped_column(Integer, default=0)
    peer_score: Mapped[float | None] = mapped_column(Float)
    open_flags: Mapped[int] = mapped_column(Integer, default=0)
    disciplinary: Mapped[bool] = mapped_column(Boolean, default=False)
    combined_index: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff: Mapped[Staff] = relationship()
    unit: Mapped[Unit] = relationship()


class PeriodKind(Base):
    """A kind of performance period the scheduler and HR open: a calendar length (1, 3, 6 or 12 months from January,
    so month, quarter, semester or year), a label in both languages, active or not. Its periods are the stored
    performance periods of that calendar kind; their own first and last days stay authoritative."""

    __tablename__ = "period_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    label_id: Mapped[str] = mapped_column(String(60))
    label_en: Mapped[str] = mapped_column(String(60))
    months: Mapped[int] = mapped_column(SmallInteger, unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AwardCategory(Base):
    """An award as a rule: which periods, ranked per unit or regency-wide, how many nominees, and the gates."""

    __tablename__ = "award_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    period_kind: Mapped[str] = mapped_column(String(10))
    per_unit: Mapped[bool] = mapped_column(Boolean, default=True)
    nominees: Mapped[int] = mapped_column(Integer, default=1)
    gates: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Nomination(Base):
    """A candidate for an award in a period: generated at close with its reason, or added by HR; HR decides."""

    __tablename__ = "award_nominations"
    __table_args__ = (UniqueConstraint("period_id", "category_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("performance_periods.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("award_categories.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    rank: Mapped[int | None] = mapped_column(Integer)
    combined_index: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10), default="rule")  # rule | hr
    status: Mapped[str] = mapped_column(String(10), default="nominated")  # nominated | confirmed | rejected
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    category: Mapped[AwardCategory] = relationship()
    staff: Mapped[Staff] = relationship()
    unit: Mapped[Unit] = relationship()
