"""Avatar uploads: verify with Pillow, enforce limits, re-encode so no original bytes are kept.

Decoding costs memory by pixels, not by file size: a 60 KB PNG of 4096×4096 took a worker to
250 MB. A baseline JPEG is decoded at 1/2–1/8 scale (`draft`) straight to about the avatar's
size; every other image is decoded in full, so its pixel count is checked against a memory
budget (AVATAR_DECODE_MAX_BYTES) from the header, before any pixel is decoded.
"""

import io
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
NAMES = {"JPEG": "progressive JPEG", "PNG": "PNG", "GIF": "GIF", "WEBP": "WebP"}

# Peak bytes a pixel while decoding and converting, measured with Pillow 13 (README): the
# decoded image plus its RGB copy; WebP goes through libwebp's own canvases; a progressive JPEG
# keeps every DCT coefficient until the last scan.
DECODE_BYTES_PER_PIXEL = {"PNG": 9, "GIF": 6, "WEBP": 18, "JPEG": 6}

ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def decoded_in_full(image: Image.Image) -> bool:
    return image.format != "JPEG" or bool(image.info.get("progressive"))


def max_pixels(fmt: str) -> int:
    return settings.AVATAR_DECODE_MAX_BYTES // DECODE_BYTES_PER_PIXEL[fmt]


def avatar_reencode(upload) -> ContentFile:
    if upload.size > settings.AVATAR_MAX_BYTES:
        raise ValidationError(
            _("The image is too large (%(size)d KB); the limit is %(limit)d KB."),
            params={"size": upload.size // 1024, "limit": settings.AVATAR_MAX_BYTES // 1024},
            code="too_large",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            fmt = probe.format
            width, height = probe.size
            in_full = decoded_in_full(probe)
            probe.verify()
        if fmt not in ALLOWED_FORMATS:
            raise ValidationError(_("Upload a JPEG, PNG, GIF or WebP image."), code="format")
        if max(width, height) > settings.AVATAR_MAX_SIDE:
            raise ValidationError(
                _("The image is %(w)d×%(h)d px; at most %(max)d px a side, please."),
                params={"w": width, "h": height, "max": settings.AVATAR_MAX_SIDE},
                code="too_many_pixels",
            )
        if in_full and width * height > max_pixels(fmt):
            raise ValidationError(
                _(
                    "The image is %(w)d×%(h)d px (%(mp).1f megapixels); a %(fmt)s avatar can "
                    "have at most %(max).1f megapixels. Scale it down, or save it as a baseline "
                    "JPEG."
                ),
                params={
                    "w": width,
                    "h": height,
                    "mp": width * height / 1e6,
                    "fmt": NAMES[fmt],
                    "max": max_pixels(fmt) / 1e6,
                },
                code="too_many_pixels",
            )
        upload.seek(0)
        size = (settings.AVATAR_SIZE, settings.AVATAR_SIZE)
        with Image.open(upload) as image:
            if fmt == "JPEG":
                image.draft("RGB", size)  # decode at the smallest scale still >= the avatar
            orientation = image.getexif().get(ExifTags.Base.Orientation)
            image.load()
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")  # before shrinking: reduce() copies RGBA in full
            # Shrink by a whole factor (box filter, cheap) while both sides stay above the
            # avatar's size, so what follows works on a small image.
            factor = min(image.width, image.height) // settings.AVATAR_SIZE
            if factor >= 2:
                image = image.reduce(factor)
            if orientation in ORIENTATION:
                image = image.transpose(ORIENTATION[orientation])
            image = ImageOps.fit(image.convert("RGB"), size)
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=88, optimize=True)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("This file is not an image we can read."), code="not_image"
        ) from None
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
