"""period kinds as rows (issue 12: editable in the browser) and an index on responses.questionnaire_id

Revision ID: c4d8e2a6b913
Revises: e5b2c7d41f08
Create Date: 2026-12-03 13:45:00.000000

period_kinds starts empty: the first use fills it from PERFORMANCE_PERIOD_KINDS (services/performance/
period_kinds.ensure, as formula version 1 comes from PERFORMANCE_FORMULA), so nothing changes for the periods
already stored. ix_responses_questionnaire is made on the parent table; on PostgreSQL, where responses is
partitioned, that makes the index on every partition, present and future.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d8e2a6b913'
down_revision = 'e5b2c7d41f08'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'period_kinds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=20), nullable=False),
        sa.Column('label_id', sa.String(length=60), nullable=False),
        sa.Column('label_en', sa.String(length=60), nullable=False),
        sa.Column('months', sa.SmallInteger(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_period_kinds')),
        sa.UniqueConstraint('code', name=op.f('uq_period_kinds_code')),
        sa.UniqueConstraint('months', name=op.f('uq_period_kinds_months')),
    )
    op.create_index('ix_responses_questionnaire', 'responses', ['questionnaire_id'], unique=False)


def downgrade():
    op.drop_index('ix_responses_questionnaire', table_name='responses')
    op.drop_table('period_kinds')
