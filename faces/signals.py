"""What faces tell the layers above without knowing them."""
from django.dispatch import Signal

# Sent inside the writing transaction with `identity_uuids`: the identities whose bound faces a
# write of this app (ingest) changed. The curation layer rewrites their identity.json on commit.
face_owners_changed = Signal()
