"""The generator's rules: what a request may ask, the job's steps, and what callers see."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from stockhouse.accounts import service as accounts
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind, Upload
from stockhouse.errors import Conflict, InvalidParameter, NotFound
from stockhouse.generation import service
from stockhouse.generation.models import GenerationJob, GenerationStatus, PurchaseStatus
from stockhouse.generation.service import GenerationRequest
from stockhouse.runtime import Runtime
from tests.generation.conftest import TEST_LONG_EDGE

PROMPT = "golden wheat field under a blue sky"


@pytest.fixture
def bea(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return accounts.create_user(session, username="bea", password=None).id


@pytest.fixture
def cal(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return accounts.create_user(session, username="cal", password=None).id


def job_id_of(runtime: Runtime, job_uuid: str) -> int:
    with runtime.db.read_session() as session:
        return int(
            session.scalars(select(GenerationJob.id).where(GenerationJob.uuid == job_uuid)).one()
        )


def ask(runtime: Runtime, user_id: int, **fields: str) -> service.GenerationView:
    wish = GenerationRequest(**{"prompt": PROMPT, "base_url": "http://shop.test", **fields})
    return service.create_generation(runtime, user_id, wish)


# -- the request ----------------------------------------------------------------------------


def test_a_prompt_of_400_characters_is_accepted_and_401_refused() -> None:
    assert service.validate_request(GenerationRequest(prompt="p" * 400), ()).prompt == "p" * 400
    with pytest.raises(InvalidParameter) as refused:
        service.validate_request(GenerationRequest(prompt="p" * 401), ())
    assert refused.value.name == "prompt"


@pytest.mark.parametrize("prompt", ["", "   ", "a\x07bell"])
def test_an_empty_prompt_or_one_with_control_characters_is_refused(prompt: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        service.validate_request(GenerationRequest(prompt=prompt), ())
    assert refused.value.name == "prompt"


@pytest.mark.parametrize("ratio", ["1:2", "16:10", "1:1 ", "x", "16/9"])
def test_an_aspect_ratio_outside_the_documented_list_is_refused(ratio: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        service.validate_request(GenerationRequest(prompt=PROMPT, aspect_ratio=ratio), ())
    assert refused.value.name == "aspect_ratio"


@pytest.mark.parametrize("medium", ["Art", "video", "painting"])
def test_a_medium_other_than_art_or_photography_is_refused(medium: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        service.validate_request(GenerationRequest(prompt=PROMPT, medium=medium), ())
    assert refused.value.name == "medium"


def test_ratio_and_medium_default_to_square_photography() -> None:
    checked = service.validate_request(GenerationRequest(prompt=PROMPT), ())
    assert (checked.aspect_ratio, checked.medium) == ("1:1", "photography")


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost:8080/hook",
        "http://127.0.0.1/hook",
        "http://[::1]/hook",
        "http://2130706433/hook",
        "ftp://example.com/hook",
        "not a url",
    ],
)
def test_a_callback_to_a_private_local_or_odd_address_is_refused(url: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        service.validate_request(GenerationRequest(prompt=PROMPT, callback_url=url), ())
    assert refused.value.name == "callback_url"


def test_an_allowlisted_private_callback_is_accepted() -> None:
    wish = GenerationRequest(prompt=PROMPT, callback_url="http://127.0.0.1:9/hook")
    assert (
        service.validate_request(wish, ("127.0.0.1/32",)).callback_url == "http://127.0.0.1:9/hook"
    )


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("1:1", (2048, 2048)),
        ("2:3", (1365, 2048)),
        ("3:2", (2048, 1365)),
        ("3:4", (1536, 2048)),
        ("4:3", (2048, 1536)),
        ("4:5", (1638, 2048)),
        ("5:4", (2048, 1638)),
        ("9:16", (1152, 2048)),
        ("16:9", (2048, 1152)),
    ],
)
def test_each_documented_ratio_has_its_picture_size(ratio: str, size: tuple[int, int]) -> None:
    assert service.picture_size(ratio, 2048) == size


def test_prompt_tags_are_its_words_then_ai_generated_and_the_medium() -> None:
    tags = service.prompt_tags("A golden wheat field, under the blue sky; wheat!", "art")
    assert tags == ["golden", "wheat", "field", "blue", "sky", "ai generated", "art"]


# -- the job ------------------------------------------------------------------------------


def test_a_new_job_is_new_and_deferred_with_four_empty_items(runtime: Runtime, bea: int) -> None:
    view = ask(runtime, bea)

    assert (view.status, view.purchase_status) == (GenerationStatus.NEW, PurchaseStatus.DEFERRED)
    assert [(i.position, i.media_item_id, i.preview_path) for i in view.items] == [
        (0, None, None),
        (1, None, None),
        (2, None, None),
        (3, None, None),
    ]
    assert len({i.uuid for i in view.items} | {view.uuid}) == 5


def test_drawn_pictures_show_previews_before_they_are_catalog_items(
    runtime: Runtime, bea: int
) -> None:
    view = ask(runtime, bea, aspect_ratio="16:9")
    job_id = job_id_of(runtime, view.uuid)

    service.draw_pictures(runtime, job_id)

    drawn = service.get_generation(runtime, bea, view.uuid)
    assert all(
        i.preview_path and i.preview_path.startswith("/v1/generations/previews/")
        for i in drawn.items
    )
    assert [i.media_item_id for i in drawn.items] == [None] * 4
    assert {(i.width, i.height) for i in drawn.items} == {(TEST_LONG_EDGE, 360)}


def test_a_finished_job_is_completed_paid_with_four_published_ai_items(
    runtime: Runtime, bea: int
) -> None:
    view = ask(runtime, bea, medium="art", aspect_ratio="3:4")

    assert (
        service.run_generation(runtime, job_id_of(runtime, view.uuid)) == GenerationStatus.COMPLETED
    )

    done = service.get_generation(runtime, bea, view.uuid)
    assert (done.status, done.purchase_status) == (GenerationStatus.COMPLETED, PurchaseStatus.PAID)
    ids = [i.media_item_id for i in done.items]
    assert None not in ids and len(set(ids)) == 4
    system = service.system_contributor_id(runtime)
    with runtime.db.read_session() as session:
        items = [session.get_one(MediaItem, item_id) for item_id in ids]
        owner = accounts.get_user(session, system)
        assert owner.username == "ai-generator"
        for item in items:
            assert item.ai_generated is True
            assert (item.status, item.visible, item.owner_id) == (ItemStatus.ACTIVE, True, system)
            assert item.kind == MediaKind.ILLUSTRATION
            assert (item.width, item.height) == (480, TEST_LONG_EDGE)
            assert item.title == PROMPT
            assert item.tag_names()[:3] == ["golden", "wheat", "field"]
            assert "ai generated" in item.tag_names()
            assert {s.code for s in item.sizes} >= {"s", "xl", "el0"}


def test_photography_makes_photos(runtime: Runtime, bea: int) -> None:
    view = ask(runtime, bea, medium="photography")
    service.run_generation(runtime, job_id_of(runtime, view.uuid))

    ids = [i.media_item_id for i in service.get_generation(runtime, bea, view.uuid).items]
    with runtime.db.read_session() as session:
        kinds = {session.get_one(MediaItem, item_id).kind for item_id in ids if item_id}
    assert kinds == {MediaKind.PHOTO}


def test_running_a_job_again_makes_no_second_set_of_items(runtime: Runtime, bea: int) -> None:
    view = ask(runtime, bea)
    job_id = job_id_of(runtime, view.uuid)
    service.draw_pictures(runtime, job_id)
    service.publish_pictures(runtime, job_id)

    service.run_generation(runtime, job_id)
    service.run_generation(runtime, job_id)

    with runtime.db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(MediaItem)) == 4
        assert session.scalar(select(func.count()).select_from(Upload)) == 4


def test_another_users_job_and_items_are_not_found(runtime: Runtime, bea: int, cal: int) -> None:
    view = ask(runtime, bea)
    service.run_generation(runtime, job_id_of(runtime, view.uuid))

    with pytest.raises(NotFound):
        service.get_generation(runtime, cal, view.uuid)
    with pytest.raises(NotFound):
        service.generated_item_id(runtime, cal, view.items[0].uuid)
    assert service.generated_item_id(runtime, bea, view.items[0].uuid) > 0


def test_an_item_that_is_not_in_the_catalog_yet_is_a_conflict(runtime: Runtime, bea: int) -> None:
    view = ask(runtime, bea)

    with pytest.raises(Conflict):
        service.generated_item_id(runtime, bea, view.items[0].uuid)


@pytest.mark.parametrize("bad", ["", "x", "' OR 1=1 --", "../../etc/passwd", "1" * 5000])
def test_a_malformed_uuid_is_an_invalid_parameter(runtime: Runtime, bea: int, bad: str) -> None:
    with pytest.raises(InvalidParameter):
        service.get_generation(runtime, bea, bad)
