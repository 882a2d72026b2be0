"""What several Pond5 commands show of an item: vs, ox, oy, ar, aq, codecs, the price.

The document's tables: `vs` (video standard; 100 music, 101 sound effect, and from the
official client 300 photo, 301 illustration), `ar` (aspect ratio; 4 unknown), `aq` (aspect
quotient), `ox`/`oy` (16 x 9 for sound). The price is the buyer's default line price, the
one modify_active_cart would put in the cart (cheapest standard license, largest size it
covers), so the price a list shows is the price the cart charges.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from stockhouse.accounts.models import Group
from stockhouse.catalog.models import MediaItem, MediaKind
from stockhouse.commerce import carts
from stockhouse.commerce.models import CartItem
from stockhouse.commerce.vat import NO_VAT

VS_MULTIMEDIA = 0
VS_MUSIC = 100
VS_SFX = 101
VS_PHOTO = 300
VS_ILLUSTRATION = 301
AR_UNKNOWN = 4
SOUND_BOX = (16, 9)
SILENT = "no snd"  # coda of a video without sound, as in the document's sample
AQ_PLACES = Decimal("0.00001")
KIND_VS = {
    MediaKind.MUSIC: VS_MUSIC,
    MediaKind.SFX: VS_SFX,
    MediaKind.PHOTO: VS_PHOTO,
    MediaKind.ILLUSTRATION: VS_ILLUSTRATION,
    MediaKind.VECTOR: VS_ILLUSTRATION,
}


def aspect_quotient(value: Decimal | None, width: int | None, height: int | None) -> float:
    """`aq` as a number with five decimals (width / height when not recorded)."""
    if value is None:
        value = Decimal(width) / Decimal(height) if width and height else Decimal(16) / 9
    return float(Decimal(value).quantize(AQ_PLACES, rounding=ROUND_HALF_UP))


def video_standard(item: MediaItem) -> int:
    if item.kind == MediaKind.VIDEO:
        return item.video_standard if item.video_standard is not None else VS_MULTIMEDIA
    return KIND_VS.get(item.kind, VS_MULTIMEDIA)


def dimensions(item: MediaItem) -> tuple[int, int]:
    if item.kind.is_audio:
        return SOUND_BOX
    return item.width or 0, item.height or 0


def shape(item: MediaItem) -> dict[str, Any]:
    """id, vs, ox, oy, ar, aq and n of an item."""
    width, height = dimensions(item)
    return {
        "id": item.id,
        "vs": video_standard(item),
        "ox": width,
        "oy": height,
        "ar": item.aspect_ratio if item.aspect_ratio is not None else AR_UNKNOWN,
        "aq": aspect_quotient(item.aspect_quotient, width, height),
        "n": item.title,
    }


def codec_fields(
    kind: MediaKind, video_codec: str | None, audio_codec: str | None
) -> dict[str, str]:
    """codg / coda: "no snd" for a silent video (as the document's sample shows), empty
    for what has no such stream (images have neither, sounds no video codec). Every
    command that shows codecs (search, clip data, bins, downloads) uses this rule."""
    if kind == MediaKind.VIDEO:
        return {"codg": video_codec or "", "coda": audio_codec or SILENT}
    if kind.is_audio:
        return {"codg": "", "coda": audio_codec or ""}
    return {"codg": "", "coda": ""}


def codecs(item: MediaItem) -> dict[str, str]:
    """codg / coda of an item (see codec_fields)."""
    return codec_fields(item.kind, item.video_codec, item.audio_codec)


def frame_rate(kind: MediaKind, fps: Decimal | None) -> float:
    """`fps` as a number, always a float (0.0 for what has no frames or none recorded)."""
    return float(fps) if kind == MediaKind.VIDEO and fps is not None else 0.0


def list_price_minor(session: Session, item: MediaItem, group: Group | None = None) -> int | None:
    """The price a fresh cart line of the item would have, or None when it is not for sale."""
    row = CartItem(item_id=item.id, sub_offset=0, license_id=None, size_code=None)
    line = carts.price_line(session, row, item, group, NO_VAT)
    return None if line.problem is not None else line.price_minor


def colon_field(text: str) -> str:
    """A value for the colon-separated line forms (get_bin, get_cart): one line, no colon."""
    return " ".join(text.replace(":", " ").split())
