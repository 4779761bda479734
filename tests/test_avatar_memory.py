"""An avatar upload costs tens of MB at most: a 60 KB 4096×4096 PNG once took a worker to 250 MB.

Peak memory is measured in a child process (its RSS high-water mark VmHWM above its RSS just
before the call), so nothing else in the test run counts.
"""

import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from .helpers import client_for, csrf_post

BOUND_MB = 40  # AVATAR_DECODE_MAX_BYTES is 32 MB; Pillow's and Python's own overhead on top

CHILD = r"""
import json, sys
import django
django.setup()
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from accounts.forms import AvatarField

data = open(sys.argv[1], "rb").read()
upload = SimpleUploadedFile(sys.argv[2], data, "application/octet-stream")
def status(field):  # kB; VmHWM is this process's own peak (ru_maxrss survives exec)
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
before = status("VmRSS")
try:
    AvatarField().clean(upload)  # what the form does: Django's checks, then ours
    result = "accepted"
except ValidationError as exc:
    result = exc.messages[0]
print(json.dumps({"result": result, "mb": (status("VmHWM") - before) / 1024}))
"""


def flat_png(width: int, height: int) -> bytes:
    """A one-colour RGBA PNG, compressed to almost nothing, built without decoding it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + width * 4)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def encoded(size, fmt, **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format=fmt, **options)
    return buffer.getvalue()


def decode_cost(tmp_path: Path, data: bytes, name: str) -> dict:
    path = tmp_path / "upload"
    path.write_bytes(data)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "askme.settings"}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), name],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)


def test_the_60_kb_4096_px_png_is_refused_before_decoding(tmp_path):
    data = flat_png(4096, 4096)
    assert len(data) < 100_000
    cost = decode_cost(tmp_path, data, "big.png")
    assert "at most 3.7 megapixels" in cost["result"]
    assert cost["mb"] < 8


@pytest.mark.parametrize(
    "make,name",
    [
        pytest.param(lambda: flat_png(1930, 1930), "a.png", id="PNG RGBA 3.7 MP (the most)"),
        pytest.param(lambda: encoded((1360, 1360), "WEBP"), "a.webp", id="WebP 1.8 MP (the most)"),
        pytest.param(lambda: encoded((2360, 2360), "GIF"), "a.gif", id="GIF 5.6 MP (the most)"),
        pytest.param(lambda: encoded((4096, 4096), "JPEG"), "a.jpg", id="baseline JPEG 4096 px"),
        pytest.param(lambda: encoded((4032, 3024), "JPEG"), "a.jpg", id="12 MP phone photo"),
    ],
)
def test_accepted_images_decode_within_the_bound(tmp_path, make, name):
    cost = decode_cost(tmp_path, make(), name)
    assert cost["result"] == "accepted"
    assert cost["mb"] < BOUND_MB


@pytest.mark.parametrize(
    "data,name,message",
    [
        (encoded((1500, 1500), "WEBP"), "a.webp", "a WebP avatar can have at most 1.9 megapixels"),
        (
            encoded((2500, 2500), "JPEG", progressive=True),
            "a.jpg",
            "a progressive JPEG avatar can have at most 5.6 megapixels",
        ),
        (flat_png(4096, 4096), "a.png", "a PNG avatar can have at most 3.7 megapixels"),
    ],
)
def test_too_many_pixels_is_a_form_error_that_keeps_the_rest(db, data, name, message):
    from .helpers import make_user

    alice = make_user("alice")
    response = csrf_post(
        client_for(alice),
        "/profile/edit/",
        {
            "email": "alice@new.example",
            "display_name": "Alice A.",
            "avatar": SimpleUploadedFile(name, data, "image/png"),
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert 'value="alice@new.example"' in body and 'value="Alice A."' in body
    alice.refresh_from_db()
    assert alice.email == "alice@example.com" and not alice.profile.avatar


@pytest.mark.parametrize("orientation,top", [(1, (255, 0, 0)), (3, (0, 0, 255))])
def test_exif_orientation_is_applied_after_shrinking(db, orientation, top):
    """A photo stored upside down (orientation 3) is shown the right way up."""
    from accounts.images import avatar_reencode

    image = Image.new("RGB", (1200, 1200), "blue")
    image.paste((255, 0, 0), (0, 0, 1200, 600))  # red on top as stored
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    out = avatar_reencode(SimpleUploadedFile("a.jpg", buffer.getvalue(), "image/jpeg"))
    with Image.open(out) as avatar:
        assert avatar.size == (256, 256)
        pixel = avatar.convert("RGB").getpixel((128, 10))
        assert all(abs(a - b) < 40 for a, b in zip(pixel, top, strict=True))
