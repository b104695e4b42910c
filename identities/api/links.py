"""The OpenAPI links between the identity operations: which field of a response feeds which call
(for generated clients, and for schemathesis's stateful tests). Each function gives link targets
for `momentry.api.schema.links`, from the JSON pointer of the value in the response."""


def identity_targets(pointer):
    """From an identity's uuid to what can be read and changed of it."""
    uuid = {"identity_uuid": f"$response.body#{pointer}"}
    return {
        "GetIdentity": ("identity_retrieve", uuid),
        "UpdateIdentity": ("identity_partial_update", uuid),
        "DeleteIdentity": ("identity_destroy", uuid),
        "GetIdentityHistory": ("identity_history_list", uuid),
        "GetIdentityFaces": ("identity_faces_list", uuid),
        "GetIdentityTraces": ("identity_traces_list", uuid),
        "GetIdentityJson": ("identity_json_retrieve", uuid),
    }


def undo_change_targets(pointer):
    """From a history entry's id (null when a binding changed nothing) to its undo."""
    return {"UndoChange": ("identity_history_undo", {"history_id": f"$response.body#{pointer}"})}


def redo_change_targets(pointer):
    return {"RedoChange": ("identity_history_redo", {"history_id": f"$response.body#{pointer}"})}


def undo_merge_targets(pointer):
    return {"UndoMerge": ("identity_merge_undo", {"merge_id": f"$response.body#{pointer}"})}


def redo_merge_targets(pointer):
    return {"RedoMerge": ("identity_merge_redo", {"merge_id": f"$response.body#{pointer}"})}
