"""conversion goals: any event may count (deduplicated per event name), and the
visitor's segments at the time on decisions and conversions (report filters, baskets)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 01:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('decisions', sa.Column('segments', sa.Text(), nullable=True))
    with op.batch_alter_table('conversions') as batch:
        batch.add_column(sa.Column('segments', sa.Text(), nullable=True))
        batch.drop_constraint('uq_conversions_visitor_transaction', type_='unique')
        batch.create_unique_constraint('uq_conversions_visitor_name_transaction',
                                       ['workspace_id', 'visitor_id', 'name', 'transaction_id'])


def downgrade() -> None:
    with op.batch_alter_table('conversions') as batch:
        batch.drop_constraint('uq_conversions_visitor_name_transaction', type_='unique')
        batch.create_unique_constraint('uq_conversions_visitor_transaction',
                                       ['workspace_id', 'visitor_id', 'transaction_id'])
        batch.drop_column('segments')
    op.drop_column('decisions', 'segments')
