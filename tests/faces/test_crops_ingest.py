"""Face crops given by ingest documents: stored where faces.crops says, whole or not at all."""
import io
import json
import re
import struct
import uuid
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from PIL import Image

from faces.crops import crop_path, crops_root, file_crops_dir
from faces.models import MediaFile
from faces.services import ingest, media_file_ingest
from tests.faces.test_services_ingest import disk_full, face, ingest_document, nothing_written, write_json
from tests.factories import image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(tmp_path):
    """The document's folder, with a `crops/` beside it as detection pipelines leave them."""
    path = tmp_path / "documents"
    (path / "crops").mkdir(parents=True)
    return path


def put(folder, name, data):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return name


def crop_face(frame_number, crop, index=0, **extra):
    return {**face(frame_number, index, **extra), "crop": crop}


def ingest_committed(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return media_file_ingest(**kwargs)


def decoded(path):
    with Image.open(path) as image:
        image.load()
        return image.format, image.size, image.convert("RGB").getpixel((image.width // 2, image.height // 2))


def crops_on_disk():
    """Every path under {output}/faces, staging directories included."""
    root = crops_root()
    return sorted(str(path.relative_to(root)) for path in root.rglob("*")) if root.exists() else []


def png_header(width, height):
    """A PNG that declares `width` x `height` pixels and carries none (what a bomb's header says)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_jpeg_and_png_crops_are_stored_as_jpegs_under_the_file(folder, django_capture_on_commit_callbacks):
    jpeg = image_bytes("JPEG", size=(112, 112), color=(200, 30, 30))
    png = image_bytes("PNG", size=(96, 128), color=(20, 200, 40))
    put(folder, "crops/10_0.jpg", jpeg)
    put(folder, "crops/deep/20_1.png", png)
    file_uuid = uuid.uuid4()
    document = ingest_document(
        file_uuid=file_uuid,
        faces=[crop_face(10, "crops/10_0.jpg"), crop_face(20, "crops/deep/20_1.png", 1, trace_id=2), face(30)],
    )

    result = ingest_committed(django_capture_on_commit_callbacks, document=document, document_dir=folder)

    assert (result.faces, result.crops, result.crops_kept) == (3, 2, 0)
    assert crops_on_disk() == [file_uuid.hex, f"{file_uuid.hex}/10_0.jpg", f"{file_uuid.hex}/20_1.jpg"]
    # A JPEG that decodes whole is kept byte for byte; the PNG becomes an RGB JPEG of its pixels.
    assert crop_path(file_uuid, 10, 0).read_bytes() == jpeg
    image_format, size, centre = decoded(crop_path(file_uuid, 20, 1))
    assert (image_format, size) == ("JPEG", (96, 128))
    assert all(abs(got - want) <= 3 for got, want in zip(centre, (20, 200, 40)))


def test_a_palette_png_with_transparency_and_a_cmyk_jpeg_become_rgb_jpegs(folder, django_capture_on_commit_callbacks):
    palette = Image.new("P", (40, 40), 1)
    palette.putpalette([0, 0, 0, 250, 250, 0] + [0] * 762)
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG", transparency=0)
    put(folder, "crops/a.png", buffer.getvalue())
    buffer = io.BytesIO()
    Image.new("CMYK", (30, 20), (0, 255, 255, 0)).save(buffer, format="JPEG")
    put(folder, "crops/b.jpg", buffer.getvalue())
    document = ingest_document(faces=[crop_face(1, "crops/a.png"), crop_face(2, "crops/b.jpg")])

    ingest_committed(django_capture_on_commit_callbacks, document=document, document_dir=folder)

    file_uuid = uuid.UUID(document["file_uuid"])
    for frame_number, size in ((1, (40, 40)), (2, (30, 20))):
        with Image.open(crop_path(file_uuid, frame_number, 0)) as stored:
            assert (stored.format, stored.mode, stored.size) == ("JPEG", "RGB", size)


def test_a_symlink_inside_the_folder_and_a_path_through_dotdot_that_stays_inside_are_taken(
    folder, django_capture_on_commit_callbacks
):
    put(folder, "crops/real.jpg", image_bytes("JPEG", size=(20, 20)))
    (folder / "crops" / "link.jpg").symlink_to(folder / "crops" / "real.jpg")
    document = ingest_document(faces=[crop_face(1, "crops/link.jpg"), crop_face(2, "crops/../crops/real.jpg")])
    assert ingest_committed(django_capture_on_commit_callbacks, document=document, document_dir=folder).crops == 2


def _truncated(kind):
    data = image_bytes(kind, size=(64, 64))
    return data[: len(data) - (2 if kind == "JPEG" else 12)]


def _outside_symlink(folder):
    secret = folder.parent / "secret.jpg"
    secret.write_bytes(image_bytes("JPEG"))
    (folder / "crops" / "evil.jpg").symlink_to(secret)
    return "crops/evil.jpg"


def _gif(folder):
    return put(folder, "crops/face.gif", image_bytes("GIF", size=(20, 20)))


HOSTILE = {
    # name: (make the crop in the folder and return its path, a part of the reason)
    "truncated JPEG": (lambda folder: put(folder, "crops/t.jpg", _truncated("JPEG")), "corrupt or truncated"),
    "truncated JPEG, half": (
        lambda folder: put(folder, "crops/t.jpg", image_bytes("JPEG", size=(64, 64))[:300]),
        "corrupt or truncated",
    ),
    "PNG without its end": (lambda folder: put(folder, "crops/t.png", _truncated("PNG")), "corrupt or truncated"),
    "decompression bomb": (lambda folder: put(folder, "crops/b.png", png_header(30000, 30000)), "decompression bomb"),
    "over Pillow's warning limit": (
        lambda folder: put(folder, "crops/w.png", png_header(9500, 9500)),
        "decompression bomb",
    ),
    "over the side limit": (
        lambda folder: put(folder, "crops/s.png", png_header(5000, 10)),
        "5000x10 pixels; a crop is at most 4096 pixels a side",
    ),
    "a GIF": (_gif, "not a JPEG or PNG image"),
    "not an image": (lambda folder: put(folder, "crops/notes.jpg", b"<html>hello</html>"), "not a JPEG or PNG image"),
    "empty file": (lambda folder: put(folder, "crops/empty.jpg", b""), "not a JPEG or PNG image"),
    "dot-dot out of the folder": (
        lambda folder: put(folder.parent, "outside.jpg", image_bytes("JPEG")) and "../outside.jpg",
        "outside the document's folder",
    ),
    "absolute path": (lambda folder: str(folder / "crops" / "x.jpg"), "is an absolute path"),
    "symlink leading out": (_outside_symlink, "outside the document's folder"),
    "missing file": (lambda folder: "crops/nobody.jpg", "no such file"),
    "a directory": (lambda folder: "crops", "is not a regular file"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_a_hostile_crop_refuses_the_document_with_path_and_reason_and_writes_nothing(folder, case):
    make, reason = HOSTILE[case]
    put(folder, "crops/good.jpg", image_bytes("JPEG", size=(32, 32)))
    crop = make(folder)
    document = ingest_document(faces=[crop_face(10, "crops/good.jpg"), face(15), crop_face(20, crop)])

    with pytest.raises(ValidationError) as refused:
        media_file_ingest(document=document, document_dir=folder)

    message = "; ".join(refused.value.messages)
    assert message.startswith(f"faces[2].crop {crop!r}: ") and reason in message
    assert nothing_written()
    assert crops_on_disk() == []


def test_of_many_hostile_crops_the_first_in_the_document_is_named(folder):
    """The crops are checked by several threads; the refusal still names the first bad one."""
    put(folder, "crops/good.jpg", image_bytes("JPEG", size=(32, 32)))
    put(folder, "crops/bomb.png", png_header(30000, 30000))
    faces = [crop_face(frame, "crops/good.jpg") for frame in range(0, 400, 2)]
    faces[57] = crop_face(114, "crops/nobody.jpg")
    faces[58] = crop_face(116, "crops/bomb.png")
    faces[150] = crop_face(300, "crops/bomb.png")

    with pytest.raises(ValidationError) as refused:
        media_file_ingest(document=ingest_document(faces=faces), document_dir=folder)

    assert "; ".join(refused.value.messages).startswith("faces[57].crop 'crops/nobody.jpg': no such file")
    assert nothing_written()
    assert crops_on_disk() == []


def test_a_bomb_among_many_crops_is_refused_as_a_bomb(folder):
    """Pillow's bomb warning is an error in every thread checking crops, not only the first."""
    put(folder, "crops/good.jpg", image_bytes("JPEG", size=(32, 32)))
    put(folder, "crops/warn.png", png_header(9500, 9500))
    faces = [crop_face(frame, "crops/good.jpg") for frame in range(0, 400, 2)]
    faces[123] = crop_face(246, "crops/warn.png")

    with pytest.raises(ValidationError) as refused:
        media_file_ingest(document=ingest_document(faces=faces), document_dir=folder)

    assert "; ".join(refused.value.messages).startswith("faces[123].crop 'crops/warn.png': a decompression bomb")
    assert crops_on_disk() == []


def test_a_refused_replacement_leaves_the_old_crops_and_rows(folder, django_capture_on_commit_callbacks):
    old = image_bytes("JPEG", size=(50, 50), color=(10, 10, 200))
    put(folder, "crops/10.jpg", old)
    document = ingest_document(faces=[crop_face(10, "crops/10.jpg"), face(20)])
    ingest_committed(django_capture_on_commit_callbacks, document=document, document_dir=folder)
    file_uuid = uuid.UUID(document["file_uuid"])

    put(folder, "crops/new.jpg", image_bytes("JPEG", size=(50, 50), color=(250, 250, 0)))
    put(folder, "crops/bad.jpg", _truncated("JPEG"))
    replacement = ingest_document(
        file_uuid=file_uuid, faces=[crop_face(10, "crops/new.jpg"), crop_face(30, "crops/bad.jpg")]
    )
    with pytest.raises(ValidationError, match=r"faces\[1\]\.crop 'crops/bad.jpg': a corrupt or truncated image"):
        ingest_committed(django_capture_on_commit_callbacks, document=replacement, document_dir=folder, replace=True)

    assert crops_on_disk() == [file_uuid.hex, f"{file_uuid.hex}/10_0.jpg"]
    assert crop_path(file_uuid, 10, 0).read_bytes() == old
    assert sorted(MediaFile.objects.get().faces.values_list("frame_number", flat=True)) == [10, 20]


def test_a_replacement_failing_in_its_transaction_leaves_the_old_crops(
    folder, monkeypatch, django_capture_on_commit_callbacks
):
    old = image_bytes("JPEG", size=(50, 50))
    put(folder, "crops/10.jpg", old)
    document = ingest_document(faces=[crop_face(10, "crops/10.jpg")])
    ingest_committed(django_capture_on_commit_callbacks, document=document, document_dir=folder)
    file_uuid = uuid.UUID(document["file_uuid"])

    put(folder, "crops/new.jpg", image_bytes("JPEG", size=(60, 60)))
    monkeypatch.setattr(ingest, "chunk_rows", disk_full)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_committed(
            django_capture_on_commit_callbacks,
            document={**document, "faces": [crop_face(10, "crops/new.jpg")]},
            document_dir=folder,
            replace=True,
        )
    assert crops_on_disk() == [file_uuid.hex, f"{file_uuid.hex}/10_0.jpg"]
    assert crop_path(file_uuid, 10, 0).read_bytes() == old


def test_a_first_ingest_failing_in_its_transaction_writes_no_crops(folder, monkeypatch):
    put(folder, "crops/10.jpg", image_bytes("JPEG"))
    monkeypatch.setattr(ingest, "chunk_rows", disk_full)
    with pytest.raises(RuntimeError, match="disk full"):
        media_file_ingest(document=ingest_document(faces=[crop_face(10, "crops/10.jpg")]), document_dir=folder)
    assert nothing_written()
    assert crops_on_disk() == []


def test_replace_keeps_crops_of_remaining_faces_it_gives_none_and_drops_those_of_gone_faces(
    folder, django_capture_on_commit_callbacks
):
    colours = {name: image_bytes("JPEG", size=(40, 40), color=colour) for name, colour in
               {"a": (200, 0, 0), "b": (0, 200, 0), "c": (0, 0, 200), "a2": (200, 200, 0), "d": (0, 200, 200)}.items()}
    for name, data in colours.items():
        put(folder, f"crops/{name}.jpg", data)
    file_uuid = uuid.uuid4()
    original = ingest_document(
        file_uuid=file_uuid,
        faces=[crop_face(10, "crops/a.jpg"), crop_face(20, "crops/b.jpg"), crop_face(30, "crops/c.jpg"), face(40)],
    )
    ingest_committed(django_capture_on_commit_callbacks, document=original, document_dir=folder)

    replacement = ingest_document(
        file_uuid=file_uuid,
        faces=[
            crop_face(10, "crops/a2.jpg"),  # a new crop replaces the old one
            face(20, trace_id=3),  # remains, no crop given: its crop stays
            face(40),  # remains, never had a crop
            crop_face(50, "crops/d.jpg"),  # new
            # 30_0 is gone, and its crop with it.
        ],
    )
    result = ingest_committed(
        django_capture_on_commit_callbacks, document=replacement, document_dir=folder, replace=True
    )

    assert (result.crops, result.crops_kept) == (2, 1)
    directory = file_crops_dir(file_uuid)
    names = ("10_0.jpg", "20_0.jpg", "50_0.jpg")
    assert crops_on_disk() == [file_uuid.hex] + [f"{file_uuid.hex}/{name}" for name in names]
    assert (directory / "10_0.jpg").read_bytes() == colours["a2"]
    assert (directory / "20_0.jpg").read_bytes() == colours["b"]
    assert (directory / "50_0.jpg").read_bytes() == colours["d"]


def test_replace_without_crops_of_a_file_whose_faces_are_all_gone_removes_its_crops(
    folder, django_capture_on_commit_callbacks
):
    put(folder, "crops/a.jpg", image_bytes("JPEG"))
    document = ingest_document(faces=[crop_face(10, "crops/a.jpg")])
    ingest_committed(django_capture_on_commit_callbacks, document=document, document_dir=folder)
    ingest_committed(django_capture_on_commit_callbacks, document={**document, "faces": [face(11)]}, replace=True)
    assert crops_on_disk() == []


def test_a_new_file_does_not_take_crops_left_in_its_directory(folder, django_capture_on_commit_callbacks):
    file_uuid = uuid.uuid4()
    put(file_crops_dir(file_uuid), "10_0.jpg", b"left over")
    document = ingest_document(file_uuid=file_uuid, faces=[face(10)])
    ingest_committed(django_capture_on_commit_callbacks, document=document)
    assert crops_on_disk() == []


def test_crops_without_the_documents_folder_are_refused(folder):
    put(folder, "crops/a.jpg", image_bytes("JPEG"))
    document = ingest_document(faces=[face(5), crop_face(10, "crops/a.jpg")])
    with pytest.raises(ValidationError, match=r"faces\[1\]\.crop is given but not the document's folder"):
        media_file_ingest(document=document)
    assert nothing_written()


@pytest.mark.parametrize(
    "crop, reason",
    [
        (7, "faces[0].crop must be a string"),
        ("", "faces[0].crop must not be empty"),
        ("a\x00b", "must not contain NUL"),
    ],
)
def test_a_crop_that_is_not_a_path_is_refused(folder, crop, reason):
    with pytest.raises(ValidationError) as refused:
        media_file_ingest(document=ingest_document(faces=[crop_face(1, crop)]), document_dir=folder)
    assert reason in "; ".join(refused.value.messages)
    assert nothing_written()


def test_media_path_is_stored_resolved(folder, tmp_path):
    relative = ingest_document(media_path="../videos/charade.mp4")
    media_file_ingest(document=relative, document_dir=folder)
    absolute = ingest_document(media_path=str(tmp_path / "elsewhere" / "film.mp4"))
    media_file_ingest(document=absolute)
    none = ingest_document()
    media_file_ingest(document=none)

    paths = dict(MediaFile.objects.values_list("file_uuid", "media_path"))
    assert paths[uuid.UUID(relative["file_uuid"])] == str(tmp_path / "videos" / "charade.mp4")
    assert paths[uuid.UUID(absolute["file_uuid"])] == str(tmp_path / "elsewhere" / "film.mp4")
    assert paths[uuid.UUID(none["file_uuid"])] is None

    media_file_ingest(document=ingest_document(file_uuid=uuid.UUID(relative["file_uuid"])), replace=True)
    assert MediaFile.objects.get(file_uuid=relative["file_uuid"]).media_path is None


@pytest.mark.parametrize(
    "media_path, reason",
    [("film.mp4", "media_path is relative but the document's folder is not given"), (3, "media_path must be a string")],
)
def test_a_media_path_that_cannot_be_resolved_is_refused(media_path, reason):
    with pytest.raises(ValidationError, match=reason):
        media_file_ingest(document=ingest_document(media_path=media_path))
    assert nothing_written()


def test_command_takes_crops_relative_to_each_document_and_reports_a_hostile_one(
    folder, capsys, django_capture_on_commit_callbacks
):
    put(folder, "crops/a.jpg", image_bytes("JPEG", size=(30, 30)))
    put(folder, "crops/bomb.png", png_header(30000, 30000))
    good = write_json(folder / "a_good.json", ingest_document(faces=[crop_face(10, "crops/a.jpg")], media_path="a.mp4"))
    bad = write_json(folder / "b_bad.json", ingest_document(faces=[face(1), crop_face(10, "crops/bomb.png")]))

    with pytest.raises(CommandError, match="1 of 2 document"), django_capture_on_commit_callbacks(execute=True):
        call_command("ingest", str(folder))

    out, err = capsys.readouterr()
    assert re.search(r"Ingested 1 file\(s\), refused 1; wrote 1 faces, 1 crops and 2 chunks in ", out)
    assert f"Refused {bad}: faces[1].crop 'crops/bomb.png': a decompression bomb" in err
    media_file = MediaFile.objects.get()
    assert media_file.media_path == str(folder / "a.mp4")
    file_uuid = uuid.UUID(json.loads(good.read_text())["file_uuid"])
    assert crops_on_disk() == [file_uuid.hex, f"{file_uuid.hex}/10_0.jpg"]
