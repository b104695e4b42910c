from django.contrib import admin

from momentry.admin import ReadOnlyAdmin

from .models import Chunk, FaceDetection, MediaFile


@admin.register(MediaFile)
class MediaFileAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "file_uuid", "fps", "duration", "frame_count", "ingested_at"]
    search_fields = ["file_name", "file_uuid"]


@admin.register(FaceDetection)
class FaceDetectionAdmin(ReadOnlyAdmin):
    list_display = ["id", "media_file", "frame_number", "index", "trace_id", "confidence", "identity"]
    list_select_related = ["media_file", "identity"]
    search_fields = ["media_file__file_uuid", "identity__name"]
    show_full_result_count = False


@admin.register(Chunk)
class ChunkAdmin(ReadOnlyAdmin):
    list_display = ["chunk_id", "media_file", "chunk_type", "start_time", "end_time", "text"]
    list_select_related = ["media_file"]
    list_filter = ["chunk_type"]
    search_fields = ["chunk_id", "text"]
    show_full_result_count = False
