"""The identity row as history records it: snapshot, restore, and the lock order of writers."""
import uuid
from datetime import datetime

from history import recording
from momentry.core.locking import lock_in_key_order

from ..models import Identity
from ..selectors import identity_get


def identity_row(identity):
    """Every concrete column of the identity, JSON-ready (uuids as hex, datetimes ISO 8601)."""
    row = {}
    for field in Identity._meta.concrete_fields:
        value = field.value_from_object(identity)
        if isinstance(value, uuid.UUID):
            value = value.hex
        elif isinstance(value, datetime):
            value = value.isoformat()
        row[field.attname] = value
    return row


def identity_snapshot(identity, *, faces=(), **extra):
    """A history snapshot of the identity (or of its absence, for None)."""
    return recording.snapshot(identity_row(identity) if identity is not None else None, faces=faces, **extra)


def identity_row_restore(row, *, current=None):
    """Write a snapshot row back: the same uuid, the same pk when still free, the same timestamps
    (`created_at` is auto_now_add, which save() overrides, so one UPDATE writes every column as
    recorded). `current` is the identity's row if it still exists; else it is inserted."""
    values = {
        field.attname: field.to_python(row[field.attname])
        for field in Identity._meta.concrete_fields
        if field.attname in row and not field.primary_key
    }
    if current is None:
        pk = row.get("id")
        current = Identity(pk=None if Identity.objects.filter(pk=pk).exists() else pk, **values)
        current.save(force_insert=True)
    Identity.objects.filter(pk=current.pk).update(**values)
    for attname, value in values.items():
        setattr(current, attname, value)
    return current


def identities_locked(identity_uuids):
    """`{uuid: identity}` of those that exist, locked in pk order, the order every writer uses."""
    rows = lock_in_key_order(Identity.objects.filter(identity_uuid__in=list(identity_uuids)))
    return {identity.identity_uuid: identity for identity in rows}


def identity_for_update(identity_uuid):
    """The identity for a path parameter, locked until the transaction ends, or 404."""
    return identity_get(identity_uuid, queryset=Identity.objects.select_for_update())
