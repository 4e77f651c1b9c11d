"""Sign-in attempts, counted per user name and per address to lock out password guessing.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_keys',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('sign_in_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_attempts_username_at', ['username', 'at'],
                              unique=False)
        batch_op.create_index('ix_sign_in_attempts_address_at', ['address', 'at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_attempts_address_at')
        batch_op.drop_index('ix_sign_in_attempts_username_at')
    op.drop_table('sign_in_attempts')
    op.drop_table('sign_in_keys')
