"""Imports every capability's models so that metadata (and Alembic) sees all tables."""

from stockhouse.accounts import models as accounts_models
from stockhouse.catalog import models as catalog_models
from stockhouse.commerce import models as commerce_models
from stockhouse.compat import photolist_models
from stockhouse.db.base import Base
from stockhouse.generation import models as generation_models

__all__ = [
    "Base",
    "accounts_models",
    "catalog_models",
    "commerce_models",
    "generation_models",
    "photolist_models",
]
