"""Identity search, identity-to-chunk search, display names and the identity list's filters."""
import pytest

from tests.factories import ChunkFactory, FaceFactory, IdentityFactory, MediaFileFactory

pytestmark = pytest.mark.django_db

ALIASES = [{"locale": "zh-TW", "name": "約翰·史密斯"}, {"locale": "ja", "name": "ジョン・スミス"}]


def names(body, key="identities"):
    return [identity["name"] for identity in body[key]]


def assert_400(response, field):
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["message"].startswith(f"{field}:")


# --- GET /identity/search --------------------------------------------------------------------


@pytest.fixture
def people():
    return {
        "cary": IdentityFactory(name="Cary Grant", metadata={"tmdb_birthday": "1904-01-18"}),
        "john": IdentityFactory(name="Jack", metadata={"aliases": ALIASES}),
        "rock": IdentityFactory(name="Dwayne", metadata={"aliases": [{"locale": "en", "name": 'The "Rock" Johnson'}]}),
        "munich": IdentityFactory(name="Anna", metadata={"tmdb_place_of_birth": "München"}),
        "bio": IdentityFactory(name="Grace Kelly", metadata={"tmdb_biography": "Starred with CARY GRANT in 1955."}),
        "other": IdentityFactory(name="Audrey Hepburn", metadata={"percent": "50x"}),
    }


@pytest.mark.parametrize(
    "q, expected",
    [
        ("cary", ["Cary Grant", "Grace Kelly"]),  # name, and metadata text of another identity
        ("CARY g", ["Cary Grant", "Grace Kelly"]),
        ("約翰", ["Jack"]),  # a non-ASCII alias name
        ("スミス", ["Jack"]),
        ('"rock" john', ["Dwayne"]),  # an alias name with quotes, case-insensitive
        ("1904-01-18", ["Cary Grant"]),  # a metadata value
        ("tmdb_birthday", ["Cary Grant"]),  # a metadata key
        ("münchen", ["Anna"]),
        ("hepburn", ["Audrey Hepburn"]),
        ("50%", []),  # LIKE wildcards are literal
        ("_0x", []),
        ("nobody", []),
    ],
)
def test_identity_search_matches_name_alias_and_metadata_text(api, people, q, expected):
    response = api.get("/api/v1/identity/search", {"q": q})
    assert response.status_code == 200
    assert names(response.json()) == expected


def test_identity_search_shape_and_paging(api, people):
    body = api.get("/api/v1/identity/search?q=a&page=2&page_size=2").json()
    assert set(body) == {"success", "count", "page", "page_size", "identities"}
    assert body["success"] is True
    assert body["count"] == 6 and body["page"] == 2 and body["page_size"] == 2
    assert names(body) == ["Dwayne", "Anna"]
    identity = body["identities"][0]
    assert identity["identity_uuid"] == people["rock"].identity_uuid.hex
    assert {"name", "identity_type", "source", "status", "tmdb_id", "metadata", "created_at"} <= set(identity)
    assert "display_name" not in identity


def test_identity_search_takes_the_list_filters(api, people):
    people["cary"].status = "pending"
    people["cary"].save()
    body = api.get("/api/v1/identity/search?q=cary&status=pending").json()
    assert names(body) == ["Cary Grant"]
    assert names(api.get("/api/v1/identity/search?q=a&ordering=-name&page_size=3").json()) == [
        "Jack",
        "Grace Kelly",
        "Dwayne",
    ]


@pytest.mark.parametrize("query", ["", "?q=", "?q=%20%20", "?page=1", "?q=a%00b"])
def test_identity_search_without_q_is_400(api, query):
    assert_400(api.get(f"/api/v1/identity/search{query}"), "q")


def test_identity_search_bad_parameters_are_400(api):
    assert_400(api.get("/api/v1/identity/search?q=a&page_size=500"), "page_size")
    assert_400(api.get("/api/v1/identity/search?q=a&status=bogus"), "status")


@pytest.mark.parametrize(
    "locale, expected",
    [
        ("zh-TW", "約翰·史密斯"),  # exact locale
        ("zh-HK", "約翰·史密斯"),  # language prefix
        ("ja-JP", "ジョン・スミス"),
        ("fr", "Jack"),  # fallback to name
    ],
)
def test_display_name_fallback_on_every_identity_listing(api, people, locale, expected):
    identity_uuid = people["john"].identity_uuid.hex
    search = api.get("/api/v1/identity/search", {"q": "jack", "locale": locale}).json()
    assert search["identities"][0]["display_name"] == expected
    listed = api.get("/api/v1/identities", {"q": "jack", "locale": locale}).json()
    assert listed["identities"][0]["display_name"] == expected
    detail = api.get(f"/api/v1/identity/{identity_uuid}", {"locale": locale}).json()
    assert detail["display_name"] == expected
    status = api.get(f"/api/v1/identity/{identity_uuid}/status", {"locale": locale}).json()
    assert status["display_name"] == expected


def test_identity_search_query_count_does_not_grow_with_page_size(api, django_assert_max_num_queries):
    IdentityFactory.create_batch(210, name="Someone", metadata={"aliases": ALIASES})
    for page_size in (5, 200):
        with django_assert_max_num_queries(4):
            body = api.get("/api/v1/identity/search", {"q": "someone", "page_size": page_size, "locale": "ja"}).json()
        assert len(body["identities"]) == page_size


# --- GET /identities filters -----------------------------------------------------------------


@pytest.fixture
def catalogue():
    return [
        IdentityFactory(name="Bravo", status="confirmed", source="tmdb", tmdb_id=112, identity_type="people"),
        IdentityFactory(name="Alpha", status="pending", source="auto", identity_type=None),
        IdentityFactory(name="Bravo", status="confirmed", source="user_defined", identity_type="brand"),
        IdentityFactory(name="Charlie", status="inactive", source="tmdb", tmdb_id=7, identity_type="people"),
        IdentityFactory(name="alpha two", status="confirmed", source="manual", metadata={"note": "Bravo's friend"}),
    ]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=confirmed", ["Bravo", "Bravo", "alpha two"]),
        ("source=tmdb", ["Bravo", "Charlie"]),
        ("identity_type=brand", ["Bravo"]),
        ("tmdb_id=7", ["Charlie"]),
        ("q=bravo", ["Bravo", "Bravo", "alpha two"]),
        ("q=alpha&status=pending", ["Alpha"]),
        ("status=confirmed&source=tmdb&identity_type=people&tmdb_id=112", ["Bravo"]),
        ("status=merged", []),
    ],
)
def test_list_filters(api, catalogue, query, expected):
    response = api.get(f"/api/v1/identities?{query}")
    assert response.status_code == 200
    body = response.json()
    assert names(body) == expected
    assert body["count"] == len(expected)


def test_list_ordering_is_stable_by_id(api, catalogue):
    bravo_first, _, bravo_second, charlie, alpha_two = catalogue
    body = api.get("/api/v1/identities?ordering=-name").json()
    assert [i["identity_uuid"] for i in body["identities"]][:4] == [
        alpha_two.identity_uuid.hex,
        charlie.identity_uuid.hex,
        bravo_first.identity_uuid.hex,
        bravo_second.identity_uuid.hex,
    ]
    by_name_then_newest = api.get("/api/v1/identities?ordering=name,-created_at,-id").json()
    assert [i["identity_uuid"] for i in by_name_then_newest["identities"]][1:3] == [
        bravo_second.identity_uuid.hex,
        bravo_first.identity_uuid.hex,
    ]
    paged = [api.get(f"/api/v1/identities?ordering=status&page={page}&page_size=2").json() for page in (1, 2, 3)]
    assert [i["name"] for page in paged for i in page["identities"]] == ["Bravo", "Bravo", "alpha two", "Charlie", "Alpha"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=bogus", "status"),
        ("source=youtube", "source"),
        ("tmdb_id=abc", "tmdb_id"),
        ("tmdb_id=1.5", "tmdb_id"),
        ("ordering=password", "ordering"),
        ("ordering=name,bogus", "ordering"),
        ("q=a%00b", "q"),
    ],
)
def test_list_invalid_filters_are_400_with_contract_body(api, catalogue, query, field):
    assert_400(api.get(f"/api/v1/identities?{query}"), field)


def test_list_with_filters_query_count_does_not_grow_with_page_size(api, django_assert_max_num_queries):
    IdentityFactory.create_batch(210, name="Extra", status="confirmed", source="tmdb", identity_type="people")
    for page_size in (5, 200):
        with django_assert_max_num_queries(4):
            body = api.get(
                f"/api/v1/identities?status=confirmed&source=tmdb&q=extra&ordering=name,-created_at&page_size={page_size}"
            ).json()
        assert len(body["identities"]) == page_size


# --- GET /identities/search ------------------------------------------------------------------


@pytest.fixture
def library():
    """Audrey in two films, a namesake only in metadata, chunks overlapping her traces."""
    roman, sabrina = MediaFileFactory(fps=25.0), MediaFileFactory(fps=25.0)
    audrey = IdentityFactory(name="Audrey Hepburn", source="tmdb", tmdb_id=1932, metadata={"aliases": ALIASES})
    gregory = IdentityFactory(name="Gregory Peck", metadata={"tmdb_biography": "With Audrey in Roman Holiday"})
    for frame in (100, 200):  # [4.0, 8.0] in Roman Holiday, trace 41
        FaceFactory(media_file=roman, trace_id=41, frame_number=frame, identity=audrey)
        FaceFactory(media_file=roman, trace_id=42, frame_number=frame, index=1, identity=gregory)
    FaceFactory(media_file=sabrina, trace_id=3, frame_number=250, identity=audrey)  # [10.0, 10.0]
    chunks = {
        "roman_a": ChunkFactory(media_file=roman, chunk_id="roman_a", start_time=3.0, end_time=5.0, text="confrontation"),
        "roman_b": ChunkFactory(media_file=roman, chunk_id="roman_b", start_time=7.0, end_time=9.0),
        "sabrina": ChunkFactory(media_file=sabrina, chunk_id="sabrina", start_time=9.0, end_time=11.0),
    }
    ChunkFactory(media_file=roman, chunk_id="roman_late", start_time=20.0, end_time=21.0)
    return {"roman": roman, "sabrina": sabrina, "audrey": audrey, "gregory": gregory, "chunks": chunks}


def chunk_rows(body):
    return [(row["name"], row["chunk_id"]) for row in body["results"]]


def test_identities_search_returns_identity_to_chunk_rows(api, library):
    response = api.get("/api/v1/identities/search?q=audrey")

    assert response.status_code == 200
    body = response.json()
    audrey, roman_a = library["audrey"], library["chunks"]["roman_a"]
    assert body["success"] is True and body["total"] == 3
    assert body["results"][0] == {
        "identity_id": audrey.pk,
        "identity_uuid": audrey.identity_uuid.hex,
        "name": "Audrey Hepburn",
        "source": "tmdb",
        "tmdb_id": 1932,
        "file_uuid": library["roman"].file_uuid.hex,
        "trace_id": 41,
        "chunk_id": "roman_a",
        "start_time": 3.0,
        "text_content": roman_a.text,
    }
    # Gregory's biography mentions Audrey: this search is over names and aliases only.
    assert chunk_rows(body) == [("Audrey Hepburn", "roman_a"), ("Audrey Hepburn", "roman_b"), ("Audrey Hepburn", "sabrina")]


def test_identities_search_matches_alias_names_and_adds_display_name(api, library):
    body = api.get("/api/v1/identities/search", {"q": "ジョン", "locale": "zh-TW"}).json()
    assert body["total"] == 3
    assert {row["display_name"] for row in body["results"]} == {"約翰·史密斯"}


def test_identities_search_by_file_and_limit(api, library):
    roman = library["roman"].file_uuid
    body = api.get(f"/api/v1/identities/search?q=e&file_uuid={roman}").json()
    assert chunk_rows(body) == [
        ("Audrey Hepburn", "roman_a"),
        ("Audrey Hepburn", "roman_b"),
        ("Gregory Peck", "roman_a"),
        ("Gregory Peck", "roman_b"),
    ]
    limited = api.get("/api/v1/identities/search?q=e&limit=2").json()
    assert limited["total"] == 5 and chunk_rows(limited) == [("Audrey Hepburn", "roman_a"), ("Audrey Hepburn", "roman_b")]


def test_identities_search_default_limit_is_50(api):
    media_file = MediaFileFactory(fps=1.0)
    FaceFactory(media_file=media_file, trace_id=1, frame_number=0, identity=IdentityFactory(name="Busy"))
    FaceFactory(media_file=media_file, trace_id=1, frame_number=100, index=0)
    for second in range(60):
        ChunkFactory(media_file=media_file, start_time=second, end_time=second + 1)
    body = api.get("/api/v1/identities/search?q=busy").json()
    assert body["total"] == 60 and len(body["results"]) == 50


@pytest.mark.parametrize(
    "query, field",
    [
        ("", "q"),
        ("?q=", "q"),
        ("?q=a%00b", "q"),
        ("?q=a&limit=0", "limit"),
        ("?q=a&limit=201", "limit"),
        ("?q=a&limit=ten", "limit"),
        ("?q=a&file_uuid=not-a-uuid", "file_uuid"),
    ],
)
def test_identities_search_bad_parameters_are_400(api, query, field):
    assert_400(api.get(f"/api/v1/identities/search{query}"), field)


def test_identities_search_unknown_file_is_404(api, library):
    response = api.get(f"/api/v1/identities/search?q=a&file_uuid={'0' * 32}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_identities_search_scopes_and_file_limited_keys(make_client, library):
    roman, sabrina = library["roman"].file_uuid, library["sabrina"].file_uuid
    for scopes in (["identity"], ["file"], ["global"]):
        assert make_client(scopes=scopes, read_only=True).get("/api/v1/identities/search?q=audrey").json()["total"] == 3

    sabrina_only = make_client(scopes=["file"], files=[sabrina.hex])
    body = sabrina_only.get("/api/v1/identities/search?q=audrey").json()
    assert chunk_rows(body) == [("Audrey Hepburn", "sabrina")] and body["total"] == 1
    assert sabrina_only.get(f"/api/v1/identities/search?q=audrey&file_uuid={sabrina}").json()["total"] == 1
    forbidden = sabrina_only.get(f"/api/v1/identities/search?q=audrey&file_uuid={roman.hex}")
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "permission_denied"
    # A limited key is refused a file it may not see before learning whether the file exists.
    assert sabrina_only.get(f"/api/v1/identities/search?q=audrey&file_uuid={'0' * 32}").status_code == 403

    global_key_with_files = make_client(scopes=["global"], files=[sabrina.hex])
    assert global_key_with_files.get("/api/v1/identities/search?q=audrey").json()["total"] == 3


def test_identities_search_query_count_does_not_grow_with_limit(api, django_assert_max_num_queries):
    media_file = MediaFileFactory(fps=1.0)
    for number in range(3):
        identity = IdentityFactory(name=f"Crowd {number}")
        FaceFactory(media_file=media_file, trace_id=number, frame_number=number, identity=identity)
        FaceFactory(media_file=media_file, trace_id=number, frame_number=300 + number, identity=identity)
    for second in range(100):
        ChunkFactory(media_file=media_file, start_time=second, end_time=second + 1)
    for limit in (5, 200):
        with django_assert_max_num_queries(6):
            body = api.get(f"/api/v1/identities/search?q=crowd&limit={limit}&locale=en").json()
        assert len(body["results"]) == limit
