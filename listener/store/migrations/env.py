"""Alembic environment: the engine comes from the caller (listener.store.db), not a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from listener.store.models import Base

config = context.config
engine: Engine | None = config.attributes.get("engine")
if engine is None:  # `alembic` run by hand: read the URL from the -x option
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("pass the database as: alembic -x url=sqlite:///data/listener.db ...")
    engine = create_engine(url)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
