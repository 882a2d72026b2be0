"""Fixtures of the catalog tests: a user per role."""

from __future__ import annotations

import pytest

from stockhouse.runtime import Runtime
from tests.catalog.factories import People, make_people


@pytest.fixture
def people(runtime: Runtime) -> People:
    return make_people(runtime)
