"""`flask db` (Flask-Migrate) bound on first use: alembic and its templating are a sixth of every start otherwise
(every `flask` command, every web worker), and only migrations need them."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, g
from flask.cli import ScriptInfo, with_appcontext

MIGRATIONS = Path(__file__).parent / "migrations"


def init_migrate(app: Flask):
    """Bind Flask-Migrate to the app (this imports alembic), for `flask db` and for code that runs migrations
    itself (`flask_migrate.upgrade()` in tests and benchmarks); returns the app's migrate configuration."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        from .extensions import db

        Migrate(app, db, directory=str(MIGRATIONS))  # also replaces the lazy `db` group with the real one
    return app.extensions["migrate"]


class LazyMigrateGroup(click.Group):
    """Stands for Flask-Migrate's `db` group until a `flask db ...` command is asked for, then hands over to it."""

    def _real(self, ctx: click.Context) -> click.Group:
        app = ctx.ensure_object(ScriptInfo).load_app()
        init_migrate(app)
        return app.cli.commands["db"]

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real(ctx).list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._real(ctx).get_command(ctx, name)


@click.group("db", cls=LazyMigrateGroup)
@click.option("-d", "--directory", default=None, help='Migration script directory (default is "migrations")')
@click.option("-x", "--x-arg", multiple=True, help="Additional arguments consumed by custom env.py scripts")
@with_appcontext
def lazy_db(directory, x_arg) -> None:
    """Perform database migrations (Flask-Migrate)."""
    g.directory = directory  # what Flask-Migrate's own group callback does; its commands read them
    g.x_arg = x_arg


def register(app: Flask) -> None:
    """Offer `flask db` without importing alembic yet."""
    app.cli.add_command(lazy_db)
