"""conversations.email_at: when the visitor last replied by e-mail (history's channel
filter reads it instead of the messages)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 07:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('conversations', sa.Column('email_at', sa.Float(), nullable=True))
    op.execute("UPDATE conversations SET email_at = (SELECT MAX(m.created_at) FROM messages m"
               " WHERE m.conversation_id = conversations.id AND m.channel = 'email')")


def downgrade() -> None:
    with op.batch_alter_table('conversations') as batch:
        batch.drop_column('email_at')
