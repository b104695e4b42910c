"""Moving faces between owners with set-based statements, and describing the faces that moved.

Every write that re-points faces (bind, unbind, merge, undo and redo) goes through here: faces are
locked in key order (the order every writer uses), moved with one UPDATE whatever their number,
and reported by key, and the segments of the traces they belong to are brought up to date in the
same transaction (`faces.segments`: re-pointed where they moved whole, rebuilt elsewhere). Many
faces travel as parameters read as one relation, in the SQL shape of each database
(`faces.relations`).
"""
from collections import Counter
from itertools import groupby

from django.db import connection
from django.db.models import Q

from momentry.core.parsing import parse_uuid

from .keys import face_id, runs_columns, runs_decode, runs_encode
from .models import FaceDetection, MediaFile, identity_model
from .relations import digit_columns_relation, ints_in, rows_relation
from .segments import segments_after_move

_CURRENT_OWNER = object()


def _faces_table():
    return connection.ops.quote_name(FaceDetection._meta.db_table)


_KEY_COLUMNS = [("file_id", "bigint"), ("frame", "integer"), ("idx", "integer")]
_MOVE_COLUMNS = [*_KEY_COLUMNS, ("from_id", "bigint"), ("to_id", "bigint")]
_NULL_SAFE_EQUALS = {"postgresql": "IS NOT DISTINCT FROM", "sqlite": "IS"}
_SAME_FACE = 'f.media_file_id = m.file_id AND f.frame_number = m.frame AND f."index" = m.idx'
_RETURNING = 'RETURNING media_file_id, frame_number, "index", trace_id'


def _in_files(keys):
    """The condition that a face (`f`) is in one of the keys' files (`faces.relations.ints_in`)."""
    return ints_in("f.media_file_id", {key[0] for key in keys})


def _moved(cursor, *, from_id=None, to_id=None, owners=None):
    """The keys of the faces an UPDATE ... RETURNING moved, once their traces' segments are up to
    date; each moved from `from_id` to `to_id`, or as `owners` says (`{key: (from, to)}`)."""
    rows = cursor.fetchall()
    if owners is None:
        moved = Counter((file_id, trace_id, from_id, to_id) for file_id, _, _, trace_id in rows)
    else:
        moved = Counter((row[0], row[3], *owners[row[:3]]) for row in rows)
    segments_after_move(moved)
    return [row[:3] for row in rows]


def locked_face_rows(faces):
    """Lock the faces about to change and return `(media_file_id, frame, index, identity_id)` rows,
    ordered by the unique key, so concurrent writers lock faces in the same order."""
    return list(
        faces.select_for_update()
        .order_by("media_file_id", "frame_number", "index")
        .values_list("media_file_id", "frame_number", "index", "identity_id")
    )


def faces_move_locked(rows, *, to_id):
    """Re-point exactly the faces of `rows` (from `locked_face_rows`, still locked) with one UPDATE by
    key; returns the `(media_file_id, frame, index)` keys it moved.

    By key, not by the filter that found them: a face that another request moved since the lock
    was taken is not among the rows and is left where that request put it.
    """
    if not rows:
        return []
    keys, params = rows_relation("m", _KEY_COLUMNS, [row[:3] for row in rows])
    in_files, file_params = _in_files(rows)
    sql = f"""
        UPDATE {_faces_table()} AS f SET identity_id = %s FROM {keys}
        WHERE {_SAME_FACE} AND {in_files} {_RETURNING}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [to_id, *params, *file_params])
        return _moved(cursor, owners={tuple(row[:3]): (row[3], to_id) for row in rows})


def faces_locked_owners(keys):
    """Lock the faces of `[(media_file_id, frame, index), ...]` in key order and return
    `{key: identity_id or None}` for those that exist (one SELECT)."""
    if not keys:
        return {}
    rows, params = rows_relation("m", _KEY_COLUMNS, keys)
    in_files, file_params = _in_files(keys)
    lock = " FOR UPDATE OF f" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT f.media_file_id, f.frame_number, f."index", f.identity_id
                FROM {_faces_table()} AS f JOIN {rows} ON {_SAME_FACE} WHERE {in_files}
                ORDER BY f.media_file_id, f.frame_number, f."index"{lock}""",
            [*params, *file_params],
        )
        return {(file_id, frame, index): owner for file_id, frame, index, owner in cursor.fetchall()}


def face_groups(rows, *, owner=_CURRENT_OWNER):
    """Snapshot face groups of face rows, by their current owner or all under `owner` (uuid or None)."""
    file_hexes = _file_hexes_by_id({row[0] for row in rows})
    if owner is _CURRENT_OWNER:
        owner_ids = {row[3] for row in rows if row[3] is not None}
        owner_uuids = dict(identity_model().objects.filter(pk__in=owner_ids).values_list("pk", "identity_uuid"))
    groups = {}
    for file_id, frame_number, index, identity_id in rows:
        face_owner = owner_uuids.get(identity_id) if owner is _CURRENT_OWNER else owner
        key = (file_hexes[file_id], face_owner.hex if face_owner else None)
        groups.setdefault(key, []).append([frame_number, index])
    return [
        {"file_uuid": file_uuid, "identity_uuid": owner_uuid, "keys": keys}
        for (file_uuid, owner_uuid), keys in groups.items()
    ]


def face_key_groups(rows):
    """`[{"file_uuid", "keys": runs}]` and the count, from `(media_file_id, frame_number, index)` rows."""
    rows = sorted(rows)
    file_hexes = _file_hexes_by_id({row[0] for row in rows})
    groups = [
        {"file_uuid": file_hexes[file_id], "keys": runs_encode((frame, index) for _, frame, index in file_rows)}
        for file_id, file_rows in groupby(rows, key=lambda row: row[0])
    ]
    return groups, len(rows)


def face_keys_of_groups(groups):
    """`[(media_file_id, frame, index), ...]` of the runs of `face_key_groups`, for the files that
    still exist, in the order of the runs."""
    file_ids = file_ids_by_uuid(group["file_uuid"] for group in groups)
    return [
        (file_ids[group["file_uuid"]], frame, index)
        for group in groups
        if group["file_uuid"] in file_ids
        for first, last, index in runs_decode(group["keys"])
        for frame in range(first, last + 1)
    ]


def faces_move_all(*, from_id, to_id):
    """Re-point every face of one identity with one UPDATE (to None: unbind them); returns the keys
    of the faces moved."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_faces_table()} SET identity_id = %s WHERE identity_id = %s {_RETURNING}", [to_id, from_id]
        )
        return _moved(cursor, from_id=from_id, to_id=to_id)


def faces_move_groups(groups, *, from_id, to_id):
    """Re-point, with one UPDATE, those of the faces of `face_key_groups` runs (a merge record's)
    that are bound to `from_id` and whose file still exists; returns the keys moved.

    Joined by the whole unique key: every face is one probe of the unique index, or one hash
    lookup, however scattered (100,000 faces twelve frames apart are 100,000 one-frame runs). The
    runs' text becomes the statement's arrays without a key a face (`faces.keys.runs_columns`).
    """
    file_ids = file_ids_by_uuid(group["file_uuid"] for group in groups)
    files, frames, indexes = [], [], []
    for group in groups:
        if group["file_uuid"] in file_ids:
            group_frames, group_indexes = runs_columns(group["keys"])
            files += [file_ids[group["file_uuid"]]] * len(group_frames)
            frames += group_frames
            indexes += group_indexes
    if not frames:
        return []
    rows, params = digit_columns_relation("m", _KEY_COLUMNS, [files, frames, indexes])
    in_files, file_params = ints_in("f.media_file_id", set(file_ids.values()))
    sql = f"""
        UPDATE {_faces_table()} AS f SET identity_id = %s FROM {rows}
        WHERE {_SAME_FACE} AND f.identity_id = %s AND {in_files} {_RETURNING}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [to_id, *params, from_id, *file_params])
        return _moved(cursor, from_id=from_id, to_id=to_id)


def faces_move_each(moves):
    """Move each face of `[[file_id, frame, index, from_identity_id, to_identity_id], ...]` with one
    UPDATE (the caller has locked them with `faces_locked_owners`); a face moves only while its
    owner is still `from_identity_id` (None for unbound). Returns the number moved."""
    if not moves:
        return 0
    rows, params = rows_relation("m", _MOVE_COLUMNS, moves)
    in_files, file_params = _in_files(moves)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {_faces_table()} AS f SET identity_id = m.to_id FROM {rows}
                WHERE {_SAME_FACE} AND f.identity_id {_NULL_SAFE_EQUALS[connection.vendor]} m.from_id
                AND {in_files} {_RETURNING}""",
            [*params, *file_params],
        )
        return len(_moved(cursor, owners={tuple(move[:3]): tuple(move[3:]) for move in moves}))


def faces_described(keys):
    """`{file_uuid, face_id, identity_uuid}` of the faces with these keys (one query); a face that no
    longer exists is listed with `identity_uuid` null."""
    keys = sorted(keys)
    if not keys:
        return []
    condition = Q()
    for file_id, frame_number, index in keys:
        condition |= Q(media_file_id=file_id, frame_number=frame_number, index=index)
    owners = {
        (file_id, frame_number, index): owner.hex if owner else None
        for file_id, frame_number, index, owner in FaceDetection.objects.filter(condition).values_list(
            "media_file_id", "frame_number", "index", "identity__identity_uuid"
        )
    }
    file_hexes = _file_hexes_by_id({key[0] for key in keys})
    return [
        {"file_uuid": file_hexes[key[0]], "face_id": face_id(key[1], key[2]), "identity_uuid": owners.get(key)}
        for key in keys
        if key[0] in file_hexes
    ]


def _file_hexes_by_id(file_ids):
    """`{media_file_id: file_uuid hex}` of the files that still exist."""
    files = MediaFile.objects.filter(pk__in=file_ids)
    return {pk: file_uuid.hex for pk, file_uuid in files.values_list("pk", "file_uuid")}


def file_ids_by_uuid(file_hexes):
    """`{file_uuid hex: media_file_id}` of the files that still exist."""
    files = MediaFile.objects.filter(file_uuid__in={parse_uuid(file_hex) for file_hex in file_hexes})
    return {file_uuid.hex: pk for pk, file_uuid in files.values_list("pk", "file_uuid")}
