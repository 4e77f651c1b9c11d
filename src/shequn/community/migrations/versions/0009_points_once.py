"""Points an action earns once per subject (a space joined, an idea published): a
nullable subject on the points ledger, unique with the account and the action (rows
without a subject are not constrained).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_points_once', ['account_id', 'action', 'subject'])


def downgrade() -> None:
    with op.batch_alter_table('points', schema=None) as batch_op:
        batch_op.drop_constraint('uq_points_once', type_='unique')
        batch_op.drop_column('subject')
