"""Perks unlocked by a level or a space's membership, and who claimed them.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('perks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('min_level', sa.String(length=16), nullable=True),
    sa.Column('space_id', sa.Integer(), nullable=True),
    sa.Column('stock', sa.Integer(), nullable=True),
    sa.Column('claimed', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('perks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_perks_space_id'), ['space_id'], unique=False)
    op.create_table('perk_claims',
    sa.Column('perk_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['perk_id'], ['perks.id'], ),
    sa.PrimaryKeyConstraint('perk_id', 'account_id')
    )


def downgrade() -> None:
    op.drop_table('perk_claims')
    with op.batch_alter_table('perks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_perks_space_id'))
    op.drop_table('perks')
