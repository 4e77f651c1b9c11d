"""Moderation and search: a post's state (held, hidden, rejected) and flags, the
moderators' decisions, the sensitive-word list (seeded with a small neutral default),
a space's moderation policy, and the search index (terms per post and idea).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# A small neutral default (spam and fraud, nothing political); the brand edits its own
# list through the API. Each word is written in its matched form already.
DEFAULT_WORDS = (
    ('代开发票', 'block'), ('刷单', 'block'), ('博彩', 'block'), ('办假证', 'block'),
    ('casino', 'block'), ('加微信', 'hold'), ('兼职日结', 'hold'), ('免费领取', 'hold'),
)


def upgrade() -> None:
    op.create_table('search_docs',
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'object_id')
    )
    with op.batch_alter_table('search_docs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_docs_space_id'), ['space_id'], unique=False)

    op.create_table('search_terms',
    sa.Column('term', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('tf', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('term', 'kind', 'object_id')
    )
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.create_index('ix_search_terms_doc', ['kind', 'object_id'], unique=False)

    op.create_table('sensitive_words',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('word', sa.String(length=100), nullable=False),
    sa.Column('form', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['accounts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('form')
    )
    words = sa.table('sensitive_words', sa.column('word', sa.String), sa.column('form', sa.String),
                     sa.column('action', sa.String), sa.column('created_at', sa.DateTime))
    seeded = datetime.now(UTC)
    op.bulk_insert(words, [{'word': word, 'form': word, 'action': action, 'created_at': seeded}
                           for word, action in DEFAULT_WORDS])
    op.create_table('moderation_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('moderation_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moderation_decisions_post_id'), ['post_id'],
                              unique=False)

    op.create_table('post_flags',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ),
    sa.PrimaryKeyConstraint('post_id', 'account_id')
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), server_default='visible',
                                      nullable=False))
        batch_op.add_column(sa.Column('held_for', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('flags', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_posts_author_created', ['author_id', 'created_at'],
                              unique=False)

    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moderation', sa.String(length=16), server_default='none',
                                      nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.drop_column('moderation')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_author_created')
        batch_op.drop_column('flags')
        batch_op.drop_column('held_for')
        batch_op.drop_column('state')

    op.drop_table('post_flags')
    with op.batch_alter_table('moderation_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderation_decisions_post_id'))

    op.drop_table('moderation_decisions')
    op.drop_table('sensitive_words')
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_search_terms_doc')

    op.drop_table('search_terms')
    with op.batch_alter_table('search_docs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_docs_space_id'))

    op.drop_table('search_docs')
