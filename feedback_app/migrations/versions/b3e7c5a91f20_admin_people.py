"""administration pages: a password reset the user must follow at next sign-in; duty rosters per week

Revision ID: b3e7c5a91f20
Revises: d13a5e1ea5e0
Create Date: 2026-12-03 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3e7c5a91f20'
down_revision = 'd13a5e1ea5e0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'roster_weeks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('service_point_id', sa.Integer(), nullable=False),
        sa.Column('week_start', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['service_point_id'], ['service_points.id'],
                                name=op.f('fk_roster_weeks_service_point_id_service_points'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_weeks')),
        sa.UniqueConstraint('service_point_id', 'week_start', name=op.f('uq_roster_weeks_service_point_id_week_start')),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('duty_shifts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('week_start', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_duty_shifts_week_start'), ['week_start'], unique=False)
        batch_op.drop_constraint('uq_duty_shifts_staff_id_service_point_id_weekday_starts', type_='unique')
        batch_op.create_unique_constraint(
            'uq_duty_shifts_staff_week_day_starts',
            ['staff_id', 'service_point_id', 'week_start', 'weekday', 'starts'])


def downgrade():
    op.execute("DELETE FROM duty_shifts WHERE week_start IS NOT NULL")
    with op.batch_alter_table('duty_shifts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_duty_shifts_staff_week_day_starts', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_duty_shifts_staff_id_service_point_id_weekday_starts'),
            ['staff_id', 'service_point_id', 'weekday', 'starts'])
        batch_op.drop_index(batch_op.f('ix_duty_shifts_week_start'))
        batch_op.drop_column('week_start')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
    op.drop_table('roster_weeks')
