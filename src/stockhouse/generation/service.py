"""The AI image generator's rules: asking for pictures, making them, and who sees what.

A request (prompt of at most 400 characters, an aspect ratio from ASPECT_RATIOS, a medium
from MEDIUMS, an optional callback URL) becomes a GenerationJob with four GeneratedItems,
and a background job (`jobs.run_generation_job`) takes it through its steps:

    new --> processing --(pictures drawn: previews)--(catalog items)--> completed, paid
                       \\--> failed (with a reason)

1. `draw_pictures`: the backend draws the four pictures; each original and a 1024 px
   preview are stored as blobs. From here `previewUrl` (a signed, temporary link served
   by Stockhouse) is shown.
2. `publish_pictures`: each original goes through the normal ingest pipeline as an upload
   of the system "AI generator" contributor; the item is flagged AI-generated, titled and
   tagged from the prompt, and published at once (no human review: the generator is the
   platform's own contributor). From here `dpItemId` is shown and the item can be
   licensed like any other.
3. `finish`: completed, purchase status paid (generating is covered by the API plan;
   licensing an item is charged as usual), and the callback is queued when one was given.

Every step is idempotent (delivery of jobs is at-least-once): a picture already stored is
not drawn again, an upload already made is not received again, an item already published
is left alone.
"""

from __future__ import annotations

import logging
import re
import uuid as uuid_lib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyvips
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role, User
from stockhouse.catalog.models import ItemStatus, ItemTag, MediaItem, MediaKind, UploadState
from stockhouse.catalog.translations import clean_text
from stockhouse.catalog.workflow import record_status_change
from stockhouse.db.base import utcnow
from stockhouse.errors import Conflict, InvalidParameter, NotFound
from stockhouse.generation import callbacks
from stockhouse.generation.backends import BackendError, RenderRequest, open_backend
from stockhouse.generation.models import (
    CallbackState,
    GeneratedItem,
    GenerationJob,
    GenerationStatus,
    PurchaseStatus,
)
from stockhouse.signing import LinkSigner

if TYPE_CHECKING:
    from stockhouse.config import Settings
    from stockhouse.runtime import Runtime

log = logging.getLogger("stockhouse.generation")

MAX_PROMPT_CHARS = 400
ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9")
MEDIUMS = ("art", "photography")
DEFAULT_ASPECT_RATIO = "1:1"
DEFAULT_MEDIUM = "photography"
ITEMS_PER_JOB = 4
MAX_GENERATION_ATTEMPTS = 4
PREVIEW_EDGE = 1024
PREVIEW_QUALITY = 85
ORIGINAL_QUALITY = 92
PREVIEW_LINK_TTL = timedelta(hours=1)
PREVIEW_RETENTION = timedelta(days=1)  # previews are temporary; the catalog item stays
PREVIEW_PATH = "/v1/generations/previews/{uuid}.jpg"
CATALOG_PREVIEW = "preview_neutral"  # what previewUrl shows once the temporary one is gone
SYSTEM_USERNAME = "ai-generator"
MAX_TAGS = 25
MIN_TAG_CHARS = 3
TITLE_CHARS = 200
MAX_PICTURE_PIXELS = 64_000_000  # a backend's answer larger than this is refused
KIND_BY_MEDIUM = {"art": MediaKind.ILLUSTRATION, "photography": MediaKind.PHOTO}
STOP_WORDS = frozenset(
    {"a", "an", "and", "the", "of", "in", "on", "at", "to", "with", "for", "from", "by"}
    | {"into", "over", "under", "near", "its", "it", "is", "are", "as", "or", "this", "that"}
    | {"these", "those", "very", "some"}
)
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# -- asking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationRequest:
    """A caller's wish: the prompt and how the pictures should look; where to call back.

    `callback_format` names the API the caller speaks (the payload posted to the callback);
    `base_url` is the server's address as the caller sees it (for links in the callback).
    """

    prompt: str
    aspect_ratio: str | None = None
    medium: str | None = None
    callback_url: str | None = None
    callback_format: str = callbacks.NATIVE_FORMAT
    base_url: str = ""


def validate_request(
    request: GenerationRequest, fetch_allowlist: tuple[str, ...]
) -> GenerationRequest:
    """The request with defaults filled in; InvalidParameter naming the first bad field."""
    prompt = clean_text("prompt", request.prompt or "", 100_000)
    if not prompt:
        raise InvalidParameter("prompt", "prompt is required and cannot be empty")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidParameter("prompt", f"prompt must be at most {MAX_PROMPT_CHARS} characters")
    ratio = request.aspect_ratio or DEFAULT_ASPECT_RATIO
    if ratio not in ASPECT_RATIOS:
        raise InvalidParameter(
            "aspect_ratio", f"aspect ratio must be one of {', '.join(ASPECT_RATIOS)}"
        )
    medium = request.medium or DEFAULT_MEDIUM
    if medium not in MEDIUMS:
        raise InvalidParameter("medium", f"medium must be one of {', '.join(MEDIUMS)}")
    callback_url = request.callback_url.strip() if request.callback_url else None
    if callback_url:
        callbacks.check_callback_url(callback_url, fetch_allowlist)
    return GenerationRequest(
        prompt, ratio, medium, callback_url or None, request.callback_format, request.base_url
    )


def record_generation(
    session: Session, settings: Settings, user_id: int, request: GenerationRequest
) -> GenerationJob:
    """Check `request` and add its job (new, deferred, four empty items) to `session`.

    The caller commits, then queues the job (`queue_generation`).
    """
    checked = validate_request(request, settings.fetch_allowlist)
    if session.get(User, user_id) is None:
        raise NotFound(f"user {user_id} does not exist")
    job = GenerationJob(
        uuid=str(uuid_lib.uuid4()),
        user_id=user_id,
        prompt=checked.prompt,
        aspect_ratio=checked.aspect_ratio,
        medium=checked.medium,
        backend=settings.generation_backend,
        status=GenerationStatus.NEW,
        purchase_status=PurchaseStatus.DEFERRED,
        base_url=checked.base_url[:300],
        callback_url=checked.callback_url,
        callback_format=checked.callback_format,
        callback_state=CallbackState.PENDING if checked.callback_url else None,
        attempts=0,
        callback_attempts=0,
    )
    job.items = [
        GeneratedItem(uuid=str(uuid_lib.uuid4()), position=position)
        for position in range(ITEMS_PER_JOB)
    ]
    session.add(job)
    session.flush()
    return job


def create_generation(runtime: Runtime, user_id: int, request: GenerationRequest) -> GenerationView:
    """Record a job for `request` (checked), commit it and queue its background job."""
    with runtime.db.session() as session:
        job = record_generation(session, runtime.settings, user_id, request)
        view = view_of(runtime, job)
        job_id = job.id
    queue_generation(runtime, job_id)
    return view


def queue_generation(runtime: Runtime, job_id: int) -> None:
    from stockhouse.generation.jobs import run_generation_job

    runtime.jobs.enqueue(run_generation_job, job_id)


# -- looking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedItemView:
    """One picture as a caller sees it; links are paths on this server (or None)."""

    uuid: str
    position: int
    media_item_id: int | None
    preview_path: str | None
    width: int | None
    height: int | None


@dataclass(frozen=True)
class GenerationView:
    """A job as a caller sees it."""

    uuid: str
    prompt: str
    aspect_ratio: str
    medium: str
    status: GenerationStatus
    purchase_status: PurchaseStatus
    failure_reason: str | None
    created_at: datetime
    finished_at: datetime | None
    base_url: str
    callback_url: str | None
    callback_state: CallbackState | None
    items: list[GeneratedItemView] = field(default_factory=list)

    def absolute(self, path: str | None) -> str | None:
        return None if path is None else self.base_url.rstrip("/") + path

    def as_dict(self) -> dict[str, Any]:
        """The native JSON form (also the native callback's body)."""
        return {
            "uuid": self.uuid,
            "prompt": self.prompt,
            "aspect_ratio": self.aspect_ratio,
            "medium": self.medium,
            "status": self.status.value,
            "purchase_status": self.purchase_status.value,
            "failure_reason": self.failure_reason,
            "created_at": self.created_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "callback_url": self.callback_url,
            "callback_state": self.callback_state.value if self.callback_state else None,
            "items": [
                {
                    "uuid": item.uuid,
                    "item_id": item.media_item_id,
                    "preview_url": self.absolute(item.preview_path),
                    "width": item.width,
                    "height": item.height,
                }
                for item in self.items
            ],
        }


def view_of(runtime: Runtime, job: GenerationJob, *, now: datetime | None = None) -> GenerationView:
    moment = now or utcnow()
    signer = LinkSigner(runtime.settings.secret_key)
    temporary = moment < job.created_at + PREVIEW_RETENTION
    items = [
        GeneratedItemView(
            uuid=item.uuid,
            position=item.position,
            media_item_id=item.media_item_id,
            preview_path=_preview_path(signer, item, temporary, moment),
            width=item.width,
            height=item.height,
        )
        for item in job.items
    ]
    return GenerationView(
        uuid=job.uuid,
        prompt=job.prompt,
        aspect_ratio=job.aspect_ratio,
        medium=job.medium,
        status=job.status,
        purchase_status=job.purchase_status,
        failure_reason=job.failure_reason,
        created_at=job.created_at,
        finished_at=job.finished_at,
        base_url=job.base_url,
        callback_url=job.callback_url,
        callback_state=job.callback_state,
        items=items,
    )


def _preview_path(
    signer: LinkSigner, item: GeneratedItem, temporary: bool, now: datetime
) -> str | None:
    """The signed temporary preview while it lasts; then the catalog item's preview."""
    if item.preview_blob is not None and temporary:
        path = PREVIEW_PATH.format(uuid=item.uuid)
        return signer.signed_path(path, PREVIEW_LINK_TTL, now=now)[0]
    if item.media_item_id is not None:
        return f"/media/{item.media_item_id}/{CATALOG_PREVIEW}"
    return None


def _checked_uuid(name: str, value: str) -> str:
    text = (value or "").strip().lower()
    if not _UUID.fullmatch(text):
        raise InvalidParameter(
            name, f"{name} must be a uuid like 3524139b-20c7-4cda-8860-8ede3f79306d"
        )
    return text


def get_generation(runtime: Runtime, user_id: int, job_uuid: str) -> GenerationView:
    """The caller's own job; NotFound for anyone else's (it is not theirs to know of)."""
    wanted = _checked_uuid("uuid", job_uuid)
    with runtime.db.read_session() as session:
        job = session.scalar(
            select(GenerationJob).where(
                GenerationJob.uuid == wanted, GenerationJob.user_id == user_id
            )
        )
        if job is None:
            raise NotFound(f"no generation {wanted}")
        return view_of(runtime, job)


def generated_item_id(runtime: Runtime, user_id: int, item_uuid: str) -> int:
    """The catalog item id of one of the caller's generated pictures.

    NotFound for another user's picture or an unknown uuid; Conflict while the picture
    is not a catalog item yet.
    """
    wanted = _checked_uuid("uuid", item_uuid)
    with runtime.db.read_session() as session:
        row = session.execute(
            select(GeneratedItem.media_item_id)
            .join(GenerationJob, GenerationJob.id == GeneratedItem.job_id)
            .where(GeneratedItem.uuid == wanted, GenerationJob.user_id == user_id)
        ).one_or_none()
    if row is None:
        raise NotFound(f"no generated item {wanted}")
    if row[0] is None:
        raise Conflict(
            f"generated item {wanted} is not ready yet; ask again when the job is completed"
        )
    return int(row[0])


def preview_blob(runtime: Runtime, item_uuid: str) -> str:
    """The blob of a picture's temporary preview (the caller has checked the signed link)."""
    wanted = _checked_uuid("uuid", item_uuid)
    with runtime.db.read_session() as session:
        row = session.execute(
            select(GeneratedItem.preview_blob, GenerationJob.created_at)
            .join(GenerationJob, GenerationJob.id == GeneratedItem.job_id)
            .where(GeneratedItem.uuid == wanted)
        ).one_or_none()
    if row is None or row[0] is None or utcnow() >= row[1] + PREVIEW_RETENTION:
        raise NotFound("this preview does not exist or is no longer available")
    return str(row[0])


# -- making -------------------------------------------------------------------------------


class GenerationFailed(Exception):
    """The job cannot be finished; the message is the reason callers see."""


def picture_size(aspect_ratio: str, long_edge: int) -> tuple[int, int]:
    """Pixel size of a picture of `aspect_ratio` with `long_edge` px on its long side."""
    width_part, height_part = (int(part) for part in aspect_ratio.split(":"))
    if width_part >= height_part:
        return long_edge, round(long_edge * height_part / width_part)
    return round(long_edge * width_part / height_part), long_edge


def run_generation(runtime: Runtime, job_id: int) -> GenerationStatus:
    """Take a job through every remaining step (the body of the background job).

    A backend error that retrying cannot fix, or the last attempt failing, fails the job
    with a reason; other errors propagate, so the job system retries with backoff.
    """
    attempt = _begin(runtime, job_id)
    if attempt is None:
        return _status(runtime, job_id)
    try:
        draw_pictures(runtime, job_id)
        publish_pictures(runtime, job_id)
    except GenerationFailed as exc:
        return _fail(runtime, job_id, str(exc))
    except BackendError as exc:
        if exc.permanent or attempt >= MAX_GENERATION_ATTEMPTS:
            return _fail(runtime, job_id, exc.message)
        raise
    except Exception:
        if attempt >= MAX_GENERATION_ATTEMPTS:
            log.exception("generation %s failed for good", job_id)
            return _fail(runtime, job_id, "the pictures could not be made")
        raise
    return finish(runtime, job_id)


def _begin(runtime: Runtime, job_id: int) -> int | None:
    """Mark the job processing and count the attempt; None if it is finished already."""
    with runtime.db.session() as session:
        job = _locked(session, job_id)
        if job.status in (GenerationStatus.COMPLETED, GenerationStatus.FAILED):
            return None
        job.status = GenerationStatus.PROCESSING
        job.started_at = job.started_at or utcnow()
        job.attempts += 1
        return job.attempts


def _locked(session: Session, job_id: int) -> GenerationJob:
    job = session.scalar(select(GenerationJob).where(GenerationJob.id == job_id).with_for_update())
    if job is None:
        raise NotFound(f"generation job {job_id} does not exist")
    return job


def _status(runtime: Runtime, job_id: int) -> GenerationStatus:
    with runtime.db.read_session() as session:
        return session.get_one(GenerationJob, job_id).status


def draw_pictures(runtime: Runtime, job_id: int) -> None:
    """Have the backend draw the pictures still missing; store originals and previews."""
    with runtime.db.read_session() as session:
        job = session.get_one(GenerationJob, job_id)
        missing = [item.id for item in job.items if item.original_blob is None]
        width, height = picture_size(job.aspect_ratio, runtime.settings.generation_long_edge)
        request = RenderRequest(
            prompt=job.prompt,
            medium=job.medium,
            aspect_ratio=job.aspect_ratio,
            width=width,
            height=height,
            seed=int(uuid_lib.UUID(job.uuid)) % 2**63,
        )
    if not missing:
        return
    backend = open_backend(runtime.settings)
    pictures = backend.generate(request, len(missing))
    if len(pictures) < len(missing):
        raise BackendError(f"the backend drew {len(pictures)} of {len(missing)} pictures")
    stored = [_store_picture(runtime, picture, width, height) for picture in pictures]
    with runtime.db.session() as session:
        for item_id, (original, preview, size) in zip(missing, stored, strict=False):
            item = session.get_one(GeneratedItem, item_id)
            if item.original_blob is None:
                item.original_blob, item.preview_blob = original, preview
                item.width, item.height = size


def _store_picture(
    runtime: Runtime, picture: bytes, width: int, height: int
) -> tuple[str, str, tuple[int, int]]:
    """Store the picture (cropped to the wanted ratio, as JPEG) and its preview; keys, size."""
    try:
        image = pyvips.Image.new_from_buffer(picture, "", access="sequential")
        if image.width * image.height > MAX_PICTURE_PIXELS:
            raise GenerationFailed("the backend drew a picture that is too large")
        image = _to_ratio(image, width / height)
        if image.hasalpha():
            image = image.flatten(background=[255, 255, 255])
        image = image.colourspace("srgb")
        original = image.jpegsave_buffer(Q=ORIGINAL_QUALITY, strip=True)
        preview_image = pyvips.Image.thumbnail_buffer(original, PREVIEW_EDGE, height=PREVIEW_EDGE)
        preview = preview_image.jpegsave_buffer(Q=PREVIEW_QUALITY, strip=True)
    except pyvips.Error:
        raise BackendError("the backend returned a picture that cannot be decoded") from None
    size = (image.width, image.height)
    return runtime.blobs.put_bytes(original).key, runtime.blobs.put_bytes(preview).key, size


def _to_ratio(image: pyvips.Image, ratio: float) -> pyvips.Image:
    """The centre of `image` cut to `ratio` (width / height), when it is not that already."""
    current = image.width / image.height
    if abs(current - ratio) < 0.01:
        return image
    if current > ratio:
        width = max(1, round(image.height * ratio))
        return image.crop((image.width - width) // 2, 0, width, image.height)
    height = max(1, round(image.width / ratio))
    return image.crop(0, (image.height - height) // 2, image.width, height)


def publish_pictures(runtime: Runtime, job_id: int) -> None:
    """Ingest each drawn picture as the AI generator's item and publish it."""
    system_id = system_contributor_id(runtime)
    with runtime.db.read_session() as session:
        job = session.get_one(GenerationJob, job_id)
        pending = [
            (item.id, item.uuid, item.original_blob, item.upload_id)
            for item in job.items
            if item.media_item_id is None
        ]
    for item_id, item_uuid, blob, upload_id in pending:
        if blob is None:
            raise GenerationFailed("a picture is missing")
        if upload_id is None:
            upload_id = _receive(runtime, item_id, item_uuid, blob, system_id)
        media_item_id = _ingest(runtime, upload_id, system_id)
        _publish(runtime, job_id, item_id, media_item_id, system_id)


def _receive(runtime: Runtime, item_id: int, item_uuid: str, blob: str, owner_id: int) -> int:
    from stockhouse.ingest.pipeline import receive_upload

    with runtime.blobs.open(blob) as stream:
        upload = receive_upload(
            runtime, owner_id, stream, f"ai-generated-{item_uuid}.jpg", source="ai", enqueue=False
        )
    with runtime.db.session() as session:
        session.get_one(GeneratedItem, item_id).upload_id = upload.id
    return upload.id


def _ingest(runtime: Runtime, upload_id: int, owner_id: int) -> int:
    """Run the ingest pipeline on the upload; the catalog item it made (or already had)."""
    from stockhouse.ingest.pipeline import ingest_now

    upload = ingest_now(runtime, upload_id)
    if upload.state == UploadState.DONE and upload.item_id is not None:
        return upload.item_id
    if upload.state == UploadState.DUPLICATE and upload.duplicate_of is not None:
        # The same bytes drawn before (a backend without randomness): reuse our own item.
        with runtime.db.read_session() as session:
            existing = session.get(MediaItem, upload.duplicate_of)
            if existing is not None and existing.owner_id == owner_id:
                return existing.id
    raise GenerationFailed(
        f"a picture was refused by the catalog: {upload.reason or upload.state.value}"
    )


def _publish(
    runtime: Runtime, job_id: int, item_id: int, media_item_id: int, system_id: int
) -> None:
    """Flag, describe and publish the catalog item, and link it to the picture (one commit)."""
    with runtime.db.session() as session:
        job = session.get_one(GenerationJob, job_id)
        picture = session.get_one(GeneratedItem, item_id)
        if picture.media_item_id is not None:
            return
        item = session.get_one(MediaItem, media_item_id)
        if item.status in (ItemStatus.UPLOADED, ItemStatus.PENDING):
            _describe(session, item, job)
            _approve(session, item, session.get_one(User, system_id))
        picture.media_item_id = item.id


def _describe(session: Session, item: MediaItem, job: GenerationJob) -> None:
    item.ai_generated = True
    item.kind = KIND_BY_MEDIUM[job.medium]
    one_line = " ".join(job.prompt.split())
    item.title = one_line if len(one_line) <= TITLE_CHARS else one_line[: TITLE_CHARS - 1] + "…"
    item.description = f"AI-generated {job.medium} from the prompt: {one_line}"
    session.query(ItemTag).filter(ItemTag.item_id == item.id).delete()
    for position, tag in enumerate(prompt_tags(job.prompt, job.medium)):
        session.add(ItemTag(item_id=item.id, lang="en", tag=tag, position=position))


def prompt_tags(prompt: str, medium: str) -> list[str]:
    """Keywords for a generated item: the prompt's words, then "ai generated" and the medium."""
    tags: list[str] = []
    for word in _WORD.findall(prompt.lower()):
        if len(word) >= MIN_TAG_CHARS and word not in STOP_WORDS and word not in tags:
            tags.append(word[:50])
    extra = ["ai generated", medium]
    return [*tags[: MAX_TAGS - len(extra)], *(t for t in extra if t not in tags)]


def _approve(session: Session, item: MediaItem, system: User) -> None:
    """Published without a human review: the generator is the platform's own contributor."""
    now = utcnow()
    if item.status == ItemStatus.UPLOADED:
        record_status_change(
            session, item, ItemStatus.PENDING, by=system, reason="AI generator", at=now
        )
        item.submitted_at = now
    record_status_change(
        session,
        item,
        ItemStatus.ACTIVE,
        by=system,
        reason="AI generator: published automatically",
        at=now,
    )
    item.visible = True
    item.reviewed_by = system.id
    item.reviewed_at = now
    item.published_at = now


def finish(runtime: Runtime, job_id: int) -> GenerationStatus:
    """Completed and paid; queue the callback."""
    with runtime.db.session() as session:
        job = _locked(session, job_id)
        if job.status == GenerationStatus.PROCESSING:
            job.status = GenerationStatus.COMPLETED
            job.purchase_status = PurchaseStatus.PAID
            job.finished_at = utcnow()
        status = job.status
    queue_callback(runtime, job_id)
    return status


def _fail(runtime: Runtime, job_id: int, reason: str) -> GenerationStatus:
    with runtime.db.session() as session:
        job = _locked(session, job_id)
        if job.status not in (GenerationStatus.COMPLETED, GenerationStatus.FAILED):
            job.status = GenerationStatus.FAILED
            job.failure_reason = reason[:1000]
            job.finished_at = utcnow()
        status = job.status
    log.warning("generation job %s failed: %s", job_id, reason)
    queue_callback(runtime, job_id)
    return status


# -- the system contributor ----------------------------------------------------------------


def system_contributor_id(runtime: Runtime) -> int:
    """The "AI generator" contributor account that owns generated items (made on first use)."""
    with runtime.db.read_session() as session:
        found = session.scalar(select(User.id).where(User.username == SYSTEM_USERNAME))
    if found is not None:
        return int(found)
    try:
        with runtime.db.session() as session:
            user = accounts.create_user(
                session,
                username=SYSTEM_USERNAME,
                password=None,
                roles=[Role.CONTRIBUTOR],
                first_name="AI",
                last_name="generator",
            )
            user.business_name = "Stockhouse AI image generator"
            user.biography = "Pictures drawn for buyers' prompts by the AI image generator."
            return user.id
    except (Conflict, IntegrityError):
        # Made by another worker at the same moment.
        with runtime.db.read_session() as session:
            return int(
                session.scalars(select(User.id).where(User.username == SYSTEM_USERNAME)).one()
            )


# -- callbacks ------------------------------------------------------------------------------


def queue_callback(runtime: Runtime, job_id: int, attempt: int = 1, delay_s: float = 0) -> None:
    """Queue delivery attempt `attempt` of the job's callback, if it has one pending."""
    with runtime.db.read_session() as session:
        job = session.get_one(GenerationJob, job_id)
        if job.callback_url is None or job.callback_state != CallbackState.PENDING:
            return
    from stockhouse.generation.jobs import deliver_callback_job

    runtime.jobs.enqueue(deliver_callback_job, job_id, attempt, delay_s=delay_s)


def deliver_callback(runtime: Runtime, job_id: int, attempt: int) -> CallbackState | None:
    """Try delivering the callback once; on failure queue the next try, or give up."""
    with runtime.db.read_session() as session:
        job = session.get_one(GenerationJob, job_id)
        if job.callback_url is None or job.callback_state != CallbackState.PENDING:
            return job.callback_state
        url, name = job.callback_url, job.callback_format
        view = view_of(runtime, job)
    error: str | None = None
    try:
        callbacks.post_callback(
            url, callbacks.payload_for(name, view), runtime.settings.fetch_allowlist
        )
    except callbacks.CallbackFailed as exc:
        error = str(exc)
    final = error is None or attempt >= callbacks.MAX_CALLBACK_ATTEMPTS
    with runtime.db.session() as session:
        job = _locked(session, job_id)
        job.callback_attempts = max(job.callback_attempts, attempt)
        job.callback_error = error[: callbacks.MAX_ERROR_CHARS] if error else None
        if error is None:
            job.callback_state = CallbackState.DELIVERED
        elif final:
            job.callback_state = CallbackState.FAILED
        state = job.callback_state
    if not final:
        wait = callbacks.backoff_s(runtime.settings.generation_callback_backoff_s, attempt)
        log.info("callback of generation %s failed (%s); retry in %.3gs", job_id, error, wait)
        queue_callback(runtime, job_id, attempt + 1, delay_s=wait)
    return state
