"""POST and GET /identity/:uuid/profile-image: type told by the bytes, size and pixel limits, undo."""
import struct
import uuid
import zlib

import pytest

from history.models import IdentityHistory
from identities.services import editing, images
from identities.services.image_reencoding import reencode_profile_image
from tests.factories import IdentityFactory, image_bytes, image_upload

# Real commits: the image is installed by an on_commit callback.
pytestmark = pytest.mark.django_db(transaction=True)


def url(identity):
    return f"/api/v1/identity/{identity.identity_uuid.hex}/profile-image"


def identity_dir(settings, identity):
    return settings.MOMENTRY_OUTPUT_DIR / "identities" / identity.identity_uuid.hex


def png_header_only(width, height):
    """A PNG whose header claims `width` x `height` pixels, with no image data at all."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_upload_jpeg_then_get_it_back(api, settings):
    """The answer names the image by its API URL, never by where the server keeps it."""
    identity = IdentityFactory()
    jpeg = image_bytes("JPEG")
    dashed = f"/api/v1/identity/{identity.identity_uuid}/profile-image"
    response = api.post(dashed, {"image": image_upload(jpeg, name="me.jpg", content_type="image/jpeg")})
    assert response.status_code == 200, response.json()
    path = identity_dir(settings, identity) / "profile.jpg"
    assert response.json() == {
        "success": True,
        "identity_uuid": identity.identity_uuid.hex,
        "url": f"http://testserver{url(identity)}",
        "message": "Profile image saved: profile.jpg",
        "history_id": response.json()["history_id"],
    }
    assert str(settings.MOMENTRY_OUTPUT_DIR) not in response.content.decode()
    stored = reencode_profile_image(jpeg, "JPEG")  # what is kept is Pillow's encoding, not the upload
    assert path.read_bytes() == stored
    identity.refresh_from_db()
    assert identity.tmdb_profile == str(path)
    assert api.get(f"/api/v1/identity/{identity.identity_uuid}").json()["tmdb_profile"] == str(path)

    response = api.get(response.json()["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == stored


def test_png_replaces_jpeg_and_the_old_extension_goes(api, settings):
    identity = IdentityFactory()
    api.post(url(identity), {"image": image_upload(image_bytes("JPEG"), name="a.jpg")})
    png = image_bytes("PNG", color=(0, 0, 255))
    # The declared name and type lie; the bytes decide.
    response = api.post(url(identity), {"image": image_upload(png, name="photo.jpg", content_type="image/jpeg")})
    assert response.status_code == 200
    files = sorted(p.name for p in identity_dir(settings, identity).iterdir())
    assert files == ["identity.json", "profile.png"]
    response = api.get(url(identity))
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png


@pytest.mark.parametrize(
    "data, name, content_type",
    [
        (b"GIF89a" + b"\x00" * 40, "face.jpg", "image/jpeg"),
        (b"just some text pretending", "face.png", "image/png"),
        (None, "face.webp", "image/webp"),
    ],
)
def test_other_types_are_415_whatever_the_name_says(api, settings, world_state, data, name, content_type):
    identity = IdentityFactory()
    data = data if data is not None else image_bytes("WEBP")
    before = world_state()
    response = api.post(url(identity), {"image": image_upload(data, name=name, content_type=content_type)})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert world_state() == before
    assert not (settings.MOMENTRY_OUTPUT_DIR / ".history").exists()


def test_missing_image_field_is_400(api, world_state):
    identity = IdentityFactory()
    before = world_state()
    response = api.post(url(identity), {"picture": image_upload()})
    assert response.status_code == 400
    assert "image" in response.json()["error"]["message"]
    response = api.post(url(identity), {"image": "not a file"})
    assert response.status_code == 400
    assert world_state() == before


def test_corrupt_image_with_the_right_magic_is_400(api, world_state):
    identity = IdentityFactory()
    truncated = image_bytes("PNG", size=(64, 64))[:60]
    before = world_state()
    response = api.post(url(identity), {"image": image_upload(truncated)})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_image"
    assert world_state() == before


def test_too_many_bytes_is_413(api, settings, world_state):
    identity = IdentityFactory()
    data = image_bytes("PNG", size=(40, 40))
    settings.MOMENTRY_PROFILE_IMAGE_MAX_BYTES = len(data) - 1
    before = world_state()
    response = api.post(url(identity), {"image": image_upload(data)})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "image_too_large"
    assert world_state() == before


def test_too_many_pixels_is_413_before_decoding(api, settings, world_state):
    identity = IdentityFactory()
    settings.MOMENTRY_PROFILE_IMAGE_MAX_PIXELS = 100 * 100
    before = world_state()
    # The header alone claims the size: nothing is decoded, or this would be a 400 (no image data).
    response = api.post(url(identity), {"image": image_upload(png_header_only(101, 100))})
    assert response.status_code == 413
    assert "101x100" in response.json()["error"]["message"]
    assert world_state() == before


def test_pillow_decompression_bomb_is_413(api, world_state):
    identity = IdentityFactory()
    before = world_state()
    response = api.post(url(identity), {"image": image_upload(png_header_only(60_000, 60_000))})
    assert response.status_code == 413
    assert world_state() == before


def test_get_without_image_and_unknown_identity_are_404(api):
    identity = IdentityFactory()
    assert api.get(url(identity)).status_code == 404
    unknown = f"/api/v1/identity/{uuid.uuid4().hex}/profile-image"
    assert api.get(unknown).status_code == 404
    assert api.post(unknown, {"image": image_upload()}).status_code == 404


def test_undo_puts_back_the_previous_image_or_none_and_redo_reinstalls(api, settings, world_state):
    identity = IdentityFactory()
    no_image = world_state()
    first = api.post(url(identity), {"image": image_upload(image_bytes("JPEG"), name="a.jpg")}).json()["history_id"]
    with_jpeg = world_state()
    second = api.post(url(identity), {"image": image_upload(image_bytes("PNG"))}).json()["history_id"]
    with_png = world_state()
    assert with_png["files"].keys() != with_jpeg["files"].keys()

    assert api.post(f"/api/v1/identity/history/{second}/undo").status_code == 200
    assert world_state() == with_jpeg
    assert api.post(f"/api/v1/identity/history/{first}/undo").status_code == 200
    after_undo = world_state()
    assert after_undo["identities"] == no_image["identities"]
    assert not any(name.endswith(("profile.jpg", "profile.png")) for name in after_undo["files"])
    assert api.post(f"/api/v1/identity/history/{first}/redo").status_code == 200
    assert world_state() == with_jpeg
    assert api.post(f"/api/v1/identity/history/{second}/redo").status_code == 200
    assert world_state() == with_png
    assert [e.action for e in IdentityHistory.objects.order_by("id")] == ["profile_image", "profile_image"]


def test_a_write_failing_inside_its_transaction_leaves_database_and_disk_as_they_were(
    api, settings, world_state, monkeypatch
):
    identity = IdentityFactory()
    api.post(url(identity), {"image": image_upload(image_bytes("JPEG"), name="a.jpg")})
    before = world_state()
    entries = list(IdentityHistory.objects.values_list("history_id", flat=True))

    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(images, "history_record", fail)
    monkeypatch.setattr(editing, "history_record", fail)
    for write in (
        lambda: images.identity_profile_image_set(identity_uuid=identity.identity_uuid, upload=image_upload(), actor="t"),
        lambda: editing.identity_delete(identity_uuid=identity.identity_uuid, actor="t"),
    ):
        with pytest.raises(RuntimeError):
            write()
        assert world_state() == before
        assert list(IdentityHistory.objects.values_list("history_id", flat=True)) == entries
        assert sorted(p.name for p in (settings.MOMENTRY_OUTPUT_DIR / ".history").iterdir()) == [str(e) for e in entries]


def test_a_new_change_after_an_undo_drops_the_image_kept_for_redo(api, settings):
    identity = IdentityFactory()
    history_id = api.post(url(identity), {"image": image_upload()}).json()["history_id"]
    stash = settings.MOMENTRY_OUTPUT_DIR / ".history" / history_id / "after"
    api.post(f"/api/v1/identity/history/{history_id}/undo")
    assert stash.exists()  # redo still needs it
    api.patch(f"/api/v1/identity/{identity.identity_uuid.hex}", {"name": "New"}, format="json")
    assert not stash.exists()
    assert api.post(f"/api/v1/identity/history/{history_id}/redo").status_code == 409
