"""survey link views: the devices that drew a one-time link's page before it was used (shared_link)

Revision ID: e5b2c7d41f08
Revises: e5a1c0d2b7f3
Create Date: 2026-12-03 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5b2c7d41f08'
down_revision = 'e5a1c0d2b7f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'survey_link_views',
        sa.Column('token_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('client_hash', sa.String(length=16), nullable=False),
        sa.Column('viewed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['token_id'], ['survey_tokens.id'],
                                name=op.f('fk_survey_link_views_token_id_survey_tokens'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_id', 'client_hash', name=op.f('pk_survey_link_views')),
    )


def downgrade():
    op.drop_table('survey_link_views')
