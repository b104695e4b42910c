"""The console's face and trace images: the crops behind the curator's session, a silhouette for a
crop not cut yet, 404 for what does not exist."""
import io

import pytest
from django.templatetags.static import static
from django.urls import reverse
from PIL import Image

from tests.factories import FaceFactory, MediaFileFactory, write_crop

pytestmark = pytest.mark.django_db


@pytest.fixture
def film():
    return MediaFileFactory()


def test_the_urls_other_pages_link_to(film):
    face_image = reverse("console:face-image", args=[film.file_uuid.hex, "120_0"])
    assert face_image == f"/files/{film.file_uuid.hex}/faces/120_0.jpg"
    assert reverse("console:trace-image", args=[film.file_uuid.hex, 7]) == f"/files/{film.file_uuid.hex}/traces/7.jpg"


def test_images_need_a_signed_in_curator(client, film):
    face = FaceFactory(media_file=film, frame_number=120)
    write_crop(face)
    response = client.get(f"/files/{film.file_uuid.hex}/faces/120_0.jpg")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_face_image_is_its_crop_at_the_size_asked(curator, film):
    face = FaceFactory(media_file=film, frame_number=120)
    write_crop(face, size=(96, 128))
    response = curator.get(f"/files/{film.file_uuid}/faces/120_0.jpg", {"size": 64})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == ("JPEG", (48, 64))
    again = curator.get(f"/files/{film.file_uuid}/faces/120_0.jpg", {"size": 64}, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_trace_image_is_its_strongest_face(curator, film):
    FaceFactory(media_file=film, frame_number=10, trace_id=4, confidence=0.5)
    strong = FaceFactory(media_file=film, frame_number=11, trace_id=4, confidence=0.99)
    crop = write_crop(strong, size=(80, 80), color=(250, 250, 250))
    response = curator.get(f"/files/{film.file_uuid.hex}/traces/4.jpg")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == crop.read_bytes()


def test_a_face_without_a_crop_shows_the_silhouette(curator, film):
    FaceFactory(media_file=film, frame_number=120, trace_id=2)
    for url in (f"/files/{film.file_uuid.hex}/faces/120_0.jpg", f"/files/{film.file_uuid.hex}/traces/2.jpg"):
        response = curator.get(url)
        assert response.status_code == 302
        assert response["Location"] == static("console/face-placeholder.svg")
        assert response["Cache-Control"] == "private, no-cache"


@pytest.mark.parametrize("path", ["faces/121_0.jpg", "faces/garbage.jpg", "traces/99.jpg"])
def test_what_does_not_exist_is_a_404(curator, film, path):
    FaceFactory(media_file=film, frame_number=120, trace_id=2)
    assert curator.get(f"/files/{film.file_uuid.hex}/{path}").status_code == 404


def test_an_unknown_file_is_a_404(curator):
    assert curator.get("/files/0123456789abcdef0123456789abcdef/faces/1_0.jpg").status_code == 404


@pytest.mark.parametrize("size", ["63", "513", "big"])
def test_a_bad_size_is_a_400(curator, film, size):
    write_crop(FaceFactory(media_file=film, frame_number=120))
    assert curator.get(f"/files/{film.file_uuid.hex}/faces/120_0.jpg", {"size": size}).status_code == 400


def test_a_trace_id_past_32_bits_is_a_404(curator, film):
    assert curator.get(f"/files/{film.file_uuid.hex}/traces/{2**40}.jpg").status_code == 404


def test_a_negative_trace_id_has_its_image(curator, film):
    face = FaceFactory(media_file=film, frame_number=3, trace_id=-1)
    write_crop(face)
    url = reverse("console:trace-image", args=[film.file_uuid.hex, -1])
    assert url == f"/files/{film.file_uuid.hex}/traces/-1.jpg"
    assert curator.get(url).status_code == 200
