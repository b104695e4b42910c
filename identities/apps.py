from django.apps import AppConfig


class IdentitiesConfig(AppConfig):
    name = "identities"
    verbose_name = "Identities"

    def ready(self):
        from faces.signals import face_owners_changed

        from .services.files import sync_files_of_changed_owners

        face_owners_changed.connect(sync_files_of_changed_owners, dispatch_uid="identities.sync_files")
