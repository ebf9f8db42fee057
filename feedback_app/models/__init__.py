"""All models, importable from one place (Alembic needs them loaded)."""
from .attribution import CounterDevice, ServiceDelivered, SurveyLinkView, SurveyToken
from .base import Base, utcnow
from .jobs import JobLatch, JobRun, OutboxMessage, SchedulerLease
from .performance import (
    AwardCategory, Formula, Nomination, PeerFeedback, PerformancePeriod, PerformanceSummary, PeriodKind, Rating,
)
from .plans import FollowUpItem, FollowUpPlan
from .rollups import RollupDay, RollupMonth, RollupProfileDay, RollupProfileMonth, RollupState
from .staff import AsnType, DutyShift, RosterWeek, Staff
from .survey import Answer, FollowUpContact, Question, Questionnaire, Response, Verification
from .users import ApiToken, AuditEvent, Role, User
from .units import OpeningHours, ServicePoint, ServiceType, Unit, service_point_service_types

__all__ = [
    "Answer", "ApiToken", "AsnType", "AuditEvent", "AwardCategory", "Base", "DutyShift", "FollowUpContact",
    "FollowUpItem", "FollowUpPlan", "Formula", "JobLatch", "JobRun", "Nomination", "OpeningHours", "OutboxMessage",
    "PeerFeedback", "PerformancePeriod", "PerformanceSummary", "PeriodKind", "Question", "Questionnaire", "Rating",
    "Response", "Role", "RollupDay", "RollupMonth", "RollupProfileDay", "RollupProfileMonth", "RollupState",
    "RosterWeek", "SchedulerLease",
    "ServicePoint", "ServiceType", "Staff", "Unit", "User", "Verification", "service_point_service_types", "utcnow",
]
__all__ += ["CounterDevice", "ServiceDelivered", "SurveyLinkView", "SurveyToken"]  # verified attribution (issue 11)
