"""Versioned questionnaires, citizens' responses with their answers, and follow-up contacts."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, BigIntPK, UTCDateTime, utcnow


class Questionnaire(Base):
    """One version of a questionnaire; responses stay tied to the version they were given under."""

    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    # None: the default for every unit; otherwise used for this unit and its sub-units.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="questionnaire", order_by="Question.position", cascade="all, delete-orphan"
    )

    @property
    def elements(self) -> list[Question]:
        """The questions that count in the index (unsur), in asking order."""
        return [q for q in self.questions if q.is_element]


class Question(Base):
    """A question: an SKM element (unsur, 4 answers, counts in the IKM) or an extra question that never does."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(Integer)
    is_element: Mapped[bool] = mapped_column(Boolean, default=True)
    name_id: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    text_id: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    # Answer labels, worst first: value k is labels[k-1]. Elements have exactly four.
    labels_id: Mapped[list[str]] = mapped_column(JSON)
    labels_en: Mapped[list[str]] = mapped_column(JSON)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")

    def text(self, locale: str) -> str:
        """The question in the citizen's language."""
        return self.text_en if locale == "en" else self.text_id

    def labels(self, locale: str) -> list[str]:
        """The answer labels in the citizen's language, value 1 first."""
        return self.labels_en if locale == "en" else self.labels_id


class Verification(str, enum.Enum):
    """How sure we are who served the citizen."""

    VERIFIED = "verified"  # one-time token minted by the officer
    ROSTER = "roster"  # static QR; officer from the duty roster or the citizen's choice among those on duty
    UNATTRIBUTED = "unattributed"


FLAGGED = "integrity_flags <> ''"  # the condition of a flagged response, as the partial index and queries read it


class Response(Base):
    """One completed questionnaire from one citizen at one counter."""

    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_unit_submitted", "unit_id", "submitted_at"),
        Index("ix_responses_sp_submitted", "service_point_id", "submitted_at"),
        Index("ix_responses_staff_submitted", "staff_id", "submitted_at"),
        Index("ix_responses_submitted", "submitted_at"),  # regency-wide ranges and rollup refreshes
        Index("ix_responses_questionnaire", "questionnaire_id"),  # "answered?" on the questionnaire list
        # the few flagged responses, for the review list and its open count (services/integrity/flags.py)
        Index("ix_responses_flagged", "unit_id", "submitted_at", sqlite_where=text(FLAGGED),
              postgresql_where=text(FLAGGED)),
        CheckConstraint("age IS NULL OR (age >= 10 AND age <= 120)", name="age_range"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    verification: Mapped[Verification] = mapped_column(
        Enum(Verification, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locale: Mapped[str] = mapped_column(String(5), default="id")

    service_type_id: Mapped[int | None] = mapped_column(ForeignKey("service_types.id"))
    sex: Mapped[str | None] = mapped_column(String(1))
    age: Mapped[int | None] = mapped_column(SmallInteger)
    education: Mapped[str | None] = mapped_column(String(8))
    occupation: Mapped[str | None] = mapped_column(String(12))
    comment: Mapped[str | None] = mapped_column(Text)
    followup_requested: Mapped[bool] = mapped_column(Boolean, default=False)

    # Integrity: space-separated flags (e.g. "too_fast honeypot"); a flagged response is kept but excluded
    # from scores until a unit head or HR reviews it.
    integrity_flags: Mapped[str] = mapped_column(String(200), default="")
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    # The review of the flags (services/integrity/flags.py): when, by whom, why; None while the flags are open.
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str | None] = mapped_column(String(500))
    render_seconds: Mapped[float | None] = mapped_column(Float)
    client_hash: Mapped[str | None] = mapped_column(String(16))

    answers: Mapped[list[Answer]] = relationship(cascade="all, delete-orphan", order_by="Answer.question_id")
    contact: Mapped[FollowUpContact | None] = relationship(cascade="all, delete-orphan", uselist=False)

    @property
    def flags(self) -> list[str]:
        """The integrity flags raised on this response."""
        return self.integrity_flags.split()


class Answer(Base):
    """The value (1 = worst) a response gave to one question."""

    __tablename__ = "answers"
    # On SQLite the composite primary key is the table itself (no hidden rowid B-tree to update per answer).
    __table_args__ = (CheckConstraint("value >= 1 AND value <= 9", name="value_range"), {"sqlite_with_rowid": False})

    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger)


class FollowUpContact(Base):
    """Contact details of a citizen who asked to be contacted and consented (UU 27/2022), kept apart from the
    answers: the unit that owns the response erases them when it closes the follow-up, and the scheduler deletes
    the row CONTACT_RETENTION_DAYS after consent in any case."""

    __tablename__ = "followup_contacts"

    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Closing a follow-up erases phone and e-mail at once; the row then only says that and who did it.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
