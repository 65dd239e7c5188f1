"""funnel rollups: decisions note the chat they started and its first agent answer;
funnel_days counts decisions per workspace, UTC day, scenario, variant, kind and reason

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 02:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# The backfill, as floorwalker.rules.decisions.rebuild_funnel_days does it (written out
# here: a migration does not import the application).
# Only decisions that started a conversation get either.
_FLAGS = [
    "UPDATE decisions SET chat_at = (SELECT MIN(c.started_at) FROM conversations c"
    " WHERE c.decision_id = decisions.id)"
    " WHERE id IN (SELECT decision_id FROM conversations)",
    "UPDATE decisions SET answered_at = (SELECT MIN(m.created_at) FROM conversations c"
    " JOIN messages m ON m.conversation_id = c.id WHERE c.decision_id = decisions.id"
    " AND m.author = 'agent' AND m.internal = {false})"
    " WHERE id IN (SELECT decision_id FROM conversations)",
]
_ROLLUP = """
INSERT INTO funnel_days (workspace_id, day, scenario_key, variant, kind, reason, n,
                         delivered, shown, engaged, chats, answered)
SELECT workspace_id, {day}, scenario_key, COALESCE(variant, ''),
       CASE WHEN outcome IN ('fired', 'fallback', 'withdrawn') THEN 'decided'
            ELSE SUBSTR(outcome, 1, 16) END,
       CASE WHEN outcome = 'suppressed' THEN COALESCE(reason, '') ELSE '' END,
       COUNT(*),
       SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN response IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN response IN ('accepted', 'replied') THEN 1 ELSE 0 END),
       SUM(CASE WHEN chat_at IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN answered_at IS NOT NULL THEN 1 ELSE 0 END)
FROM decisions
GROUP BY 1, 2, 3, 4, 5, 6
"""


def upgrade() -> None:
    op.add_column('decisions', sa.Column('chat_at', sa.Float(), nullable=True))
    op.add_column('decisions', sa.Column('answered_at', sa.Float(), nullable=True))
    op.create_table(
        'funnel_days',
        sa.Column('workspace_id', sa.String(length=40), nullable=False),
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('scenario_key', sa.String(length=64), nullable=False),
        sa.Column('variant', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=64), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('delivered', sa.Integer(), nullable=False),
        sa.Column('shown', sa.Integer(), nullable=False),
        sa.Column('engaged', sa.Integer(), nullable=False),
        sa.Column('chats', sa.Integer(), nullable=False),
        sa.Column('answered', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('workspace_id', 'day', 'scenario_key', 'variant', 'kind',
                                'reason', name=op.f('pk_funnel_days')),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for sql in _FLAGS:
        op.execute(sql.format(false="false" if postgres else "0"))
    day = ("CAST(FLOOR(created_at / 86400.0) AS INTEGER)" if postgres
           else "CAST(created_at / 86400.0 AS INTEGER)")
    op.execute(_ROLLUP.format(day=day))
    if postgres:  # the planner's statistics of the new columns: not all NULL any more
        op.execute("ANALYZE decisions")


def downgrade() -> None:
    op.drop_table('funnel_days')
    op.drop_column('decisions', 'answered_at')
    op.drop_column('decisions', 'chat_at')
