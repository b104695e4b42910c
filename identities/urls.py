from django.urls import path

from momentry.api import converters  # noqa: F401  (registers <uuidish:...> and <int32:...>)

from .views import favicon, files, history, identities, images, review

urlpatterns = [
    path("identities/", identities.identity_list_view, name="identity-list"),
    path("identities/<uuidish:identity_uuid>/", identities.identity_detail_view, name="identity-detail"),
    path("identities/<uuidish:identity_uuid>/edit", identities.identity_edit_view, name="identity-edit"),
    path("identities/<uuidish:identity_uuid>/aliases", identities.identity_alias_view, name="identity-alias"),
    path("identities/<uuidish:identity_uuid>/metadata", identities.identity_metadata_view, name="identity-metadata"),
    path("identities/<uuidish:identity_uuid>/delete", identities.identity_delete_view, name="identity-delete"),
    path("identities/<uuidish:identity_uuid>/unbind", identities.trace_unbind_view, name="trace-unbind"),
    path("identities/<uuidish:identity_uuid>/merge", identities.identity_merge_view, name="identity-merge"),
    path("identities/<uuidish:identity_uuid>/history/", identities.identity_history_view, name="identity-history"),
    path("identities/<uuidish:identity_uuid>/profile-image", identities.profile_image_view, name="identity-profile-image"),
    path("files/", files.file_list_view, name="file-list"),
    path("files/<uuidish:file_uuid>/", files.file_detail_view, name="file-detail"),
    path("files/<uuidish:file_uuid>/bind", files.trace_bind_view, name="trace-bind"),
    path("files/<uuidish:file_uuid>/traces/<int32:trace_id>/", files.trace_detail_view, name="trace-detail"),
    path("files/<uuidish:file_uuid>/faces/<str:face_id>.jpg", images.face_image_view, name="face-image"),
    path("files/<uuidish:file_uuid>/traces/<int32:trace_id>.jpg", images.trace_image_view, name="trace-image"),
    path("review/", review.review_view, name="review"),
    path("review/<uuidish:identity_uuid>/accept", review.review_accept_view, name="review-accept"),
    path("review/<uuidish:identity_uuid>/reject", review.review_reject_view, name="review-reject"),
    path("review/<uuidish:identity_uuid>/name", review.review_name_view, name="review-name"),
    path("favicon.ico", favicon.favicon_view, name="favicon"),
    path("history/<uuidish:history_id>/undo", history.history_undo_view, name="history-undo"),
    path("history/<uuidish:history_id>/redo", history.history_redo_view, name="history-redo"),
    path("merges/", history.merge_list_view, name="merge-list"),
    path("merges/<uuidish:merge_id>/undo", history.merge_undo_view, name="merge-undo"),
    path("merges/<uuidish:merge_id>/redo", history.merge_redo_view, name="merge-redo"),
]
