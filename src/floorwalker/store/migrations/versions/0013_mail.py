"""mail: the outbox of e-mails (claimed by a conditional UPDATE, retried with backoff) and
each conversation's e-mail thread (what was sent, for threading and not sending twice)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 04:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'emails',
        sa.Column('id', sa.String(40), primary_key=True),
        sa.Column('workspace_id', sa.String(40), nullable=False),
        sa.Column('kind', sa.String(32), nullable=False),
        sa.Column('conversation_id', sa.String(40), nullable=True),
        sa.Column('visitor_id', sa.String(40), nullable=True),
        sa.Column('to_address', sa.String(320), nullable=False),
        sa.Column('from_name', sa.String(200), nullable=True),
        sa.Column('subject', sa.String(300), nullable=False),
        sa.Column('body_text', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=True),
        sa.Column('message_id', sa.String(255), nullable=False),
        sa.Column('in_reply_to', sa.String(255), nullable=True),
        sa.Column('thread_refs', sa.Text(), nullable=True),
        sa.Column('reply_to', sa.String(320), nullable=True),
        sa.Column('language', sa.String(8), nullable=True),
        sa.Column('through_seq', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('next_attempt_at', sa.Float(), nullable=False),
        sa.Column('claimed_until', sa.Float(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('sent_at', sa.Float(), nullable=True),
        sa.UniqueConstraint('message_id', name='uq_emails_message_id'),
    )
    op.create_index('ix_emails_status_next', 'emails', ['status', 'next_attempt_at'])
    op.create_index('ix_emails_workspace_created', 'emails', ['workspace_id', 'created_at'])
    op.create_index('ix_emails_conversation', 'emails', ['conversation_id'])
    op.create_table(
        'mail_threads',
        sa.Column('conversation_id', sa.String(40), primary_key=True),
        sa.Column('workspace_id', sa.String(40), nullable=False),
        sa.Column('through_seq', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(32), nullable=False),
        sa.Column('last_message_id', sa.String(255), nullable=True),
        sa.Column('thread_refs', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.Float(), nullable=False),
    )
    # The unread-replies scan looks at conversations that changed lately, in every workspace.
    op.create_index('ix_conversations_updated', 'conversations', ['updated_at'])


def downgrade() -> None:
    op.drop_index('ix_conversations_updated', table_name='conversations')
    op.drop_table('mail_threads')
    op.drop_index('ix_emails_conversation', table_name='emails')
    op.drop_index('ix_emails_workspace_created', table_name='emails')
    op.drop_index('ix_emails_status_next', table_name='emails')
    op.drop_table('emails')
