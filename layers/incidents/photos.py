"""Photos of incidents: checked, turned upright, shrunk and re-encoded before they are stored.

A phone photo carries where it was taken (GPS in its EXIF), the phone's model and more; the
incident keeps its own point, so the stored file keeps none of it: the image is decoded with
Pillow, turned by its EXIF orientation, shrunk to at most MAX_LONG_SIDE_PX on the long side
and written as a new JPEG without any metadata. Stored names are random (never the
uploader's file name) under MEDIA_ROOT/incident_photos/; the files are served only by
layers/pages/views/photos.py to those who may see the incident.

``prepare`` checks one upload and raises PhotoError with a Chinese message naming the file;
``prepare_all`` checks a whole form's files before anything is written; ``attach`` stores
prepared photos for an incident.
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from layers.incidents.models import Incident, IncidentPhoto

MAX_LONG_SIDE_PX = 1600
"""Long side of the stored photo: enough to read a sign or a crack on a phone or a desktop."""
THUMB_LONG_SIDE_PX = 320
JPEG_QUALITY = 85
MAX_PIXELS = 60_000_000
"""Above this (a 60-megapixel image) the decoded image would need hundreds of MB: refused."""
MAX_PHOTOS = 9
"""Photos per report or step (a phone's gallery picker allows many; a case needs a few)."""
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "MPO"}
FIELD = "photos"
"""The form field of the upload widget (templates/pages/_photo_input.html)."""


def max_bytes() -> int:
    """Largest accepted upload, bytes (GRIDMAP_PHOTO_MAX_BYTES)."""
    return int(getattr(settings, "GRIDMAP_PHOTO_MAX_BYTES", 20 * 1024 * 1024))


class PhotoError(ValueError):
    """An upload that is not a usable photo; the message names the file and the reason."""


@dataclass(frozen=True)
class PreparedPhoto:
    """A re-encoded photo ready to store: JPEG bytes without metadata, size in pixels."""

    jpeg: bytes
    thumb: bytes
    width_px: int
    height_px: int


def _shown_name(upload) -> str:
    name = (getattr(upload, "name", "") or "照片").replace("\\", "/").rsplit("/", 1)[-1]
    return name[:80]


def _encode(image: Image.Image, long_side_px: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((long_side_px, long_side_px), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # No exif=, icc_profile= or comment: Pillow then writes none, so nothing of the original
    # file's metadata (GPS, camera, time) reaches the stored file.
    copy.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue(), copy.width, copy.height


def prepare(upload) -> PreparedPhoto:
    """Check and re-encode one uploaded file (a Django UploadedFile). PhotoError names the
    file when it is too large, not an image, damaged or of too many pixels."""
    name = _shown_name(upload)
    limit = max_bytes()
    if upload.size > limit:
        msg = f"照片「{name}」过大（{upload.size / 1048576:.1f} MB），每张不超过 {limit / 1048576:.0f} MB"
        raise PhotoError(msg)
    if upload.size == 0:
        msg = f"照片「{name}」是空文件"
        raise PhotoError(msg)
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
            if image.format not in ACCEPTED_FORMATS:
                msg = f"文件「{name}」不是支持的图片格式（支持 JPEG、PNG、WebP、GIF、BMP）"
                raise PhotoError(msg)
            if image.width * image.height > MAX_PIXELS:
                msg = f"照片「{name}」像素过多（{image.width}×{image.height}），请缩小后再上传"
                raise PhotoError(msg)
            image.load()
            image = ImageOps.exif_transpose(image)
    except PhotoError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as e:
        msg = f"照片「{name}」像素过多，请缩小后再上传"
        raise PhotoError(msg) from e
    except UnidentifiedImageError as e:
        msg = f"文件「{name}」不是图片或无法识别，请上传照片"
        raise PhotoError(msg) from e
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        msg = f"照片「{name}」已损坏或不完整，无法读取"
        raise PhotoError(msg) from e
    if image.mode != "RGB":
        # Transparent areas become white (JPEG has no alpha), palettes and greys become RGB.
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    jpeg, width_px, height_px = _encode(image, MAX_LONG_SIDE_PX)
    thumb, _, _ = _encode(image, THUMB_LONG_SIDE_PX)
    return PreparedPhoto(jpeg=jpeg, thumb=thumb, width_px=width_px, height_px=height_px)


def prepare_all(uploads: list) -> list[PreparedPhoto]:
    """Every file of a form, checked before anything is stored; the first bad one raises."""
    if len(uploads) > MAX_PHOTOS:
        msg = f"一次最多上传 {MAX_PHOTOS} 张照片（选择了 {len(uploads)} 张）"
        raise PhotoError(msg)
    return [prepare(u) for u in uploads]


def attach(incident: Incident, photos: list[PreparedPhoto], *, stage: str, by=None) -> list[IncidentPhoto]:
    """Store prepared photos for ``incident`` at ``stage`` (IncidentPhoto.Stage) under
    random names; returns the rows."""
    rows = []
    now = timezone.now()
    for p in photos:
        key = uuid.uuid4().hex
        row = IncidentPhoto(incident=incident, stage=stage, uploaded_by=by, uploaded_at=now,
                            width=p.width_px, height=p.height_px)
        folder = f"incident_photos/{now:%Y/%m}"
        row.file.save(f"{folder}/{key}.jpg", ContentFile(p.jpeg), save=False)
        row.thumbnail.save(f"{folder}/{key}_t.jpg", ContentFile(p.thumb), save=False)
        row.save()
        rows.append(row)
    return rows


# Photos sent with a move: the department's 处理反馈 and the worker's 核查 (before/after the fix).
STAGE_FOR_STATUS = {"feedback": IncidentPhoto.Stage.FEEDBACK, "closed": IncidentPhoto.Stage.VERIFY}


def move_with_photos(incident: Incident, to_status: str, uploads: list, *, by, **move_kwargs) -> None:
    """lifecycle.move with the photos sent along (the case page's and the department's step
    forms): refused photos (PhotoError) stop the move before it starts; the move and the
    photo rows are one transaction."""
    from django.db import transaction

    from layers.incidents import lifecycle  # the models import lifecycle; this module imports the models

    stage = STAGE_FOR_STATUS.get(to_status)
    if uploads and stage is None:
        raise PhotoError("照片只能随「处理反馈」或「核查结案」一起上传")
    photos = prepare_all(uploads)
    with transaction.atomic():
        lifecycle.move(incident, to_status, by=by, **move_kwargs)
        if photos:
            attach(incident, photos, stage=stage, by=by)
