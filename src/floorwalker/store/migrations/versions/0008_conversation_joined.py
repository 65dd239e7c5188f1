"""who joined a conversation; structured system notices

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 14:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The assigned agent who opened or answered the chat (a person the visitor may be
    # told about); None while the visitor is still waiting.
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('joined_agent_id', sa.String(length=40), nullable=True))
    # A system line the widget words in the visitor's language (kind and values, JSON).
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('notice')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('joined_agent_id')
