"""Avatar uploads: verify with Pillow, enforce limits, re-encode so no original bytes are kept."""

import io
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


def avatar_reencode(upload) -> ContentFile:
    if upload.size > settings.AVATAR_MAX_BYTES:
        raise ValidationError(
            "The image is too large (%(size)d KB); the limit is %(limit)d KB.",
            params={"size": upload.size // 1024, "limit": settings.AVATAR_MAX_BYTES // 1024},
            code="too_large",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            fmt = probe.format
            width, height = probe.size
            probe.verify()
        if fmt not in ALLOWED_FORMATS:
            raise ValidationError("Upload a JPEG, PNG, GIF or WebP image.", code="format")
        if max(width, height) > settings.AVATAR_MAX_SIDE:
            raise ValidationError(
                "The image is %(w)d×%(h)d px; at most %(max)d px a side, please.",
                params={"w": width, "h": height, "max": settings.AVATAR_MAX_SIDE},
                code="too_many_pixels",
            )
        upload.seek(0)
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image = ImageOps.fit(image, (settings.AVATAR_SIZE, settings.AVATAR_SIZE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=88, optimize=True)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError("This file is not an image we can read.", code="not_image") from None
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
