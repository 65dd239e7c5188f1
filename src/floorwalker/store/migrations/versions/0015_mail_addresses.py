"""mail_addresses: an address that bounced or unsubscribed gets no more e-mail; emails keep
their List-Unsubscribe link

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 06:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'mail_addresses',
        sa.Column('workspace_id', sa.String(40), primary_key=True),
        sa.Column('address', sa.String(320), primary_key=True),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.Float(), nullable=False),
    )
    op.add_column('emails', sa.Column('list_unsubscribe', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('emails') as batch:
        batch.drop_column('list_unsubscribe')
    op.drop_table('mail_addresses')
