"""Alembic's entry point for the store's migrations, run programmatically by checker.store.db.

The caller hands over a connection that is already inside the transaction holding the store's
schema lock (config.attributes["connection"]); the migrations run in it, so two processes that
open a new store at once never both create it. There is no offline (SQL script) mode.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
