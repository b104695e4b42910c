"""Swagger UI (/api/v1/docs/) and Redoc (/api/v1/redoc/) come from this server, need no internet and
no key (like the schema they read), and Swagger UI authorises with the X-API-Key scheme."""
import json
import re
import urllib.request

import pytest
from django.contrib.staticfiles import finders

DOCS_PAGES = ["/api/v1/docs/", "/api/v1/redoc/"]
SIDECAR = "/static/drf_spectacular_sidecar/"


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers["Content-Type"], response.read()


@pytest.mark.django_db
@pytest.mark.parametrize("path", DOCS_PAGES)
def test_a_docs_page_needs_no_key_and_names_no_other_host(anonymous_api, path):
    response = anonymous_api.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert not re.search(r"https?:|//[a-z]", html, re.IGNORECASE), "a docs page must not load anything from elsewhere"
    assert '"/api/v1/schema/"' in html
    assert anonymous_api.get("/api/v1/schema/").status_code == 200


@pytest.mark.parametrize("path", DOCS_PAGES)
def test_every_asset_of_a_docs_page_is_a_local_static_file_and_served(live_server, path):
    """The live server serves static files as `runserver --insecure` (bin/serve-demo) does; the
    finders are where collectstatic takes them from for production's WhiteNoise."""
    status, _, body = fetch(live_server.url + path)
    assert status == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', body.decode())
    assert assets, "the page loads its scripts"
    for asset in assets:
        assert asset.startswith(SIDECAR), asset
        assert finders.find(asset.removeprefix("/static/")), asset
        status, content_type, content = fetch(live_server.url + asset)
        assert status == 200 and content, asset
        assert content_type.split(";")[0] in {"text/css", "text/javascript", "application/javascript", "image/png"}


@pytest.mark.django_db
def test_swagger_ui_authorises_with_the_api_key_header_and_keeps_it(anonymous_api):
    schema = anonymous_api.get("/api/v1/schema/?format=json").json()
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key (`manage.py create_api_key`); its scopes decide what it may do.",
    }
    securities = [operation.get("security") for methods in schema["paths"].values() for operation in methods.values()]
    assert securities and all(security == [{"ApiKeyAuth": []}] for security in securities)
    html = anonymous_api.get("/api/v1/docs/").content.decode()
    settings_json = re.search(r"const swaggerSettings = (\{.*?\});", html, re.DOTALL).group(1)
    assert json.loads(settings_json) == {"deepLinking": True, "persistAuthorization": True, "validatorUrl": None}
