"""The console's and the admin's password sign-in are throttled (django-axes): 5 wrong passwords for
one user name from one address lock that pair out for 15 minutes, even with the right password."""
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from tests.factories import ApiKeyFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
RIGHT, WRONG = "the-right-password", "not-the-password"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Dozens of sign-ins per test: a cheap hasher (the throttle does not depend on it)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client, username, password, url=LOGIN):
    next_page = "/admin/" if url == ADMIN_LOGIN else "/identities/"
    return client.post(url, {"username": username, "password": password, "next": next_page})


def signed_in(client):
    return client.get("/identities/").status_code == 200


def assert_locked_out(response):
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "<h1>Sign-in locked</h1>" in page
    assert "Too many failed sign-in attempts" in page and "15 minutes" in page
    assert "even with the right password" in page


def test_five_wrong_passwords_lock_the_user_out_even_with_the_right_one():
    user = UserFactory()
    client = Client()
    for _ in range(4):
        response = sign_in(client, user.username, WRONG)
        assert response.status_code == 200
        assert "didn't match" in response.content.decode()
    assert_locked_out(sign_in(client, user.username, WRONG))

    response = sign_in(client, user.username, RIGHT)

    assert_locked_out(response)
    assert user.username in response.content.decode()
    assert not signed_in(client)


def test_a_successful_sign_in_resets_the_count():
    user = UserFactory()
    client = Client()
    for _ in range(4):
        sign_in(client, user.username, WRONG)
    assert sign_in(client, user.username, RIGHT).status_code == 302
    assert signed_in(client)
    assert not AccessAttempt.objects.exists()

    client.post("/accounts/logout/")
    for _ in range(4):
        assert sign_in(client, user.username, WRONG).status_code == 200
    assert sign_in(client, user.username, RIGHT).status_code == 302
    assert signed_in(client)


def test_the_lock_is_for_the_user_name_from_that_address_only():
    user, colleague = UserFactory(), UserFactory()
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        sign_in(attacker, user.username, WRONG)
    assert_locked_out(sign_in(attacker, user.username, RIGHT))

    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert sign_in(elsewhere, user.username, RIGHT).status_code == 302
    same_address = Client(REMOTE_ADDR="203.0.113.9")
    assert sign_in(same_address, colleague.username, RIGHT).status_code == 302


def test_after_the_cool_off_the_right_password_signs_in_again():
    user = UserFactory()
    client = Client()
    for _ in range(5):
        sign_in(client, user.username, WRONG)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))

    assert sign_in(client, user.username, RIGHT).status_code == 302
    assert signed_in(client)


def test_the_admin_sign_in_is_throttled_too_and_shares_the_count():
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(3):
        sign_in(client, staff.username, WRONG)
    for _ in range(2):
        sign_in(client, staff.username, WRONG, url=ADMIN_LOGIN)

    assert_locked_out(sign_in(client, staff.username, RIGHT, url=ADMIN_LOGIN))
    assert_locked_out(sign_in(client, staff.username, RIGHT))
    assert client.get("/admin/").status_code == 302  # still sent to the admin's sign-in


def test_the_api_is_not_affected_by_a_locked_out_address():
    user = UserFactory()
    client = Client()
    for _ in range(5):
        sign_in(client, user.username, WRONG)
    key = ApiKeyFactory(scopes=["global"])

    response = client.get("/api/v1/identities", HTTP_X_API_KEY=key.raw)

    assert response.status_code == 200
    assert response.json()["success"] is True
    assert Client().get("/api/v1/identities").status_code == 401


def test_without_trusted_proxies_a_forged_x_forwarded_for_does_not_escape_the_lock():
    user = UserFactory()
    for attempt in range(5):
        sign_in(Client(HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt}"), user.username, WRONG)
    assert_locked_out(sign_in(Client(HTTP_X_FORWARDED_FOR="192.0.2.99"), user.username, RIGHT))


def test_behind_a_trusted_proxy_the_address_it_saw_is_locked(settings):
    settings.MOMENTRY_TRUSTED_PROXIES = 1
    user = UserFactory()

    def through_the_proxy(client_address, forged="10.9.9.9"):
        # The client may send its own X-Forwarded-For; the proxy appends the address it saw.
        return Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"{forged}, {client_address}")

    for attempt in range(5):
        sign_in(through_the_proxy("203.0.113.9", forged=f"10.9.9.{attempt}"), user.username, WRONG)
    assert_locked_out(sign_in(through_the_proxy("203.0.113.9"), user.username, RIGHT))
    assert sign_in(through_the_proxy("198.51.100.7"), user.username, RIGHT).status_code == 302
