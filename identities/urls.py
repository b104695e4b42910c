from django.urls import path

from momentry.api import converters  # noqa: F401  (registers <uuidish:...>)

from . import views

urlpatterns = [
    path("identities/", views.identity_list_view, name="identity-list"),
    path("identities/<uuidish:identity_uuid>/", views.identity_detail_view, name="identity-detail"),
    path("identities/<uuidish:identity_uuid>/edit", views.identity_edit_view, name="identity-edit"),
    path("identities/<uuidish:identity_uuid>/delete", views.identity_delete_view, name="identity-delete"),
    path("identities/<uuidish:identity_uuid>/unbind", views.trace_unbind_view, name="trace-unbind"),
    path("identities/<uuidish:identity_uuid>/merge", views.identity_merge_view, name="identity-merge"),
    path("identities/<uuidish:identity_uuid>/history/", views.identity_history_view, name="identity-history"),
    path("identities/<uuidish:identity_uuid>/profile-image", views.profile_image_view, name="identity-profile-image"),
]
