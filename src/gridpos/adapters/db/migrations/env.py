"""Alembic environment of the server's database.

Run through :mod:`gridpos.adapters.db.migrate`, which hands over a connection of an engine set up
by :func:`gridpos.adapters.db.engine.create_engine_for` (on SQLite: foreign keys on, our own
``BEGIN IMMEDIATE``, so the DDL of a revision is one transaction). Offline mode renders SQL for
the URL in the configuration.
"""

from __future__ import annotations

from alembic import context

from gridpos.adapters.db.tables import metadata

config = context.config

if context.is_offline_mode():
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=bool(url and url.startswith("sqlite")),
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run the migrations through gridpos.adapters.db.migrate")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()
