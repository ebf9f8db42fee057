"""scheduler lease: one scheduler runs the jobs; a second one started by mistake waits

Revision ID: d13a5e1ea5e0
Revises: a7d3e11c0b5f
Create Date: 2026-12-03 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd13a5e1ea5e0'
down_revision = 'a7d3e11c0b5f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'scheduler_leases',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('holder', sa.String(length=120), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('renewed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_leases')),
    )


def downgrade():
    op.drop_table('scheduler_leases')
