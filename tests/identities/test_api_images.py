"""The face and trace images (GET /file/:uuid/face/:face_id/image and /file/:uuid/trace/:trace_id/image),
the profile image's caching, and an identity's best faces (GET /identity/:uuid/faces?best=true)."""
import io

import pytest
from PIL import Image

from faces.crops import crop_path
from faces.selectors import identity_best_face_page, identity_best_faces
from tests.factories import FaceFactory, IdentityFactory, MediaFileFactory, image_upload, write_crop

pytestmark = pytest.mark.django_db


@pytest.fixture
def film():
    return MediaFileFactory()


def face_url(media_file, face_id):
    return f"/api/v1/file/{media_file.file_uuid.hex}/face/{face_id}/image"


def trace_url(media_file, trace_id):
    return f"/api/v1/file/{media_file.file_uuid.hex}/trace/{trace_id}/image"


def decoded(response):
    image = Image.open(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))
    image.load()
    return image


def assert_error(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == code and body["error"]["message"]


# --- a face's image ------------------------------------------------------------------------------


def test_a_face_image_is_its_crop(api, film):
    crop = write_crop(FaceFactory(media_file=film, frame_number=120, index=1), size=(96, 128))
    response = api.get(face_url(film, "120_1"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == crop.read_bytes()
    assert decoded_size(api, face_url(film, "120_1")) == (96, 128)
    assert api.get(face_url(film, "face_120")).status_code == 404  # face_{frame} is index 0


def decoded_size(api, url, **params):
    response = api.get(url, params)
    assert response.status_code == 200
    image = decoded(response)
    assert image.format == "JPEG"
    return image.size


@pytest.mark.parametrize(("size", "expected"), [(64, (48, 64)), (128, (96, 128)), (512, (384, 512))])
def test_size_is_the_longest_side(api, film, size, expected):
    write_crop(FaceFactory(media_file=film, frame_number=120), size=(96, 128))
    assert decoded_size(api, face_url(film, "120_0"), size=size) == expected


def test_a_wide_crop_is_scaled_by_its_width(api, film):
    write_crop(FaceFactory(media_file=film, frame_number=7), size=(200, 100))
    assert decoded_size(api, face_url(film, "7_0"), size=100) == (100, 50)


@pytest.mark.parametrize("size", ["63", "513", "0", "-64", "big", "12.5"])
def test_a_bad_size_is_a_400(api, film, size):
    write_crop(FaceFactory(media_file=film, frame_number=120))
    response = api.get(face_url(film, "120_0"), {"size": size})
    assert_error(response, 400, "validation_error")
    assert response.json()["error"]["message"].startswith("size:")


def test_an_etag_answers_304_until_the_crop_or_the_size_changes(api, film):
    face = FaceFactory(media_file=film, frame_number=120)
    write_crop(face)
    first = api.get(face_url(film, "120_0"), {"size": 64})
    etag = first["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = api.get(face_url(film, "120_0"), {"size": 64}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag and again["Cache-Control"] == first["Cache-Control"]
    assert api.get(face_url(film, "120_0"), {"size": 65}, HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert api.get(face_url(film, "120_0"), {"size": 64}, HTTP_IF_NONE_MATCH=f'"other", {etag}').status_code == 304
    assert api.get(face_url(film, "120_0"), HTTP_IF_NONE_MATCH=etag).status_code == 200  # the stored size
    write_crop(face, size=(50, 60))
    changed = api.get(face_url(film, "120_0"), {"size": 64}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_images_are_private_to_the_key(api, film):
    write_crop(FaceFactory(media_file=film, frame_number=120))
    cache_control = api.get(face_url(film, "120_0"))["Cache-Control"]
    assert cache_control == "private, max-age=3600, must-revalidate"


def test_any_accept_header_gets_the_image_or_the_json_error(api, film):
    write_crop(FaceFactory(media_file=film, frame_number=120))
    assert api.get(face_url(film, "120_0"), HTTP_ACCEPT="image/jpeg")["Content-Type"] == "image/jpeg"
    assert_error(api.get(face_url(film, "121_0"), HTTP_ACCEPT="image/jpeg"), 404, "not_found")


@pytest.mark.parametrize("face_id", ["121_0", "120_1", "garbage", "99999999999_0"])
def test_an_unknown_face_is_a_404(api, film, face_id):
    write_crop(FaceFactory(media_file=film, frame_number=120))
    assert_error(api.get(face_url(film, face_id)), 404, "not_found")


def test_a_face_without_a_crop_is_a_404(api, film):
    FaceFactory(media_file=film, frame_number=120)
    response = api.get(face_url(film, "120_0"))
    assert_error(response, 404, "not_found")
    assert "has no crop" in response.json()["error"]["message"]


def test_an_unknown_file_is_a_404(api):
    assert_error(api.get("/api/v1/file/0123456789abcdef0123456789abcdef/face/1_0/image"), 404, "not_found")


# --- a trace's image -----------------------------------------------------------------------------


def test_a_trace_image_is_its_strongest_face(api, film):
    FaceFactory(media_file=film, frame_number=10, trace_id=4, confidence=0.9, bbox=[0, 0, 50, 50])
    big = FaceFactory(media_file=film, frame_number=11, trace_id=4, confidence=0.6, bbox=[0, 0, 100, 100])
    FaceFactory(media_file=film, frame_number=12, trace_id=4, confidence=0.99, bbox=[0, 0, 60, 60])
    for face in film.faces.all():
        write_crop(face, size=(64 + face.frame_number, 64))
    response = api.get(trace_url(film, 4), {"size": 128})
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert decoded(response).size == (128, round(64 * 128 / (64 + big.frame_number)))


def test_a_trace_bound_in_parts_shows_the_strongest_part(api, film):
    """Each part (segment) has its best face; the trace's is the best of those, and when it has no
    crop the next of them that has one."""
    cary, stranger = IdentityFactory(), IdentityFactory()
    FaceFactory(media_file=film, frame_number=1, trace_id=-3, identity=cary, confidence=0.5)
    strongest = FaceFactory(media_file=film, frame_number=2, trace_id=-3, identity=stranger, confidence=0.95)
    FaceFactory(media_file=film, frame_number=3, trace_id=-3, identity=None, confidence=0.7)
    second = film.faces.get(frame_number=3)
    write_crop(strongest, size=(80, 64))
    write_crop(second, size=(70, 64))
    assert decoded(api.get(trace_url(film, -3))).size == (80, 64)
    crop_path(film.file_uuid, 2, 0).unlink()
    assert decoded(api.get(trace_url(film, -3))).size == (70, 64)


def test_a_trace_without_crops_or_unknown_is_a_404(api, film):
    FaceFactory(media_file=film, frame_number=1, trace_id=5)
    assert "has no crop" in api.get(trace_url(film, 5)).json()["error"]["message"]
    assert_error(api.get(trace_url(film, 5)), 404, "not_found")
    assert_error(api.get(trace_url(film, 6)), 404, "not_found")
    assert_error(api.get(trace_url(film, 2**31)), 404, "not_found")
    assert_error(api.get(trace_url(film, "x")), 404, "not_found")


# --- keys ----------------------------------------------------------------------------------------


def test_a_key_limited_to_files_sees_only_their_images(make_client, film):
    other = MediaFileFactory()
    write_crop(FaceFactory(media_file=film, frame_number=1, trace_id=1))
    write_crop(FaceFactory(media_file=other, frame_number=1, trace_id=1))
    limited = make_client(scopes=["file"], files=[film.file_uuid.hex])
    assert limited.get(face_url(film, "1_0")).status_code == 200
    assert limited.get(trace_url(film, 1)).status_code == 200
    assert_error(limited.get(face_url(other, "1_0")), 403, "permission_denied")
    assert_error(limited.get(trace_url(other, 1)), 403, "permission_denied")
    assert_error(limited.get("/api/v1/file/0123456789abcdef0123456789abcdef/trace/1/image"), 403, "permission_denied")


def test_the_images_need_the_file_or_the_identity_scope(make_client, anonymous_api, film):
    """The identity reads link to the images, so an identity key may follow its links."""
    write_crop(FaceFactory(media_file=film, frame_number=1))
    assert make_client(scopes=["identity"]).get(face_url(film, "1_0")).status_code == 200
    assert make_client(scopes=["file"]).get(trace_url(film, 1)).status_code == 200
    assert anonymous_api.get(face_url(film, "1_0")).status_code == 401


# --- the profile image ---------------------------------------------------------------------------


def test_the_profile_image_is_revalidated_by_its_etag(api, django_capture_on_commit_callbacks):
    identity = IdentityFactory()
    url = f"/api/v1/identity/{identity.identity_uuid.hex}/profile-image"
    with django_capture_on_commit_callbacks(execute=True):
        api.post(url, {"image": image_upload()}, format="multipart")
    first = api.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "image/png"
    assert first["Cache-Control"] == "private, no-cache"
    assert api.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


# --- an identity's best faces --------------------------------------------------------------------


def best_faces(api, identity, **params):
    response = api.get(f"/api/v1/identity/{identity.identity_uuid.hex}/faces", {"best": "true", **params})
    assert response.status_code == 200
    return response.json()


def test_best_faces_are_one_a_trace_strongest_traces_first(api, film):
    cary, other = IdentityFactory(), IdentityFactory()
    for frame in range(3):  # trace 1: 3 faces of Cary, the middle one the strongest
        FaceFactory(media_file=film, frame_number=frame, trace_id=1, identity=cary, confidence=0.5 + 0.2 * (frame == 1))
    for frame in range(10, 15):  # trace 2: 5 faces of Cary, and one of another identity stronger than all
        FaceFactory(media_file=film, frame_number=frame, trace_id=2, identity=cary, confidence=0.6 + 0.01 * frame)
    FaceFactory(media_file=film, frame_number=20, trace_id=2, identity=other, confidence=0.99)
    FaceFactory(media_file=film, frame_number=30, trace_id=3, identity=other)
    body = best_faces(api, cary)
    assert body["total"] == 2
    assert [(face["trace_id"], face["face_id"]) for face in body["faces"]] == [(2, "14_0"), (1, "1_0")]
    first = body["faces"][0]
    assert first["file_uuid"] == film.file_uuid.hex and first["frame_number"] == 14
    assert first["confidence"] == pytest.approx(0.74) and first["bbox"] == [100.0, 50.0, 300.0, 400.0]
    assert first["image_url"] == f"http://testserver/api/v1/file/{film.file_uuid.hex}/face/14_0/image"
    write_crop(film.faces.get(frame_number=14))
    assert api.get(first["image_url"]).status_code == 200


def test_best_faces_page_like_the_faces(api, film):
    cary = IdentityFactory()
    for trace_id in range(5):
        for k in range(trace_id + 1):
            FaceFactory(media_file=film, frame_number=100 * trace_id + k, trace_id=trace_id, identity=cary)
    pages = [best_faces(api, cary, page=page, page_size=2) for page in (1, 2, 3, 4)]
    assert [[face["trace_id"] for face in page["faces"]] for page in pages] == [[4, 3], [2, 1], [0], []]
    assert {page["total"] for page in pages} == {5}
    assert pages[1]["page"] == 2 and pages[1]["page_size"] == 2
    assert api.get(f"/api/v1/identity/{cary.identity_uuid.hex}/faces", {"best": "maybe"}).status_code == 400


def test_best_faces_of_a_key_limited_to_files(make_client, film):
    cary, other = IdentityFactory(), MediaFileFactory()
    FaceFactory(media_file=film, frame_number=1, trace_id=1, identity=cary)
    FaceFactory(media_file=other, frame_number=1, trace_id=1, identity=cary)
    FaceFactory(media_file=other, frame_number=2, trace_id=1, identity=cary)
    limited = make_client(scopes=["identity"], files=[film.file_uuid.hex])
    body = best_faces(limited, cary)
    assert body["total"] == 1 and [face["file_uuid"] for face in body["faces"]] == [film.file_uuid.hex]


def test_every_face_links_to_its_image(api, film):
    cary = IdentityFactory()
    FaceFactory(media_file=film, frame_number=8, index=2, trace_id=1, identity=cary)
    body = api.get(f"/api/v1/identity/{cary.identity_uuid.hex}/faces").json()
    assert body["faces"][0]["image_url"] == f"http://testserver/api/v1/file/{film.file_uuid.hex}/face/8_2/image"


@pytest.mark.parametrize("page_size", [20, 200])
def test_best_faces_take_the_same_queries_at_any_page_size(api, film, page_size, django_assert_max_num_queries):
    cary = IdentityFactory()
    for trace_id in range(210):
        FaceFactory(media_file=film, frame_number=trace_id, trace_id=trace_id, identity=cary)
    with django_assert_max_num_queries(4):
        body = best_faces(api, cary, page_size=page_size)
    assert len(body["faces"]) == page_size and body["total"] == 210


# --- what generated clients read -----------------------------------------------------------------


def test_an_accept_header_preferring_octet_stream_gets_the_bytes_as_such(api, film):
    crop = write_crop(FaceFactory(media_file=film, frame_number=1))
    response = api.get(face_url(film, "1_0"), HTTP_ACCEPT="application/octet-stream")
    assert response["Content-Type"] == "application/octet-stream" and "Accept" in response["Vary"]
    assert b"".join(response.streaming_content) == crop.read_bytes()
    assert api.get(face_url(film, "1_0"), HTTP_ACCEPT="*/*")["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("path", "types"),
    [
        ("/api/v1/file/{file_uuid}/face/{face_id}/image", ["image/jpeg", "application/octet-stream"]),
        ("/api/v1/file/{file_uuid}/trace/{trace_id}/image", ["image/jpeg", "application/octet-stream"]),
        ("/api/v1/identity/{identity_uuid}/profile-image", ["image/jpeg", "image/png", "application/octet-stream"]),
    ],
)
def test_the_schema_says_image_bytes_a_304_and_json_errors(api, path, types):
    responses = api.get("/api/v1/schema/?format=json").json()["paths"][path]["get"]["responses"]
    assert list(responses["200"]["content"]) == types
    binary = {"type": "string", "format": "binary"}
    assert all(body["schema"] == binary for body in responses["200"]["content"].values())
    assert "content" not in responses["304"] and {"ETag", "Cache-Control"} <= set(responses["304"]["headers"])
    assert set(responses["404"]["content"]) == {"application/json"}


def test_identity_best_faces_is_the_first_of_the_best_pages(film, django_assert_num_queries):
    """What the console's identity page shows: the same faces as the API's first page, in one query."""
    cary = IdentityFactory()
    for trace_id in range(4):
        for k in range(4 - trace_id):
            FaceFactory(media_file=film, frame_number=10 * trace_id + k, trace_id=trace_id, identity=cary)
    with django_assert_num_queries(1):
        faces = identity_best_faces(cary, limit=3)
    assert faces == identity_best_face_page(cary, page=1, page_size=3).items
    rows = [(face.trace_id, face.face_id, face.timestamp) for face in faces]
    assert rows == [(0, "0_0", 0.0), (1, "10_0", 0.4), (2, "20_0", 0.8)]
