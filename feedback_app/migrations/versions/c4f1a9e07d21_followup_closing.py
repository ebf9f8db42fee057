"""follow-up closing: who closed a follow-up and when (its contact details are erased then)

Revision ID: c4f1a9e07d21
Revises: be267a2c0250
Create Date: 2026-12-03 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4f1a9e07d21'
down_revision = 'be267a2c0250'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('followup_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_followup_contacts_closed_by_id_users'), 'users', ['closed_by_id'],
                                    ['id'])


def downgrade():
    with op.batch_alter_table('followup_contacts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_followup_contacts_closed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('closed_at')
