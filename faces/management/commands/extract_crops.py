from django.core.management.base import BaseCommand, CommandError

from faces.crops import CROP_MAX_SIDE
from faces.management.progress import ProgressBar
from faces.models import MediaFile
from faces.services.crops_extract import (
    DEFAULT_CROP_SIZE,
    CropExtractionFailed,
    media_file_crops_extract,
    trace_best_faces,
)
from momentry.core.parsing import parse_uuid

MIN_CROP_SIZE = 16


def _positive(value):
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Cut face crops from the media files' videos (their media_path, given by the ingest document): "
        "for each trace its best faces (highest confidence × bbox area; the first is the trace's "
        "representative face), written as {output}/faces/{file_uuid}/{face_id}.jpg over any crop they had. "
        "A file whose video is missing or cannot be decoded is reported and the others go on."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", metavar="FILE_UUID", help="only this media file (default: every file with a media_path)"
        )
        parser.add_argument(
            "--per-trace", type=_positive, default=1, metavar="N", help="the N best faces of each trace (default 1)"
        )
        parser.add_argument(
            "--size",
            type=_positive,
            default=DEFAULT_CROP_SIZE,
            metavar="PX",
            help=f"the crops' longer side in pixels, {MIN_CROP_SIZE} to {CROP_MAX_SIDE} (default {DEFAULT_CROP_SIZE})",
        )

    def handle(self, *args, file, per_trace, size, **options):
        if not MIN_CROP_SIZE <= size <= CROP_MAX_SIDE:
            raise CommandError(f"--size must be between {MIN_CROP_SIZE} and {CROP_MAX_SIDE} pixels, not {size}.")
        media_files = self._media_files(file)
        plans = [
            (media_file, trace_best_faces(media_file=media_file, per_trace=per_trace)) for media_file in media_files
        ]
        progress = ProgressBar(self.stderr, total=sum(len(faces) for _, faces in plans), label="Cutting crops")
        written, failed = 0, []
        for media_file, faces in plans:
            note = media_file.file_name
            try:
                result = media_file_crops_extract(
                    media_file=media_file, faces=faces, size=size, on_face=lambda face: progress.advance(note)
                )
            except CropExtractionFailed as exc:
                failed.append((media_file, str(exc)))
                continue
            written += result.written
            if result.missing:
                named = ", ".join(f"{face.frame_number}_{face.index}" for face in result.missing[:5])
                more = f" and {len(result.missing) - 5} more" if len(result.missing) > 5 else ""
                failed.append((media_file, f"{len(result.missing)} face(s) not in the video's frames: {named}{more}"))
        progress.finish()
        for media_file, reason in failed:
            self.stderr.write(f"Failed {media_file.file_uuid.hex} ({media_file.file_name}): {reason}")
        self.stdout.write(
            f"Cut {written:,} crop(s) from {len(plans) - len(failed)} of {len(plans)} file(s), "
            f"{per_trace} a trace at most, {size} px; {len(failed)} file(s) failed."
        )
        if failed:
            raise CommandError(f"{len(failed)} of {len(plans)} file(s) failed.")

    def _media_files(self, file):
        if file is None:
            return list(MediaFile.objects.filter(media_path__isnull=False).exclude(media_path=""))
        file_uuid = parse_uuid(file)
        if file_uuid is None:
            raise CommandError(f"--file must be a file_uuid (32 hex digits or the dashed form), not {file!r}.")
        media_file = MediaFile.objects.filter(file_uuid=file_uuid).first()
        if media_file is None:
            raise CommandError(f"No media file {file_uuid.hex}.")
        return [media_file]
