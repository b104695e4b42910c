"""What a merge adds to the target's metadata, and how its undo takes exactly that out again.

The merge adds only what the target lacks (the target's values win), recording the highest path it
added, so `metadata_fields_added_paths` lists `tmdb.birthday` when the target had `tmdb`, and
`tmdb` when it had none. The aliases it adds are tagged `source: "merge"` and removed one for one
by undo; a metadata path it added is removed only while its value is still the one the merge put
there, so a value edited by hand stays.
"""
import copy
import json
from dataclasses import dataclass

from momentry.core.errors import Conflict

from ..models import IdentityStatus
from ..validators import ensure_metadata_size

MERGED_INTO = "merged_into"
ALIASES = "aliases"
# Keys of the source's metadata that are not deep-merged: aliases are merged on their own, and
# `merged_into` belongs to the identity it marks.
NOT_MERGED_KEYS = (ALIASES, MERGED_INTO)


def _canonical(value):
    return json.dumps(value, sort_keys=True)


@dataclass(frozen=True)
class MetadataMerge:
    metadata: object
    aliases_added: list
    aliases_key_created: bool
    added: list  # [(path as a list of keys, value)]


def _add_missing(target, source, path):
    """Deep merge: copy into `target` what `source` has and `target` lacks; returns what was added."""
    added = []
    for key, value in source.items():
        if not path and key in NOT_MERGED_KEYS:
            continue
        if key not in target:
            target[key] = copy.deepcopy(value)
            added.append(([*path, key], value))
        elif isinstance(target[key], dict) and isinstance(value, dict):
            added.extend(_add_missing(target[key], value, [*path, key]))
    return added


def metadata_merge(target_metadata, source_metadata):
    """The target's metadata with the source's aliases and missing metadata added.

    A target whose metadata is not an object is left alone (there is nowhere to add to). A merge
    that adds anything must leave the target within the metadata size limit, or it is refused
    whole (413 `metadata_too_large`, raised before anything is written to the merge store).
    """
    if not isinstance(target_metadata, dict):
        return MetadataMerge(target_metadata, [], False, [])
    source = source_metadata if isinstance(source_metadata, dict) else {}
    merged = copy.deepcopy(target_metadata)
    added = _add_missing(merged, source, [])
    aliases_added, aliases_key_created = [], False
    source_aliases = source.get(ALIASES)
    target_aliases = merged.get(ALIASES, [])
    if isinstance(source_aliases, list) and isinstance(target_aliases, list):
        known = {(alias.get("locale"), alias.get("name")) for alias in target_aliases if isinstance(alias, dict)}
        for alias in source_aliases:
            if not isinstance(alias, dict) or not all(isinstance(alias.get(key), str) for key in ("locale", "name")):
                continue
            if (alias["locale"], alias["name"]) in known:
                continue
            known.add((alias["locale"], alias["name"]))
            aliases_added.append({"locale": alias["locale"], "name": alias["name"], "source": "merge"})
        if aliases_added:
            aliases_key_created = ALIASES not in merged
            merged[ALIASES] = [*target_aliases, *aliases_added]
    if added or aliases_added:
        ensure_metadata_size(merged)
    return MetadataMerge(merged, aliases_added, aliases_key_created, added)


def metadata_unmerge(metadata, *, aliases_added, aliases_key_created, added):
    """Take out what a merge added and nothing else; returns `(metadata, aliases removed, paths removed)`."""
    if not isinstance(metadata, dict):
        return metadata, 0, 0
    metadata = copy.deepcopy(metadata)
    aliases_removed = 0
    aliases = metadata.get(ALIASES)
    if isinstance(aliases, list):
        for alias in aliases_added:
            if alias in aliases:
                aliases.remove(alias)
                aliases_removed += 1
        if aliases_key_created and not aliases:
            del metadata[ALIASES]
    paths_removed = 0
    for path, value in added:
        parent = metadata
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and path[-1] in parent and _canonical(parent[path[-1]]) == _canonical(value):
            del parent[path[-1]]
            paths_removed += 1
    return metadata, aliases_removed, paths_removed


def ensure_merge_marks_kept(identity, *, status, metadata):
    """A merged identity keeps its status and `metadata.merged_into` until its merge is undone: a
    PATCH or an upload that would change either would leave a standing merge whose source is not
    merged (and could be merged a second time)."""
    if identity.status != IdentityStatus.MERGED:
        return
    mark = identity.metadata.get(MERGED_INTO) if isinstance(identity.metadata, dict) else None
    new_mark = metadata.get(MERGED_INTO) if isinstance(metadata, dict) else None
    if status == IdentityStatus.MERGED and new_mark == mark:
        return
    merge = f"merge {mark.get('merge_id')} into {mark.get('uuid')}" if isinstance(mark, dict) else "a merge"
    raise Conflict(
        f"Identity {identity.identity_uuid.hex} is merged by {merge}: its status and metadata.merged_into "
        "change only when that merge is undone.",
        code="identity_merged",
    )
