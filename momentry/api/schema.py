"""What the schema says beyond the serializers: the project's AutoSchema, the contract's error body
and the 4xx statuses each operation answers, the patterns of uuids and trimmed texts, named enums,
and the query parameters of a FilterSet."""
import inspect
import re

import django_filters
from django import forms
from django.utils.module_loading import import_string
from drf_spectacular import openapi
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from momentry.core.parsing import INT32_RANGE, UUID_TEXT

# --- patterns ----------------------------------------------------------------------------------

# Exactly what `parse_uuid` takes: 32 hex digits or the dashed form, in either case.
UUID_PATTERN = f"^(?:{UUID_TEXT.pattern})$"
UUID_SCHEMA = {"type": "string", "pattern": UUID_PATTERN}
INT32_SCHEMA = {"type": "integer", "minimum": INT32_RANGE[0], "maximum": INT32_RANGE[1]}


def _class_items(characters):
    """The body of a regex character class for `characters`, as `\\uXXXX` escapes and ranges, which
    Python, ECMA-262 and Rust regexes all read alike."""
    codes, items = sorted(map(ord, characters)), []
    while codes:
        first = last = codes.pop(0)
        while codes and codes[0] == last + 1:
            last = codes.pop(0)
        items.append(f"\\u{first:04x}" if first == last else f"\\u{first:04x}-\\u{last:04x}")
    return "".join(items)


# What `str.strip()` removes, spelled out: `\\s` differs between Python (which also strips
# \\x1c-\\x1f), ECMA-262 and Rust, so a pattern with it and the server would disagree.
WHITESPACE = _class_items(chr(code) for code in range(0x10000) if chr(code).isspace())
NUL = "\\u0000"


def trimmed_text_pattern(max_length, *, blank=False):
    """Text of 1 to `max_length` characters once surrounding whitespace is trimmed (or blank, with
    `blank`), with no NUL: how the API reads a name or a search text (`str.strip()`, then the
    length). A raw `maxLength` could not say it, since surrounding whitespace does not count."""
    ends = f"[^{WHITESPACE}{NUL}]"
    core = f"{ends}(?:[^{NUL}]{{0,{max_length - 2}}}{ends})?"
    if blank:
        core = f"(?:{core})?"
    return f"^[{WHITESPACE}]*{core}[{WHITESPACE}]*$"


# Some non-whitespace, no NUL: a name with no length limit of its own (an alias name).
NOT_BLANK_PATTERN = f"^[^{NUL}]*[^{WHITESPACE}{NUL}][^{NUL}]*$"
NO_NUL_PATTERN = f"^[^{NUL}]*$"


# --- the project's AutoSchema ------------------------------------------------------------------


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema with three project rules:

    - an operation's description is its own (its `extend_schema` description, its method's
      docstring, or its view class's own docstring), never one inherited from a base view: through
      `inspect.getdoc`, five operations read "Base of the identity-level endpoints.";
    - a serializer named `...RequestSerializer` is the `...Request` component (COMPONENT_SPLIT_REQUEST
      appends "Request" to every request body, which made `...RequestRequest`);
    - a serializer's `schema_constraints` (what no field can say: `minProperties`, `oneOf`, ...) join
      its component, and a body with a `minProperties` is required (a PATCH body is otherwise optional).
    """

    def get_description(self):
        method = getattr(self.view, getattr(self.view, "action", self.method.lower()), None)
        for doc in (getattr(method, "__doc__", None), type(self.view).__dict__.get("__doc__")):
            if doc:
                return inspect.cleandoc(doc)
        return ""

    def get_serializer_name(self, serializer, direction):
        name = super().get_serializer_name(serializer, direction)
        if direction == "request" and spectacular_settings.COMPONENT_SPLIT_REQUEST:
            name = re.sub(r"Request(Serializer)?$", "", name)
        return name

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        return {**schema, **getattr(serializer, "schema_constraints", {})}

    def _get_request_for_media_type(self, serializer, direction="request"):
        schema, required = super()._get_request_for_media_type(serializer, direction)
        min_properties = getattr(serializer, "schema_constraints", {}).get("minProperties", 0)
        return schema, required or min_properties > 0


# --- errors ------------------------------------------------------------------------------------

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


ERROR_REF = {"$ref": "#/components/schemas/Error"}

# What every API operation may answer, whatever it does: the key is checked first, then its scope.
KEY_ERRORS = {
    401: "No X-API-Key header, or an unknown or revoked key.",
    403: "The key lacks the scope this operation needs.",
}
WRITE_FORBIDDEN = "The key lacks the scope this operation needs, or is read-only."
NOT_ACCEPTABLE = "The Accept header names no type this operation sends (it sends JSON)."
BODY_ERRORS = {
    413: "The request body is over the upload limit.",
    415: "The body is neither JSON nor a form.",
}


def errors(described, *, write=False, body=False, negotiates=True, media_type=None):
    """The 4xx responses of one operation, each the contract's error body with what the status
    means there. `described` maps the operation's own statuses to their causes; 401 and 403 (the
    key and its scope, a read-only key for a `write`), 406 (the Accept header, unless the view
    falls back to JSON: `negotiates=False`) and, for a view that reads a `body`, 413 and 415 are
    added unless `described` words them itself. `media_type` keys the responses by it too, for
    operations whose success is not JSON."""
    statuses = {**KEY_ERRORS}
    if write:
        statuses[403] = WRITE_FORBIDDEN
    if negotiates:
        statuses[406] = NOT_ACCEPTABLE
    if body:
        statuses.update(BODY_ERRORS)
    statuses.update(described)
    return {
        (status, media_type) if media_type else status: OpenApiResponse(response=ERROR_REF, description=description)
        for status, description in sorted(statuses.items())
    }


def _operations(result):
    """Every operation of the schema's paths."""
    for operations in result.get("paths", {}).values():
        yield from operations.values()


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: the one error body as a component, and as the `default`
    of every operation (any failure not listed, a 500 say), so generated clients get a type for
    it; the 4xx an operation answers are listed by the operation itself (`errors`)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {
        "description": "Any failure: the status tells which; the body is always this.",
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    for operation in _operations(result):
        operation["responses"].setdefault("default", error)
    return result


def _schema_nodes(node):
    """Every dict in a schema tree, the root included, parents before children."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _schema_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_nodes(value)


def links(**targets):
    """OpenAPI links of an operation's 200 response, for `extend_schema(extensions=...)`: each
    keyword is a link name, its value `(operation_id, {parameter: runtime expression})`, e.g.
    `UndoMerge=("identity_merge_undo", {"merge_id": "$response.body#/data/merge_id"})`.
    drf-spectacular has no links of its own; `attach_links` moves these into the response."""
    return {
        "x-links": {
            name: {"operationId": operation_id, "parameters": parameters}
            for name, (operation_id, parameters) in targets.items()
        }
    }


def attach_links(result, generator, request, public):
    """drf-spectacular postprocessing hook: the links an operation declared (`links`) go to its 200
    response, so clients and schemathesis's stateful tests know which response feeds which call."""
    for operation in _operations(result):
        declared = operation.pop("x-links", None)
        if declared:
            operation["responses"]["200"]["links"] = declared
    return result


def empty_optional_queries(result, generator, request, public):
    """drf-spectacular postprocessing hook: an optional query parameter given empty (`?status=`, as
    an HTML form sends it) is read as not given, by every view (`int_param` and `bool_param`
    defaults, `uuid_from_body`, the FilterSet's filters, `or None`), so the schema says
    `allowEmptyValue`; a required one (`q` of the searches) refuses it."""
    for operation in _operations(result):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
    return result


def typed_nullables(result, generator, request, public):
    """drf-spectacular postprocessing hook: no `nullable` without a `type` (OpenAPI 3.0.3 gives such a
    `nullable` no effect, and linters refuse it). A nullable enum already says null by its `NullEnum`
    alternative; a nullable JSON value of any type takes null as any other value. A nullable nested
    object (`allOf` of its component) is typed `object`, so its null stays allowed."""
    for node in _schema_nodes(result):
        if node.get("nullable") is True and "type" not in node:
            if "allOf" in node:
                node["type"] = "object"
            else:
                del node["nullable"]
    return result


def filterset_parameters(filterset_class):
    """The query parameters of a FilterSet for the schema, with the choices as enums (named by
    `name_enums`). An ordering is a list of its keys, each checked: the schema gives the
    comma-separated form (`name,-created_at`, form style, not exploded); repeated keys
    (`ordering=name&ordering=-created_at`, what some generated clients send) are taken too.

    Text filters are trimmed (blank means no filter) and refuse NUL; integers are the 32-bit
    ASCII integers of `parse_int`, so the schema says so."""
    parameters = []
    for name, declared in filterset_class.base_filters.items():
        choices = declared.extra.get("choices")
        is_ordering = isinstance(declared, django_filters.OrderingFilter)
        if issubclass(declared.field_class, forms.IntegerField):
            schema = INT32_SCHEMA
        elif choices or is_ordering:
            schema = str
        else:
            max_length = declared.extra.get("max_length")
            pattern = trimmed_text_pattern(max_length, blank=True) if max_length else NO_NUL_PATTERN
            schema = {"type": "string", "pattern": pattern}
        parameters.append(
            OpenApiParameter(
                name,
                schema,
                description=str(declared.extra.get("help_text", "")),
                enum=[value for value, _label in choices] if choices else None,
                many=is_ordering or None,
                style="form" if is_ordering else None,
                explode=False if is_ordering else None,
            )
        )
    return parameters


# --- enums -------------------------------------------------------------------------------------


def _named_enums():
    """`{frozenset(values): (name, values, varnames)}` of ENUM_NAME_OVERRIDES: every value set the
    project names, in its declared order, with a member name for each value (the TextChoices name
    where there is one: `.json` is JSON, not VALUE_0)."""
    named = {}
    for name, path in spectacular_settings.ENUM_NAME_OVERRIDES.items():
        declared = import_string(path) if isinstance(path, str) else path
        members = list(declared.choices if hasattr(declared, "choices") else declared)
        values = [_enum_value(member) for member in members]
        if hasattr(declared, "names"):
            varnames = list(declared.names)
        else:
            varnames = [getattr(member, "name", None) or enum_varname(value) for member, value in zip(members, values)]
        named[frozenset(values)] = (name, values, varnames)
    return named


def _enum_value(member):
    """The value of an ENUM_NAME_OVERRIDES member: a `(value, label)` choice, an enum member or a value."""
    if isinstance(member, (tuple, list)):
        return member[0]
    return str(getattr(member, "value", member))


def enum_varname(value):
    """A member name for an enum value: `-created_at` is CREATED_AT_DESC, `.json` is JSON."""
    text = str(value)
    descending = text.startswith("-")
    words = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").upper() or "EMPTY"
    if words[0].isdigit():
        words = f"V_{words}"
    return f"{words}_DESC" if descending else words


def _enum_nodes(node):
    """Every inline string enum below an operation's parameters, as the dict holding it."""
    return (found for found in _schema_nodes(node) if "enum" in found and "$ref" not in found)


def name_enums(result, generator, request, public):
    """drf-spectacular postprocessing hook, after `postprocess_schema_enums`: one enum per concept.

    Query parameters with a named value set (status, source, the identity ordering) refer to its
    component instead of repeating it inline, so a generated client has one `IdentitySourceEnum`,
    not three; each named component gets `x-enum-varnames`."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    named = _named_enums()
    for operation in _operations(result):
        for node in list(_enum_nodes(operation.get("parameters", []))):
            match = named.get(frozenset(node["enum"]))
            if match is None:
                continue
            name, values, varnames = match
            schemas.setdefault(name, {"enum": values, "type": "string"})
            for key in ("enum", "type"):
                node.pop(key, None)
            node["$ref"] = f"#/components/schemas/{name}"
    for name, values, varnames in named.values():
        if name in schemas and schemas[name].get("enum") == values:
            schemas[name]["x-enum-varnames"] = varnames
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result
