import pytest

from tests.factories import IdentityFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/identities"


def names(response):
    return [identity["name"] for identity in response.json()["identities"]]


def test_default_page_is_the_first_twenty(api):
    IdentityFactory.create_batch(25)
    body = api.get(LIST).json()
    assert (body["success"], body["count"], body["page"], body["page_size"]) == (True, 25, 1, 20)
    assert len(body["identities"]) == 20


def test_pages_are_disjoint_and_in_a_stable_order(api):
    created = [IdentityFactory(name=name).name for name in ["Zoe", "Adam", "Mia", "Bob", "Eve", "Lou", "Kit"]]
    pages = [names(api.get(f"{LIST}?page={page}&page_size=3")) for page in (1, 2, 3)]
    assert pages == [created[0:3], created[3:6], created[6:7]]
    assert names(api.get(f"{LIST}?page=2&page_size=3")) == pages[1]


def test_last_partial_page_and_page_past_the_end(api):
    IdentityFactory.create_batch(5)
    assert len(names(api.get(f"{LIST}?page=3&page_size=2"))) == 1
    response = api.get(f"{LIST}?page=9&page_size=2")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["page_size"], body["identities"]) == (5, 9, 2, [])


def test_empty_library(api):
    body = api.get(LIST).json()
    assert (body["count"], body["identities"]) == (0, [])


def test_page_size_bounds(api):
    IdentityFactory.create_batch(3)
    assert api.get(f"{LIST}?page_size=1").json()["page_size"] == 1
    assert api.get(f"{LIST}?page_size=200").json()["page_size"] == 200


@pytest.mark.parametrize(
    "query, field",
    [
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=abc", "page_size"),
        ("page_size=-5", "page_size"),
        ("page_size=2.5", "page_size"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=one", "page"),
    ],
)
def test_malformed_paging_is_400_with_the_error_body(api, query, field):
    response = api.get(f"{LIST}?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["message"].startswith(f"{field}:")


def test_query_count_does_not_grow_with_page_size(api, django_assert_max_num_queries):
    IdentityFactory.create_batch(210, metadata={"aliases": [{"locale": "ja", "name": "ケーリー・グラント"}]})
    api.get(LIST)  # the key's last use is recorded once; keep it out of the counts below
    for page_size in (5, 200):
        with django_assert_max_num_queries(3):
            response = api.get(f"{LIST}?page_size={page_size}&locale=ja")
        assert len(response.json()["identities"]) == page_size
