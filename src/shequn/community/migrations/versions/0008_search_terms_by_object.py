"""The search index's per-document index led by the document's id, not its kind: led by
the kind, SQLite scanned every posting of a kind for each query instead of seeking the
query's terms (60 ms for a rare term over 20,000 posts; 8 ms after).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_search_terms_doc')
        batch_op.create_index('ix_search_terms_object', ['object_id', 'kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_search_terms_object')
        batch_op.create_index('ix_search_terms_doc', ['kind', 'object_id'], unique=False)
