"""The price sort on every backend: items order by their "from" price under the default
price list (commerce.prices.from_prices), ties newest id first, reversed exactly.

Runs on its own copy of conftest.py's catalog, with sizes given to some items and the
default licenses and prices in place; the other items are not for sale (price 0).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stockhouse.catalog.models import SizeOption
from stockhouse.commerce.prices import ensure_default_licenses_and_prices
from stockhouse.search.query import parse_sort
from tests.search.conftest import BACKENDS, SEARCHABLE, SearchEnv, open_env

# Item -> its sizes; the "from" price in cents by the default standard licenses.
SIZES = {
    "cat_sofa": ["xl"],  # 1000
    "dog_beach": ["s", "m", "l"],  # 100
    "lighthouse": ["m", "l"],  # 300
    "harbour": ["m"],  # 300
    "mountain": ["vect"],  # 1000
    "aerial_city": ["720", "1080"],  # 2000
    "ocean_waves": ["240"],  # 500
}
# piano and door_slam are audio: the file as uploaded, 2000. Ties: newest id first.
PRICED_CHEAPEST_FIRST = [
    "dog_beach",
    "harbour",
    "lighthouse",
    "ocean_waves",
    "mountain",
    "cat_sofa",
    "door_slam",
    "piano",
    "aerial_city",
]


@pytest.fixture(scope="module", params=BACKENDS)
def priced_env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[SearchEnv]:
    """The catalog with SIZES and default prices, reindexed item by item."""
    engine, backend_name = request.param
    with open_env(request, tmp_path_factory, sqlite_template, engine, backend_name) as env:
        with env.runtime.db.session() as session:
            ensure_default_licenses_and_prices(session)
            for name, codes in SIZES.items():
                item_id = env.catalog.id(name)
                for position, code in enumerate(codes):
                    session.add(SizeOption(item_id=item_id, code=code, position=position))
        env.backend.index_items(list(env.catalog.ids.values()))
        yield env


def by_price(env: SearchEnv, sort: str = "price") -> list[str]:
    return env.search(sort=parse_sort(sort))


def unpriced_newest_first(env: SearchEnv) -> list[str]:
    unpriced = [name for name in SEARCHABLE if name not in PRICED_CHEAPEST_FIRST]
    return sorted(unpriced, key=env.catalog.id, reverse=True)


def test_price_orders_cheapest_first_with_unpriced_items_at_zero(priced_env: SearchEnv) -> None:
    assert by_price(priced_env) == [*unpriced_newest_first(priced_env), *PRICED_CHEAPEST_FIRST]


def test_reversed_price_is_the_cheapest_first_order_read_backwards(
    priced_env: SearchEnv,
) -> None:
    assert by_price(priced_env, "-price") == list(reversed(by_price(priced_env)))
    assert by_price(priced_env, "-price")[0] == "aerial_city"


def test_a_rebuild_keeps_the_prices(priced_env: SearchEnv) -> None:
    before = by_price(priced_env)
    priced_env.backend.rebuild()
    assert by_price(priced_env) == before
