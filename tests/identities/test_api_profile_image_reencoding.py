"""Profile images are decoded and re-encoded by Pillow: orientation applied, metadata and trailing bytes gone."""
import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from history.models import IdentityHistory
from identities.services.tmdb_probe import identity_apply_tmdb_person
from identities.storage import profile_image_path
from tests.factories import IdentityFactory, image_bytes, image_upload

pytestmark = pytest.mark.django_db(transaction=True)

RED, BLUE = (220, 20, 20), (20, 20, 220)
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def url(identity):
    return f"/api/v1/identity/{identity.identity_uuid.hex}/profile-image"


def landscape_red_left_blue_right(size=(64, 32)):
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def jpeg_with_gps_and_orientation(orientation=6):
    """A 64x32 JPEG (red left half, blue right) whose EXIF says "rotate 90° clockwise to show" and
    where it was taken; with an ICC profile and a comment too."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Camera Maker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 29.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 17.0, 40.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    landscape_red_left_blue_right().save(
        buffer, format="JPEG", quality=95, exif=exif.tobytes(), icc_profile=icc, comment=b"shot at home"
    )
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as sent:  # the upload really carries all of it
        assert sent.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
        assert sent.getexif()[ExifTags.Base.Orientation] == orientation
        assert sent.info.get("icc_profile")
    return data


def served(api, identity):
    response = api.get(url(identity))
    assert response.status_code == 200
    return response["Content-Type"], b"".join(response.streaming_content)


def close(pixel, color, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, color))


def test_a_jpeg_comes_back_upright_without_exif_gps_or_icc(api):
    identity = IdentityFactory()
    response = api.post(url(identity), {"image": image_upload(jpeg_with_gps_and_orientation(), name="me.jpg")})
    assert response.status_code == 200, response.json()

    on_disk = profile_image_path(identity.identity_uuid)
    assert on_disk.name == "profile.jpg"
    content_type, data = served(api, identity)
    assert content_type == "image/jpeg"
    assert data == on_disk.read_bytes()
    for raw in (data, on_disk.read_bytes()):
        with Image.open(io.BytesIO(raw)) as stored:
            assert stored.format == "JPEG"
            assert stored.size == (32, 64)  # rotated into portrait
            assert not stored.getexif()
            assert "exif" not in stored.info and "icc_profile" not in stored.info and "comment" not in stored.info
            rgb = stored.convert("RGB")
            # Rotated 90° clockwise, the left (red) half is on top and the right (blue) half below.
            assert close(rgb.getpixel((16, 8)), RED) and close(rgb.getpixel((16, 56)), BLUE)
    assert b"GPS" not in data and b"Camera Maker" not in data and b"shot at home" not in data


def test_a_jpeg_html_polyglot_is_stored_without_the_html(api):
    identity = IdentityFactory()
    polyglot = image_bytes("JPEG", size=(16, 16)) + HTML
    response = api.post(url(identity), {"image": image_upload(polyglot, name="x.jpg", content_type="image/jpeg")})
    assert response.status_code == 200, response.json()
    content_type, data = served(api, identity)
    assert content_type == "image/jpeg"
    assert data == profile_image_path(identity.identity_uuid).read_bytes()
    assert b"<html" not in data and b"script" not in data
    assert data.endswith(b"\xff\xd9")
    with Image.open(io.BytesIO(data)) as stored:
        assert (stored.format, stored.size) == ("JPEG", (16, 16))


def test_a_png_keeps_its_format_and_pixels_and_loses_text_chunks_and_trailing_bytes(api):
    identity = IdentityFactory()
    text = PngInfo()
    text.add_text("Comment", "GPS 48.85N 2.29E")
    original = Image.new("RGBA", (5, 7), (10, 200, 30, 128))
    buffer = io.BytesIO()
    original.save(buffer, format="PNG", pnginfo=text)
    response = api.post(url(identity), {"image": image_upload(buffer.getvalue() + HTML)})
    assert response.status_code == 200, response.json()
    content_type, data = served(api, identity)
    assert content_type == "image/png"
    assert b"<html" not in data and b"GPS" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "PNG"
        assert stored.mode == "RGBA" and stored.size == (5, 7)
        assert stored.getpixel((2, 3)) == (10, 200, 30, 128)  # lossless
        assert "Comment" not in stored.info


def test_palette_transparency_survives_the_re_encoding(api):
    identity = IdentityFactory()
    image = Image.new("P", (4, 4), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.putpixel((1, 1), 1)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", transparency=0)
    assert api.post(url(identity), {"image": image_upload(buffer.getvalue())}).status_code == 200
    with Image.open(profile_image_path(identity.identity_uuid)) as stored:
        rgba = stored.convert("RGBA")
        assert rgba.getpixel((0, 0))[3] == 0 and rgba.getpixel((1, 1)) == (0, 0, 255, 255)


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        image_bytes("JPEG", size=(32, 32))[:200],
    ],
)
def test_an_undecodable_image_is_400_and_changes_nothing(api, world_state, data):
    identity = IdentityFactory()
    assert api.post(url(identity), {"image": image_upload(image_bytes("PNG"))}).status_code == 200
    before = world_state()
    entries = IdentityHistory.objects.count()
    response = api.post(url(identity), {"image": image_upload(data, name="x.jpg", content_type="image/jpeg")})
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": {"code": "invalid_image", "message": response.json()["error"]["message"]},
    }
    assert "corrupt" in response.json()["error"]["message"]
    assert world_state() == before
    assert IdentityHistory.objects.count() == entries


def test_pillows_own_decompression_bomb_guard_answers_413_too(api, settings, world_state):
    """Above Pillow's MAX_IMAGE_PIXELS (times two) Image.open itself refuses, whatever our limit."""
    settings.MOMENTRY_PROFILE_IMAGE_MAX_PIXELS = 10**12
    identity = IdentityFactory()
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0)
    iend = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    bomb = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + iend
    before = world_state()
    response = api.post(url(identity), {"image": image_upload(bomb)})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "image_too_large"
    assert "decompresses to too many pixels" in response.json()["error"]["message"]
    assert world_state() == before


def test_a_cmyk_jpeg_is_stored_as_an_rgb_jpeg(api):
    identity = IdentityFactory()
    buffer = io.BytesIO()
    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(buffer, format="JPEG")
    assert api.post(url(identity), {"image": image_upload(buffer.getvalue(), name="c.jpg")}).status_code == 200
    with Image.open(profile_image_path(identity.identity_uuid)) as stored:
        assert (stored.format, stored.mode) == ("JPEG", "RGB")
        assert close(stored.getpixel((4, 4)), (255, 0, 0), tolerance=60)


def test_the_tmdb_probe_stores_its_download_re_encoded_too():
    identity = IdentityFactory(tmdb_id=112)
    download = jpeg_with_gps_and_orientation() + HTML
    result = identity_apply_tmdb_person(
        identity_uuid=identity.identity_uuid, person={"id": 112}, image_bytes=download, actor="t"
    )
    data = result.profile_path.read_bytes()
    assert b"<html" not in data and b"GPS" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert (stored.format, stored.size) == ("JPEG", (32, 64))
        assert not stored.getexif()


def test_an_image_pillow_decodes_but_cannot_write_again_is_400_not_500(api, world_state, monkeypatch):
    identity = IdentityFactory()
    upload = image_upload(image_bytes("PNG"))
    before = world_state()

    def cannot_write(self, *args, **kwargs):
        raise OSError("cannot write mode XYZ as PNG")

    monkeypatch.setattr(Image.Image, "save", cannot_write)
    response = api.post(url(identity), {"image": upload})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_image"
    assert world_state() == before
