"""emails.from_address: the workspace's own sender address, when it has one

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 08:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('emails', sa.Column('from_address', sa.String(320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('emails') as batch:
        batch.drop_column('from_address')
