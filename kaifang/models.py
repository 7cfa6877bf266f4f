"""Every domain's models, imported so that the metadata (and Alembic) knows all tables."""

import importlib
import pkgutil

import kaifang
from kaifang.db import Base

DOMAINS = [m.name for m in pkgutil.iter_modules(kaifang.__path__) if m.ispkg]


def load_all_models() -> type[Base]:
    for name in DOMAINS:
        try:
            importlib.import_module(f"kaifang.{name}.models")
        except ModuleNotFoundError as exc:
            if exc.name != f"kaifang.{name}.models":
                raise
    return Base


def load_all_jobs() -> None:
    importlib.import_module("kaifang.tasks.jobs")
    for name in DOMAINS:
        try:
            importlib.import_module(f"kaifang.{name}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"kaifang.{name}.tasks":
                raise
