"""chat facts for reports: conversations keep the visitor's first message, the first and
last agent who answered, the first answer and the number of agents; conversation_agents
lists who answered

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 03:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# The backfill, as floorwalker.chat.service.rebuild_chat_facts does it.
_AGENT = "m.author = 'agent' AND m.internal = {false} AND m.author_id IS NOT NULL"
_BACKFILL = [
    "INSERT INTO conversation_agents (conversation_id, agent_id, workspace_id, first_at)"
    " SELECT m.conversation_id, m.author_id, MIN(m.workspace_id), MIN(m.created_at)"
    " FROM messages m WHERE {agent} GROUP BY m.conversation_id, m.author_id",
    "UPDATE conversations SET"
    " visitor_wrote_at = (SELECT MIN(m.created_at) FROM messages m"
    "  WHERE m.conversation_id = conversations.id AND m.author = 'visitor'),"
    " first_agent_id = (SELECT m.author_id FROM messages m"
    "  WHERE m.conversation_id = conversations.id AND {agent} ORDER BY m.seq LIMIT 1),"
    " last_agent_id = (SELECT m.author_id FROM messages m"
    "  WHERE m.conversation_id = conversations.id AND {agent} ORDER BY m.seq DESC LIMIT 1),"
    " first_reply_at = (SELECT MIN(a.first_at) FROM conversation_agents a"
    "  WHERE a.conversation_id = conversations.id),"
    " agent_count = (SELECT COUNT(*) FROM conversation_agents a"
    "  WHERE a.conversation_id = conversations.id)",
]


def upgrade() -> None:
    for name, column in (('visitor_wrote_at', sa.Float()), ('first_agent_id', sa.String(255)),
                         ('last_agent_id', sa.String(255)), ('first_reply_at', sa.Float())):
        op.add_column('conversations', sa.Column(name, column, nullable=True))
    op.add_column('conversations', sa.Column('agent_count', sa.Integer(), nullable=False,
                                             server_default='0'))
    op.create_index('ix_conversations_workspace_started', 'conversations',
                    ['workspace_id', 'started_at'])
    op.create_table(
        'conversation_agents',
        sa.Column('conversation_id', sa.String(length=40), nullable=False),
        sa.Column('agent_id', sa.String(length=255), nullable=False),
        sa.Column('workspace_id', sa.String(length=40), nullable=False),
        sa.Column('first_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('conversation_id', 'agent_id',
                                name=op.f('pk_conversation_agents')),
    )
    agent = _AGENT.format(false="false" if op.get_bind().dialect.name == "postgresql"
                          else "0")
    for sql in _BACKFILL:
        op.execute(sql.format(agent=agent))
    if op.get_bind().dialect.name == "postgresql":  # statistics of the new columns
        op.execute("ANALYZE conversations")
        op.execute("ANALYZE conversation_agents")


def downgrade() -> None:
    op.drop_table('conversation_agents')
    op.drop_index('ix_conversations_workspace_started', table_name='conversations')
    for name in ('agent_count', 'first_reply_at', 'last_agent_id', 'first_agent_id',
                 'visitor_wrote_at'):
        op.drop_column('conversations', name)
