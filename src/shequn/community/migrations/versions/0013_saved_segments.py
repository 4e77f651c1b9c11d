"""Saved segments and audiences in the database, owned by a team (they were a file under
the home); the audit log's actor may be the command line (no account).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('saved_segments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.String(length=40), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_index(op.f('ix_saved_segments_team_id'), 'saved_segments', ['team_id'])
    op.create_table('saved_audiences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.Column('holdout', sa.Float(), nullable=False),
    sa.Column('target', sa.Integer(), nullable=False),
    sa.Column('held_out', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.String(length=40), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['segment_id'], ['saved_segments.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_index(op.f('ix_saved_audiences_segment_id'), 'saved_audiences', ['segment_id'])
    op.create_index(op.f('ix_saved_audiences_team_id'), 'saved_audiences', ['team_id'])
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('actor_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('actor_id', existing_type=sa.Integer(), nullable=False)
    op.drop_index(op.f('ix_saved_audiences_team_id'), table_name='saved_audiences')
    op.drop_index(op.f('ix_saved_audiences_segment_id'), table_name='saved_audiences')
    op.drop_table('saved_audiences')
    op.drop_index(op.f('ix_saved_segments_team_id'), table_name='saved_segments')
    op.drop_table('saved_segments')
