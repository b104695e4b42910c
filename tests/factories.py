"""factory-boy factories for every model; tests build their data here, never from JSON fixtures."""
import io
import uuid

import factory
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from factory.django import DjangoModelFactory
from PIL import Image

from apikeys.models import ApiKey
from apikeys.services import api_key_create
from faces.crops import crop_path
from faces.models import Chunk, FaceDetection, MediaFile
from faces.segments import segments_rebuild
from history.models import HistoryAction, IdentityHistory
from identities.models import Identity


class UserFactory(DjangoModelFactory):
    """A curator who signs in with `password`."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"curator{n}")
    password = factory.django.Password("the-right-password")
    is_staff = False


class IdentityFactory(DjangoModelFactory):
    class Meta:
        model = Identity

    identity_uuid = factory.LazyFunction(uuid.uuid4)
    name = factory.Sequence(lambda n: f"Person {n}")
    identity_type = "people"
    source = "user_defined"
    status = "confirmed"
    metadata = factory.LazyFunction(dict)


class StrangerFactory(IdentityFactory):
    name = factory.Sequence(lambda n: f"stranger_{n}")
    source = "auto"
    status = "pending"
    identity_type = None


class MediaFileFactory(DjangoModelFactory):
    class Meta:
        model = MediaFile

    file_uuid = factory.LazyFunction(uuid.uuid4)
    file_name = factory.Sequence(lambda n: f"film_{n}.mp4")
    fps = 25.0
    duration = 600.0
    frame_count = factory.LazyAttribute(lambda f: int(f.fps * f.duration))


class FaceFactory(DjangoModelFactory):
    class Meta:
        model = FaceDetection

    media_file = factory.SubFactory(MediaFileFactory)
    frame_number = factory.Sequence(lambda n: n * 5)
    index = 0
    bbox = factory.LazyFunction(lambda: [100.0, 50.0, 300.0, 400.0])
    confidence = 0.9
    trace_id = 1
    identity = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """A face arrives as an ingest writes it: with its trace's segments rebuilt beside it."""
        face = super()._create(model_class, *args, **kwargs)
        segments_rebuild({(face.media_file_id, face.trace_id)})
        return face


class ChunkFactory(DjangoModelFactory):
    class Meta:
        model = Chunk

    media_file = factory.SubFactory(MediaFileFactory)
    chunk_id = factory.Sequence(lambda n: f"chunk_{n}")
    chunk_type = "sentence"
    start_time = 0.0
    end_time = 2.0
    start_frame = factory.LazyAttribute(lambda c: round(c.start_time * c.media_file.fps))
    end_frame = factory.LazyAttribute(lambda c: round(c.end_time * c.media_file.fps))
    text = factory.Sequence(lambda n: f"Line number {n}.")


class IdentityHistoryFactory(DjangoModelFactory):
    class Meta:
        model = IdentityHistory

    identity_uuid = factory.LazyFunction(uuid.uuid4)
    action = HistoryAction.UPDATE
    actor = "key:test"


class ApiKeyFactory(factory.Factory):
    """Builds a key through the service; `.raw` carries the key to send."""

    class Meta:
        model = ApiKey

    name = factory.Sequence(lambda n: f"key-{n}")
    scopes = factory.LazyFunction(lambda: ["global"])
    read_only = False
    files = factory.LazyFunction(list)

    @classmethod
    def _create(cls, model_class, **kwargs):
        api_key, raw_key = api_key_create(**kwargs)
        api_key.raw = raw_key
        return api_key

    _build = _create


def create_faces(faces):
    """Unsaved faces (`FaceFactory.build(...)`) written in one insert, the segments of their traces
    rebuilt once after them: what a FaceFactory call per face leaves, without a rebuild per face."""
    created = FaceDetection.objects.bulk_create(faces)
    segments_rebuild({(face.media_file_id, face.trace_id) for face in created})
    return created


def make_trace(*, media_file, trace_id, size=3, identity=None, first_frame=0):
    """`size` faces of one trace on consecutive frames (index 0), optionally bound to `identity`."""
    return create_faces(
        FaceFactory.build(
            media_file=media_file, trace_id=trace_id, frame_number=first_frame + offset, identity=identity
        )
        for offset in range(size)
    )


def image_bytes(image_format="PNG", size=(4, 3), color=(200, 10, 10)):
    """A small real image, encoded by Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=image_format)
    return buffer.getvalue()


def image_upload(data=None, *, name="face.png", content_type="image/png"):
    """A multipart file; the name and declared type are whatever the test claims."""
    return SimpleUploadedFile(name, data if data is not None else image_bytes(), content_type=content_type)


def write_crop(face, *, size=(96, 128), color=(90, 140, 200)):
    """The face's crop on disk, where `faces.crops` puts it: a JPEG of `size` (width, height)."""
    path = crop_path(face.media_file.file_uuid, face.frame_number, face.index)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image_bytes("JPEG", size=size, color=color))
    return path
