"""The admin is branded as the service and leads back to the console."""
import re

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db


def test_the_admin_index_is_branded_and_links_to_the_console(client):
    client.force_login(User.objects.create_superuser("editor", "editor@example.com", "pw-for-tests"))
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<title>\s*Momentry Identities \| Momentry Identities\s*</title>", html)
    assert re.search(r'<div id="site-name"><a href="/admin/">Momentry Identities</a></div>', html)
    assert re.search(r'<a class="console-link" href="/">Console</a>', html)
    assert re.search(r'<a href="/">View site</a>', html)
    assert client.get("/", follow=True).redirect_chain[-1][0] == "/identities/"


def test_the_admin_sign_in_page_is_branded_too(client):
    html = client.get("/admin/login/").content.decode()
    assert "Momentry Identities" in html and "Django administration" not in html
