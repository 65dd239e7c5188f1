"""conversions (purchases) and the index reports need on conversations

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 23:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'conversions',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('workspace_id', sa.String(length=40), nullable=False),
        sa.Column('visitor_id', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('transaction_id', sa.String(length=255), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('currency', sa.String(length=8), nullable=True),
        sa.Column('ts', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conversions')),
        sa.UniqueConstraint('workspace_id', 'visitor_id', 'transaction_id',
                            name='uq_conversions_visitor_transaction'),
    )
    op.create_index('ix_conversions_visitor_ts', 'conversions', ['visitor_id', 'ts'])
    op.create_index('ix_conversions_workspace_ts', 'conversions', ['workspace_id', 'ts'])
    op.create_index('ix_conversations_decision', 'conversations', ['decision_id'])


def downgrade() -> None:
    op.drop_index('ix_conversations_decision', table_name='conversations')
    op.drop_index('ix_conversions_workspace_ts', table_name='conversions')
    op.drop_index('ix_conversions_visitor_ts', table_name='conversions')
    op.drop_table('conversions')
