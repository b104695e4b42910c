from django.apps import AppConfig


class IdentitiesConfig(AppConfig):
    name = "identities"
    verbose_name = "Identities"

    def ready(self):
        from faces.signals import face_owners_changed
        from momentry.core.signals import process_started

        from .services.files import sync_files_of_changed_owners, write_owed_files_at_start

        face_owners_changed.connect(sync_files_of_changed_owners, dispatch_uid="identities.sync_files")
        process_started.connect(write_owed_files_at_start, dispatch_uid="identities.owed_files")
