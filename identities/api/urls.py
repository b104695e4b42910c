from django.urls import path

from momentry.api import converters  # noqa: F401  (registers <uuidish:...>)

from . import views

urlpatterns = [
    path("identities", views.IdentityListView.as_view(), name="identity-list"),
    path("identity/<uuidish:identity_uuid>", views.IdentityDetailView.as_view(), name="identity-detail"),
]
