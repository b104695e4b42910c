"""What bin/serve-demo runs on every start: a second run reuses the API key and the curator of the
first (kept in files of mode 0600), and makes new ones only when those no longer work."""
import io
import stat

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command

from apikeys.models import ApiKey
from apikeys.services import api_key_revoke

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue().splitlines()[-1], err.getvalue()


def key_command(key_file, *extra):
    return run("create_api_key", "--name", "serve-demo", "--scope", "global", "--key-file", str(key_file), *extra)


def test_the_second_run_reuses_the_kept_key(tmp_path, anonymous_api):
    key_file = tmp_path / "serve-demo.key"
    first, said = key_command(key_file)
    assert "Created API key 'serve-demo' (global, read-write), kept in" in said
    assert key_file.read_text() == f"{first}\n"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second, said = key_command(key_file)
    assert second == first
    assert said.startswith("Reusing API key 'serve-demo' (global, read-write) from")
    assert ApiKey.objects.count() == 1
    assert anonymous_api.get("/api/v1/identities", HTTP_X_API_KEY=second).status_code == 200


@pytest.mark.parametrize("spoil", ["revoke", "delete", "other_scopes", "garbage", "missing"])
def test_a_key_that_no_longer_works_is_replaced(tmp_path, spoil):
    key_file = tmp_path / "serve-demo.key"
    first, _ = key_command(key_file)
    if spoil == "revoke":
        api_key_revoke(api_key=ApiKey.objects.get())
    elif spoil == "delete":
        ApiKey.objects.all().delete()
    elif spoil == "garbage":
        key_file.write_text("mk_not-a-key\n")
    elif spoil == "missing":
        key_file.unlink()
    extra = ["--read-only"] if spoil == "other_scopes" else []
    second, said = key_command(key_file, *extra)
    assert second != first and "Created API key" in said
    assert key_file.read_text() == f"{second}\n"
    assert ApiKey.objects.filter(revoked_at=None).count() == (1 if spoil in {"revoke", "delete"} else 2)


def test_without_a_key_file_every_run_creates_a_key(tmp_path):
    first, _ = run("create_api_key", "--name", "ci", "--scope", "global")
    second, _ = run("create_api_key", "--name", "ci", "--scope", "global")
    assert first != second and ApiKey.objects.count() == 2


def test_the_curator_is_created_once_and_its_password_reused(tmp_path, rf):
    password_file = tmp_path / "serve-demo.curator"
    password, said = run("ensure_curator", "--password-file", str(password_file))
    assert said.startswith("Created curator 'curator'")
    assert password_file.read_text() == f"{password}\n"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    user = User.objects.get(username="curator")
    assert user.is_staff and user.is_superuser
    again, said = run("ensure_curator", "--password-file", str(password_file))
    assert again == password and said.startswith("Reusing curator 'curator'")
    assert User.objects.filter(username="curator").count() == 1
    assert authenticate(rf.post("/accounts/login/"), username="curator", password=password) == user


def test_a_lost_password_file_gets_a_new_password_for_the_same_curator(tmp_path):
    password_file = tmp_path / "serve-demo.curator"
    first, _ = run("ensure_curator", "--password-file", str(password_file))
    user_id = User.objects.get(username="curator").pk
    password_file.unlink()
    second, said = run("ensure_curator", "--password-file", str(password_file))
    assert second != first and said.startswith("Set a new password for curator 'curator'")
    user = User.objects.get(username="curator")
    assert user.pk == user_id and user.check_password(second) and not user.check_password(first)
