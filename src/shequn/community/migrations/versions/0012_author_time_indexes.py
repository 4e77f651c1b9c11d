"""Indexes for a new account's writings of the last hour (ideas and suggestions, as posts
already have) and for a space's posts newest first.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_ideas_author_created', 'ideas', ['author_id', 'created_at'])
    op.create_index('ix_suggestions_author_created', 'suggestions',
                    ['author_id', 'created_at'])
    op.create_index('ix_posts_space_created', 'posts', ['space_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_posts_space_created', table_name='posts')
    op.drop_index('ix_suggestions_author_created', table_name='suggestions')
    op.drop_index('ix_ideas_author_created', table_name='ideas')
