"""message client ids are unique per conversation, not per workspace

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 13:45:00.000000
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One visitor's client id must neither collide with nor suppress another's.
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint('uq_messages_workspace_client', type_='unique')
        batch_op.create_unique_constraint('uq_messages_conversation_client',
                                          ['conversation_id', 'client_id'])


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint('uq_messages_conversation_client', type_='unique')
        batch_op.create_unique_constraint('uq_messages_workspace_client',
                                          ['workspace_id', 'client_id'])
