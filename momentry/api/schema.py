"""What every operation of the schema shares: the contract's error body."""

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "snake_case, e.g. not_found, validation_error."},
                "message": {"type": "string", "description": "For a person."},
            },
            "required": ["code", "message"],
        },
    },
    "required": ["success", "error"],
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation answers any failure (400, 401, 403, 404,
    409, 413, 415, ...) with the one error body, so generated clients get a type for it."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {
        "description": "Any failure: the status tells which; the body is always this.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            operation["responses"].setdefault("default", error)
    return result
