"""messages.channel: how a message came (NULL: the chat; "email": a reply by e-mail)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 05:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('messages', sa.Column('channel', sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.drop_column('channel')
