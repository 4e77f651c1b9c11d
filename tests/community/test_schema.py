"""The migrations build exactly the tables the models declare, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from shequn.community.models import Base
from shequn.community.store import MIGRATIONS, Store


def test_migrated_database_equals_the_models(store: Store) -> None:
    with store.writer.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_migrating_twice_changes_nothing(store: Store) -> None:
    store.migrate()
    with store.writer.connect() as connection:
        context = MigrationContext.configure(connection)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        newest = ScriptDirectory.from_config(config).get_current_head()
        assert context.get_current_heads() == (newest,)
        assert compare_metadata(context, Base.metadata) == []
