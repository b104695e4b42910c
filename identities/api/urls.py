from django.urls import path

from momentry.api import converters  # noqa: F401  (registers <uuidish:...> and <int32:...>)

from . import (
    history_views,
    image_views,
    merge_views,
    pending_views,
    read_views,
    review_views,
    suggestion_views,
    views,
    write_views,
)

urlpatterns = [
    path("identities", views.IdentityListView.as_view(), name="identity-list"),
    path("identity/<uuidish:identity_uuid>", views.IdentityDetailView.as_view(), name="identity-detail"),
    path("identity/search", read_views.IdentitySearchView.as_view(), name="identity-search"),
    path("identities/search", read_views.IdentitiesSearchView.as_view(), name="identities-search"),
    path("identity/<uuidish:identity_uuid>/files", read_views.IdentityFilesView.as_view(), name="identity-files"),
    path("identity/<uuidish:identity_uuid>/faces", read_views.IdentityFacesView.as_view(), name="identity-faces"),
    path("identity/<uuidish:identity_uuid>/traces", read_views.IdentityTracesView.as_view(), name="identity-traces"),
    path("identity/<uuidish:identity_uuid>/chunks", read_views.IdentityChunksView.as_view(), name="identity-chunks"),
    path("identity/<uuidish:identity_uuid>/status", read_views.IdentityStatusView.as_view(), name="identity-status"),
    path("identity/<uuidish:identity_uuid>/json", read_views.IdentityJsonView.as_view(), name="identity-json"),
    path(
        "identity/<uuidish:identity_uuid>/suggestions",
        review_views.IdentitySuggestionsView.as_view(),
        name="identity-suggestions",
    ),
    path("file/<uuidish:file_uuid>/traces", review_views.FileTracesView.as_view(), name="file-traces"),
    path(
        "file/<uuidish:file_uuid>/face/<str:face_id>/image",
        image_views.FaceImageView.as_view(),
        name="file-face-image",
    ),
    path(
        "file/<uuidish:file_uuid>/trace/<int32:trace_id>/image",
        image_views.TraceImageView.as_view(),
        name="file-trace-image",
    ),
    path("review/strangers", review_views.ReviewStrangersView.as_view(), name="review-strangers"),
    path("identity/upload", write_views.IdentityUploadView.as_view(), name="identity-upload"),
    path(
        "identity/<uuidish:identity_uuid>/profile-image",
        write_views.IdentityProfileImageView.as_view(),
        name="identity-profile-image",
    ),
    path("identity/<uuidish:identity_uuid>/bind", write_views.IdentityBindView.as_view(), name="identity-bind"),
    path(
        "identity/<uuidish:identity_uuid>/bind/trace",
        write_views.IdentityTraceBindView.as_view(),
        name="identity-bind-trace",
    ),
    path("identity/<uuidish:identity_uuid>/unbind", write_views.IdentityUnbindView.as_view(), name="identity-unbind"),
    path(
        "identity/<uuidish:identity_uuid>/mergeinto", merge_views.MergeIntoView.as_view(), name="identity-merge-into"
    ),
    path(
        "identity/<uuidish:target_uuid>/mergefrom", merge_views.MergeFromView.as_view(), name="identity-merge-from"
    ),
    path(
        "identity/<uuidish:identity_uuid>/suggestions/<uuidish:candidate_uuid>/reject",
        suggestion_views.SuggestionRejectView.as_view(),
        name="identity-suggestion-reject",
    ),
    path("identity/merge/history", merge_views.MergeHistoryView.as_view(), name="identity-merge-history"),
    path("identity/merge/<uuidish:merge_id>/undo", merge_views.MergeUndoView.as_view(), name="identity-merge-undo"),
    path("identity/merge/<uuidish:merge_id>/redo", merge_views.MergeRedoView.as_view(), name="identity-merge-redo"),
    path(
        "file/<uuidish:file_uuid>/pending-person",
        pending_views.PendingPersonCreateView.as_view(),
        name="file-pending-person-create",
    ),
    path(
        "file/<uuidish:file_uuid>/pending-persons",
        pending_views.PendingPersonListView.as_view(),
        name="file-pending-persons",
    ),
    path(
        "identity/<uuidish:identity_uuid>/history",
        history_views.IdentityHistoryView.as_view(),
        name="identity-history",
    ),
    path(
        "identity/history/<uuidish:history_id>/undo",
        history_views.HistoryUndoView.as_view(),
        name="identity-history-undo",
    ),
    path(
        "identity/history/<uuidish:history_id>/redo",
        history_views.HistoryRedoView.as_view(),
        name="identity-history-redo",
    ),
]
