"""The bench's data set, built on PostgreSQL with INSERT ... SELECT generate_series.

Deterministic (uuids are md5 of a label): the same scale gives the same rows. Faces come file by
file in frame order, as ingest writes them, in traces of FACES_PER_TRACE detections FRAME_STEP
frames apart; the trace segments are rebuilt per file by `faces.segments`, the module every write
uses, so the bench reads the rows the application would have written.
"""
import hashlib
import math
import time
import uuid
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, transaction

from apikeys.services import api_key_create
from faces.models import Chunk, FaceDetection, MediaFile, TraceSegment
from faces.segments import segments_rebuild_file
from faces.statistics import planner_statistics_refresh

from ..models import Identity

FACES_PER_TRACE = 50
FRAME_STEP = 12  # two detections a second at 24 fps
FPS = 24.0
LANES = 8  # faces on screen at once: a trace's lane is its faces' `index`
TRACE_SPAN = FRAME_STEP * (FACES_PER_TRACE - 1) + 1
SENTENCE_STEP = 3.0
STORY_EVERY = 20  # one `story_child` chunk of ~71 s every 20 chunks (a minute)
STORY_SECONDS = 71.0
UNBOUND_EVERY = 10  # of the ordinary traces, every tenth is bound to nobody
PARTIAL_EVERY = 20  # ... and of every twentieth only the first PARTIAL_FACES faces are bound
PARTIAL_FACES = 40
BIG_NAMES = ("Ingrid Bergstrand", "Humphrey Bogwell", "Lauren Bacalla")
FIRST_NAMES = "Ada Ben Cleo Dan Eva Finn Gia Hugo Iris Jon Kai Lea Max Nia Otto Pia Rex Sia Tom Uma".split()
LAST_NAMES = "Abe Bell Cruz Dunn Ekko Frey Gray Holt Ito Jung Kerr Lowe Moss Nagy Orr Park Quon Rey Sato Tran".split()
# Multipliers of the hash-like spreads below; the permutation's is the first coprime with the trace count.
SPREAD = 2654435761
START_SPREAD = 2246822519
PERMUTATIONS = (7919, 104729, 1299709, 15485863)
APPS = ("identities", "faces", "history", "apikeys")

IDENTITY_TABLE = Identity._meta.db_table
FILE_TABLE = MediaFile._meta.db_table
FACE_TABLE = FaceDetection._meta.db_table
CHUNK_TABLE = Chunk._meta.db_table
SEGMENT_TABLE = TraceSegment._meta.db_table
TABLES = (IDENTITY_TABLE, FILE_TABLE, FACE_TABLE, SEGMENT_TABLE, CHUNK_TABLE)


@dataclass(frozen=True)
class Scale:
    identities: int = 100_000
    faces: int = 5_000_000
    chunks: int = 1_000_000
    files: int = 200
    big_faces: int = 100_000
    merge_faces: tuple = (1_000, 10_000, 100_000)


@dataclass(frozen=True)
class Layout:
    """Where every trace goes. Identity ids: 1..3 the big identities, then one merge source and one
    merge target per merge size, then the ordinary identities (the targets are ordinary too)."""

    scale: Scale
    traces: int
    special_traces: tuple  # (identity_id, traces), in the order their traces are dealt
    pool_start: int
    pool_size: int
    frame_count: int
    slot_frames: int
    chunks_per_file: int
    permutation: int

    @classmethod
    def of(cls, scale):
        traces = scale.faces // FACES_PER_TRACE
        big = scale.big_faces // FACES_PER_TRACE
        merges = [size // FACES_PER_TRACE for size in scale.merge_faces]
        special = [(1 + position, big) for position in range(len(BIG_NAMES))]
        special += [(1 + len(BIG_NAMES) + position, count) for position, count in enumerate(merges)]
        pool_start = 1 + len(BIG_NAMES) + len(merges)
        if scale.files < 1 or scale.chunks < scale.files:
            raise ValueError("Need at least one file and one chunk a file.")
        if min([big, *merges], default=1) < 1:
            raise ValueError(f"Every special identity needs at least {FACES_PER_TRACE} faces (one trace).")
        if sum(count for _, count in special) > traces // 2:
            raise ValueError(
                f"The big identities and merge sources ({sum(c for _, c in special) * FACES_PER_TRACE} faces) "
                f"need at most half of --faces ({scale.faces})."
            )
        if scale.identities < pool_start + len(merges) + 10:
            raise ValueError(f"Need at least {pool_start + len(merges) + 10} identities.")
        chunks_per_file = scale.chunks // scale.files
        slots = math.ceil(math.ceil(traces / scale.files) / LANES)  # a lane's traces follow one another
        seconds = max(chunks_per_file * SENTENCE_STEP + STORY_SECONDS, slots * (TRACE_SPAN + 4 * FRAME_STEP) / FPS)
        frame_count = math.ceil(seconds * FPS)
        permutation = next(p for p in PERMUTATIONS if math.gcd(p, traces) == 1)
        return cls(
            scale=scale,
            traces=traces,
            special_traces=tuple(special),
            pool_start=pool_start,
            pool_size=scale.identities - pool_start + 1,
            frame_count=frame_count,
            slot_frames=frame_count // slots,
            chunks_per_file=chunks_per_file,
            permutation=permutation,
        )

    def merge_pairs(self):
        """`(faces, source_id, target_id)` per merge size."""
        first_source = 1 + len(BIG_NAMES)
        count = len(self.scale.merge_faces)
        return [
            (size // FACES_PER_TRACE * FACES_PER_TRACE, first_source + position, first_source + count + position)
            for position, size in enumerate(self.scale.merge_faces)
        ]


@dataclass
class BuiltData:
    layout: Layout
    api_key: str
    seconds: dict = field(default_factory=dict)  # step -> seconds
    counts: dict = field(default_factory=dict)  # table -> rows


def identity_uuid(identity_id):
    """The uuid `identities_insert` gives identity `identity_id` (md5 of its label)."""
    return uuid.UUID(hashlib.md5(f"momentry-bench-identity-{identity_id}".encode()).hexdigest())


def bench_tables():
    return [model._meta.db_table for label in APPS for model in apps.get_app_config(label).get_models()]


def tables_with_rows():
    """The tables of the project's apps that hold any row."""
    found = []
    with connection.cursor() as cursor:
        for table in bench_tables():
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {connection.ops.quote_name(table)})")
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def tables_truncate():
    quoted = ", ".join(connection.ops.quote_name(table) for table in bench_tables())
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")


def _execute(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _array(words):
    return "ARRAY[" + ", ".join(f"'{word}'" for word in words) + "]"


def _known_metadata(name_sql, n_sql):
    return f"""jsonb_build_object(
        'aliases', jsonb_build_array(
            jsonb_build_object('locale', 'en', 'name', {name_sql}),
            jsonb_build_object('locale', 'ja', 'name', 'ジョン・' || {n_sql}),
            jsonb_build_object('locale', 'fr', 'name', {name_sql} || ' (fr)')),
        'tmdb_character', 'Character ' || {n_sql}, 'cast_order', mod({n_sql}, 20))"""


def identities_insert(layout):
    """Every fifth identity a known person (tmdb, aliases), the others `stranger_N`; then the
    big identities, the merge sources and the merge targets get their own names."""
    first = f"({_array(FIRST_NAMES)})[1 + mod(n, {len(FIRST_NAMES)})]"
    name = f"{first} || ' ' || ({_array(LAST_NAMES)})[1 + mod(n / {len(FIRST_NAMES)}, {len(LAST_NAMES)})]"
    _execute(
        f"""INSERT INTO {IDENTITY_TABLE} (id, identity_uuid, name, identity_type, source, status, tmdb_id,
                                          tmdb_profile, metadata, reference_data, created_at, updated_at)
        SELECT n, md5('momentry-bench-identity-' || n)::uuid,
               CASE WHEN known THEN {name} ELSE 'stranger_' || n END,
               CASE WHEN known THEN 'people' END,
               CASE WHEN known THEN 'tmdb' ELSE 'auto' END,
               CASE WHEN known THEN 'confirmed' ELSE 'pending' END,
               CASE WHEN known THEN n END, '',
               CASE WHEN known THEN {_known_metadata(name, 'n')} ELSE '{{}}'::jsonb END,
               '{{}}'::jsonb, now(), NULL
        FROM generate_series(1, %s) n, LATERAL (SELECT mod(n, 5) = 0 AS known) k""",
        [layout.scale.identities],
    )
    known = [(identity_id, name) for identity_id, name in enumerate(BIG_NAMES, start=1)]
    known += [(target, f"Merge Target {faces}") for faces, _, target in layout.merge_pairs()]
    for identity_id, name in known:
        _execute(
            f"""UPDATE {IDENTITY_TABLE} SET name = %s, identity_type = 'people', source = 'tmdb', status = 'confirmed',
                       tmdb_id = id, metadata = {_known_metadata('%s', 'id')} WHERE id = %s""",
            [name, name, name, identity_id],
        )
    for faces, source, _ in layout.merge_pairs():
        _execute(
            f"""UPDATE {IDENTITY_TABLE} SET name = %s, identity_type = NULL, source = 'auto', status = 'pending',
                       tmdb_id = NULL, metadata = '{{}}'::jsonb WHERE id = %s""",
            [f"stranger_merge_{faces}", source],
        )
    _execute(f"SELECT setval(pg_get_serial_sequence('{IDENTITY_TABLE}', 'id'), %s)", [layout.scale.identities])


def files_insert(layout):
    _execute(
        f"""INSERT INTO {FILE_TABLE} (id, file_uuid, file_name, fps, duration, frame_count, ingested_at)
        SELECT f, md5('momentry-bench-file-' || f)::uuid, 'bench_' || lpad(f::text, 4, '0') || '.mp4',
               %s, %s, %s, now()
        FROM generate_series(1, %s) f""",
        [FPS, layout.frame_count / FPS, layout.frame_count, layout.scale.files],
    )
    _execute(f"SELECT setval(pg_get_serial_sequence('{FILE_TABLE}', 'id'), %s)", [layout.scale.files])


def _owner_case(layout):
    """The identity of the trace at position `p` of the permutation: the special identities'
    traces first, then the ordinary ones spread over the pool (every UNBOUND_EVERY-th bound to none)."""
    clauses, params, bound = [], [], 0
    for identity_id, traces in layout.special_traces:
        bound += traces
        clauses.append("WHEN p < %s THEN %s::bigint")
        params += [bound, identity_id]
    clauses.append(f"WHEN mod(p, {UNBOUND_EVERY}) = 0 THEN NULL")
    clauses.append(f"ELSE %s + mod(mod(p * {SPREAD}, 4294967296), %s)")
    params += [layout.pool_start, layout.pool_size]
    return f"CASE {' '.join(clauses)} END", params, bound


def file_faces_insert(layout, file_id):
    """The faces of one file, in frame order. Trace `g` of the library is trace `g // files + 1`
    of file `g % files + 1`; its owner comes from position `g × PERMUTATION mod traces`, so the
    special identities' traces are spread over every file and all of its length."""
    first = file_id - 1
    traces = max(0, math.ceil((layout.traces - first) / layout.scale.files))
    if not traces:
        return 0
    owner, owner_params, specials = _owner_case(layout)
    embedding = ", ".join(f"round((mod(t.g, {prime}) / {prime}.0)::numeric, 4)" for prime in (97, 89, 83, 79))
    return _execute(
        f"""INSERT INTO {FACE_TABLE} (media_file_id, frame_number, "index", bbox, confidence, trace_id, embedding,
                                      identity_id)
        SELECT %s, t.start_frame + {FRAME_STEP} * j, t.lane,
               jsonb_build_array(round((t.x + 0.8 * j)::numeric, 1), t.y, round((t.x + 0.8 * j + t.w)::numeric, 1),
                                 t.y + round(t.w * 1.25)),
               0.55 + 0.44 * mod((t.g * {FACES_PER_TRACE} + j) * {SPREAD}, 4294967296)::float8 / 4294967296.0,
               t.k + 1,
               CASE WHEN j = 0 THEN jsonb_build_array({embedding}) END,
               CASE WHEN t.partial AND j >= {PARTIAL_FACES} THEN NULL ELSE t.owner END
        FROM (
            SELECT k, g, mod(k, {LANES}) AS lane,
                   (k / {LANES}) * %s + mod(mod(g * {START_SPREAD}, 4294967296), %s) AS start_frame,
                   80 + 140 * mod(k, {LANES}) AS x, 60 + 12 * mod(g, 9) AS y, 90 + mod(g, 60) AS w,
                   {owner} AS owner, (p >= %s AND mod(p, {PARTIAL_EVERY}) = 1) AS partial
            FROM (
                SELECT k, g, mod(g * %s, %s) AS p
                FROM generate_series(0::bigint, %s - 1) k, LATERAL (SELECT k * %s + %s AS g) position
            ) base
        ) t CROSS JOIN generate_series(0, {FACES_PER_TRACE - 1}) j
        ORDER BY 2, 3""",
        [
            file_id,
            layout.slot_frames,
            layout.slot_frames - TRACE_SPAN,
            *owner_params,
            specials,
            layout.permutation,
            layout.traces,
            traces,
            layout.scale.files,
            first,
        ],
    )


def file_chunks_insert(layout, file_id):
    """~3 s `sentence` chunks one after another, and every STORY_EVERY-th a ~71 s `story_child`."""
    return _execute(
        f"""INSERT INTO {CHUNK_TABLE} (media_file_id, chunk_id, chunk_type, start_frame, end_frame, start_time,
                                       end_time, text)
        SELECT %s, md5('momentry-bench-file-' || %s) || '_' || n,
               CASE WHEN a.story THEN 'story_child' ELSE 'sentence' END,
               floor(a.st * {FPS})::int, ceil(b.et * {FPS})::int, a.st, b.et,
               '[' || floor(a.st)::int || 's-' || floor(b.et)::int || 's] ' || CASE
                   WHEN a.story THEN 'Scene ' || n || ': ' || repeat(md5(n::text) || ' ', 6)
                   ELSE 'Line ' || n || ': ' || md5(n::text) END
        FROM generate_series(0, %s - 1) n,
             LATERAL (SELECT (n * {SENTENCE_STEP})::float8 AS st, mod(n, {STORY_EVERY}) = 0 AS story) a,
             LATERAL (SELECT a.st + CASE WHEN a.story THEN {STORY_SECONDS} + mod(n, 13) * 0.1
                                         ELSE 2.2 + mod(n * 7, 17) * 0.1 END AS et) b
        ORDER BY n""",
        [file_id, file_id, layout.chunks_per_file],
    )


def build_steps(scale):
    """How many times `bench_data_build` calls `progress`."""
    return 2 * scale.files + 2


def bench_data_build(scale, *, progress):
    """Build the data set in an empty database; `progress(note)` is called after each step."""
    layout = Layout.of(scale)
    built = BuiltData(layout=layout, api_key="")
    started = time.perf_counter()

    def step(name, work):
        begun = time.perf_counter()
        work()
        built.seconds[name] = built.seconds.get(name, 0.0) + time.perf_counter() - begun

    with transaction.atomic():
        step("identities", lambda: identities_insert(layout))
        step("files", lambda: files_insert(layout))
        built.api_key = api_key_create(name="bench", scopes=["global"])[1]
    progress(f"{scale.identities} identities")
    for file_id in range(1, scale.files + 1):
        with transaction.atomic():
            step("faces", lambda: file_faces_insert(layout, file_id))
            step("chunks", lambda: file_chunks_insert(layout, file_id))
        progress(f"faces and chunks of file {file_id}")
    # Statistics of every file's faces first: without them the segments' SELECT of a file the
    # planner has not seen nests loops (seconds a file instead of tens of milliseconds).
    step("analyze", planner_statistics_refresh)
    for file_id in range(1, scale.files + 1):
        with transaction.atomic():
            step("segments", lambda: segments_rebuild_file(file_id))
        progress(f"segments of file {file_id}")
    # VACUUM sets the visibility map and hint bits as autovacuum would have in an archive, so the
    # first reads measured do not pay for them; then the planner statistics as after an ingest.
    step("vacuum", lambda: _execute(f"VACUUM {', '.join(TABLES)}"))
    step("analyze", planner_statistics_refresh)
    progress("vacuum and analyze")
    built.seconds["total"] = time.perf_counter() - started
    built.counts = table_counts()
    return built


def table_counts():
    counts = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts
