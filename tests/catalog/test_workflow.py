"""The review workflow: who may move an item from which status to which, and its history."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role, User
from stockhouse.catalog import workflow
from stockhouse.catalog.models import ItemStatus, MediaItem
from stockhouse.catalog.service import get_item
from stockhouse.errors import Conflict, DomainError, InvalidParameter, PermissionDenied
from stockhouse.runtime import Runtime
from tests.catalog.factories import People, add_item, make_item

Transition = Callable[[Session, User, MediaItem], MediaItem]

TRANSITIONS: dict[str, Transition] = {
    "submit": workflow.submit,
    "approve": workflow.approve,
    "reject": lambda s, u, i: workflow.reject(s, u, i, "blurry"),
    "archive": workflow.archive,
    "block": lambda s, u, i: workflow.block(s, u, i, "copyright claim"),
}

# (transition, from status, to status): the only moves the workflow allows.
ALLOWED_MOVES = {
    ("submit", ItemStatus.UPLOADED): ItemStatus.PENDING,
    ("submit", ItemStatus.REJECTED): ItemStatus.PENDING,
    ("approve", ItemStatus.PENDING): ItemStatus.ACTIVE,
    ("reject", ItemStatus.PENDING): ItemStatus.REJECTED,
    ("archive", ItemStatus.ACTIVE): ItemStatus.ARCHIVED,
    **{("block", s): ItemStatus.BLOCKED for s in ItemStatus if s != ItemStatus.BLOCKED},
}

# Who may make each transition (when the status allows it).
MAY = {
    "submit": {"owner"},
    "approve": {"reviewer", "admin"},
    "reject": {"reviewer", "admin"},
    "archive": {"owner", "admin"},
    "block": {"admin"},
}
ROLES = ("owner", "other", "reviewer", "admin", "buyer")


def attempt(
    runtime: Runtime, transition: str, actor: User, item_id: int
) -> ItemStatus | DomainError:
    """Run one transition in its own transaction: the new status, or the refusal."""
    try:
        with runtime.db.session() as session:
            item = get_item(session, item_id)
            return TRANSITIONS[transition](session, actor, item).status
    except DomainError as exc:
        return exc


def status_of(runtime: Runtime, item_id: int) -> ItemStatus:
    with runtime.db.read_session() as session:
        return get_item(session, item_id).status


@pytest.mark.parametrize("transition", sorted(TRANSITIONS))
def test_each_transition_is_allowed_only_from_its_statuses(
    runtime: Runtime, people: People, transition: str
) -> None:
    actor = people.admin if transition in ("approve", "reject", "block") else people.owner
    for start in ItemStatus:
        item_id = add_item(runtime, people.owner, status=start)
        outcome = attempt(runtime, transition, actor, item_id)
        expected = ALLOWED_MOVES.get((transition, start))
        if expected is None:
            assert isinstance(outcome, Conflict), (start, outcome)
            assert f"is {start.value}" in outcome.message
            assert status_of(runtime, item_id) == start
        else:
            assert outcome == expected, (start, outcome)
            assert status_of(runtime, item_id) == expected


@pytest.mark.parametrize(
    ("transition", "start"),
    [
        ("submit", ItemStatus.UPLOADED),
        ("approve", ItemStatus.PENDING),
        ("reject", ItemStatus.PENDING),
        ("archive", ItemStatus.ACTIVE),
        ("block", ItemStatus.ACTIVE),
    ],
)
def test_only_the_right_roles_may_make_a_transition(
    runtime: Runtime, people: People, transition: str, start: ItemStatus
) -> None:
    for role in ROLES:
        item_id = add_item(runtime, people.owner, status=start)
        outcome = attempt(runtime, transition, getattr(people, role), item_id)
        if role in MAY[transition]:
            assert outcome == ALLOWED_MOVES[(transition, start)], (role, outcome)
        else:
            assert isinstance(outcome, PermissionDenied), (role, outcome)
            assert status_of(runtime, item_id) == start


@pytest.mark.parametrize("transition", ["approve", "reject"])
def test_a_reviewer_may_not_review_their_own_item(
    runtime: Runtime, people: People, transition: str
) -> None:
    with runtime.db.session() as session:
        accounts.set_roles(
            session, session.merge(people.reviewer), [Role.REVIEWER, Role.CONTRIBUTOR]
        )
    item_id = add_item(runtime, people.reviewer, status=ItemStatus.PENDING)
    outcome = attempt(runtime, transition, people.reviewer, item_id)
    assert isinstance(outcome, PermissionDenied)
    assert "own item" in outcome.message
    assert status_of(runtime, item_id) == ItemStatus.PENDING


def test_an_admin_may_not_review_their_own_item_either(runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.admin, status=ItemStatus.PENDING)
    assert isinstance(attempt(runtime, "approve", people.admin, item_id), PermissionDenied)


def test_a_rejection_needs_a_reason(runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    for reason in ("", "   ", "\n\t"):
        with pytest.raises(InvalidParameter) as raised, runtime.db.session() as session:
            workflow.reject(session, people.reviewer, get_item(session, item_id), reason)
        assert raised.value.name == "reason"
    assert status_of(runtime, item_id) == ItemStatus.PENDING


def test_approval_records_reviewer_and_publication_time(runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    with runtime.db.session() as session:
        item = workflow.approve(session, people.reviewer, get_item(session, item_id))
        assert item.reviewed_by == people.reviewer.id
        assert item.reviewed_at is not None
        assert item.published_at == item.reviewed_at
        assert item.visible is True
        assert item.rejection_reason is None


def test_rejection_keeps_the_reason_on_the_item(runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    with runtime.db.session() as session:
        workflow.reject(session, people.reviewer, get_item(session, item_id), "  Too noisy.  ")
    with runtime.db.read_session() as session:
        item = get_item(session, item_id)
        assert item.status == ItemStatus.REJECTED
        assert item.rejection_reason == "Too noisy."
        assert item.reviewed_by == people.reviewer.id
        assert item.published_at is None


def test_archiving_and_blocking_hide_the_item(runtime: Runtime, people: People) -> None:
    archived = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    blocked = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    attempt(runtime, "archive", people.owner, archived)
    attempt(runtime, "block", people.admin, blocked)
    with runtime.db.read_session() as session:
        assert get_item(session, archived).visible is False
        assert get_item(session, blocked).visible is False


def test_history_records_every_change_with_who_when_and_why(
    runtime: Runtime, people: People
) -> None:
    item_id = add_item(runtime, people.owner)
    steps = [
        ("submit", people.owner),
        ("reject", people.reviewer),
        ("submit", people.owner),
        ("approve", people.admin),
        ("archive", people.owner),
        ("block", people.admin),
    ]
    for transition, actor in steps:
        assert not isinstance(attempt(runtime, transition, actor, item_id), DomainError)
    with runtime.db.read_session() as session:
        changes = workflow.history(session, get_item(session, item_id))
        rows = [(c.from_status, c.to_status, c.by_user_id, c.reason) for c in changes]
        times = [c.at for c in changes]
    assert rows == [
        ("uploaded", "pending", people.owner.id, None),
        ("pending", "rejected", people.reviewer.id, "blurry"),
        ("rejected", "pending", people.owner.id, None),
        ("pending", "active", people.admin.id, None),
        ("active", "archived", people.owner.id, None),
        ("archived", "blocked", people.admin.id, "copyright claim"),
    ]
    assert times == sorted(times)


def test_a_refused_transition_leaves_no_history(runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    attempt(runtime, "submit", people.owner, item_id)
    attempt(runtime, "approve", people.owner, item_id)
    with runtime.db.read_session() as session:
        assert workflow.history(session, get_item(session, item_id)) == []


def test_submit_all_uploaded_submits_only_the_owners_uploaded_items(
    runtime: Runtime, people: People
) -> None:
    mine = [add_item(runtime, people.owner) for _ in range(3)]
    rejected = add_item(runtime, people.owner, status=ItemStatus.REJECTED)
    theirs = add_item(runtime, people.other)
    with runtime.db.session() as session:
        submitted = workflow.submit_all_uploaded(session, people.owner)
    assert submitted == mine
    assert [status_of(runtime, i) for i in mine] == [ItemStatus.PENDING] * 3
    assert status_of(runtime, rejected) == ItemStatus.REJECTED
    assert status_of(runtime, theirs) == ItemStatus.UPLOADED
    with runtime.db.session() as session:
        assert workflow.submit_all_uploaded(session, people.owner) == []


def test_resubmitting_a_rejected_item_sets_a_new_submission_time(
    runtime: Runtime, people: People
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    with runtime.db.session() as session:
        first = get_item(session, item_id).submitted_at
    attempt(runtime, "reject", people.reviewer, item_id)
    attempt(runtime, "submit", people.owner, item_id)
    with runtime.db.read_session() as session:
        second = get_item(session, item_id).submitted_at
    assert first is not None and second is not None and second > first


def test_a_decision_made_meanwhile_is_seen_before_deciding_again(
    runtime: Runtime, people: People
) -> None:
    if runtime.db.dialect == "sqlite":
        pytest.skip("SQLite's write lock already keeps a second writer waiting")
    item_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    with runtime.db.session() as session:
        item = get_item(session, item_id)
        assert attempt(runtime, "approve", people.reviewer, item_id) == ItemStatus.ACTIVE
        with pytest.raises(Conflict):
            workflow.reject(session, people.admin, item, "late")
    with runtime.db.read_session() as session:
        assert [c.to_status for c in workflow.history(session, get_item(session, item_id))] == [
            "active"
        ]


def test_review_queue_lists_pending_items_oldest_first(runtime: Runtime, people: People) -> None:
    with runtime.db.session() as session:
        pending = [
            make_item(session, runtime.blobs, people.owner, status=ItemStatus.PENDING).id
            for _ in range(3)
        ]
        make_item(session, runtime.blobs, people.owner, status=ItemStatus.UPLOADED)
        make_item(session, runtime.blobs, people.owner, status=ItemStatus.ACTIVE)
    with runtime.db.read_session() as session:
        queue = workflow.review_queue(session, people.reviewer)
        assert [i.id for i in queue] == pending
        assert [
            i.id for i in workflow.review_queue(session, people.reviewer, limit=1, offset=1)
        ] == pending[1:2]


def test_review_queue_is_for_reviewers_only(runtime: Runtime, people: People) -> None:
    with pytest.raises(PermissionDenied), runtime.db.read_session() as session:
        workflow.review_queue(session, people.owner)
