from __future__ import annotations

import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command

from accounts.jwt_keys import generate_private_key, key_id, key_pairs_in, keyring, write_key_pair
from tests.accounts.conftest import bearer

pytestmark = pytest.mark.django_db


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_jwt_keys", *args, stdout=out)
    return out.getvalue()


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def test_a_dev_key_is_generated_on_first_use(keys_dir):
    assert not keys_dir.exists()
    ring = keyring()
    pairs = key_pairs_in(keys_dir)
    assert len(pairs) == 1
    assert oct(pairs[0].private_path.stat().st_mode & 0o777) == "0o600"
    assert ring.signing_kid in {key["kid"] for key in ring.jwks()["keys"]}


def test_rotation_signs_with_the_new_key_and_old_tokens_keep_working(cast, login, keys_dir, anon):
    before = login("owner@acme.example").json()
    old_kid = kid_of(before["access_token"])

    output = rotate()
    assert "New signing key" in output

    after = login("owner@acme.example").json()
    new_kid = kid_of(after["access_token"])
    assert new_kid != old_kid
    jwks_kids = {key["kid"] for key in anon.get("/.well-known/jwks.json").json()["keys"]}
    assert {old_kid, new_kid} <= jwks_kids
    # Tokens of the previous key still verify, access and refresh alike.
    assert bearer(before["access_token"]).get("/api/tenants/current").status_code == 200
    refreshed = anon.post(
        "/api/tenants/refresh", {"refresh_token": before["refresh_token"]}, format="json"
    )
    assert refreshed.status_code == 200
    assert kid_of(refreshed.json()["access_token"]) == new_kid


def test_a_worker_picks_up_a_key_written_by_another_process(keys_dir):
    first = keyring().signing_kid
    # Another process (rotate_jwt_keys on another host) writes a key; nothing is reset here.
    new_key = generate_private_key()
    write_key_pair(keys_dir, new_key)
    assert keyring().signing_kid == key_id(new_key.public_key())
    assert first in keyring().by_kid


def test_the_keyring_is_rechecked_at_most_every_few_seconds(keys_dir, settings):
    settings.JWT_KEYS_RECHECK_SECONDS = 3600
    first = keyring().signing_kid
    write_key_pair(keys_dir, generate_private_key())
    assert keyring().signing_kid == first  # not looked at again yet
    settings.JWT_KEYS_RECHECK_SECONDS = 0
    assert keyring().signing_kid != first


def test_a_half_replaced_mounted_pair_keeps_the_last_good_keys(
    keys_dir, settings, cast, login, tmp_path
):
    # An operator replaces mounted files one at a time: for a moment the new private key
    # sits beside the old public one. Sign-ins go on with the last good pair meanwhile.
    settings.JWT_KEYS_RECHECK_SECONDS = 0
    mounted = tmp_path / "mounted"
    old_private = write_key_pair(mounted, generate_private_key())
    settings.JWT_PRIVATE_KEY_PATH = str(old_private)
    settings.JWT_PUBLIC_KEY_PATH = str(
        old_private.with_name(old_private.name.replace("private", "public"))
    )
    before = keyring().signing_kid

    new_private = write_key_pair(tmp_path / "new", generate_private_key())
    Path(settings.JWT_PRIVATE_KEY_PATH).write_bytes(new_private.read_bytes())
    assert keyring().signing_kid == before
    assert login("owner@acme.example").status_code == 200

    new_public = new_private.with_name(new_private.name.replace("private", "public"))
    Path(settings.JWT_PUBLIC_KEY_PATH).write_bytes(new_public.read_bytes())
    assert keyring().signing_kid == key_id(
        serialization.load_pem_public_key(new_public.read_bytes())
    )


def test_prune_refuses_to_drop_keys_that_may_still_sign_live_tokens(keys_dir):
    keyring()
    with pytest.raises(CommandError, match="refresh-token lifetime"):
        rotate("--prune-older-than", "1h")


def age(pair, seconds: int):
    """Rename a pair as if it had been written `seconds` ago."""
    created = str(time.time_ns() - seconds * 10**9)
    for path in (pair.private_path, pair.public_path):
        path.rename(path.with_name(path.name.replace(str(pair.created_ns), created, 1)))


def test_prune_removes_only_keys_retired_longer_ago_than_asked(keys_dir, settings):
    # Refresh tokens shorter-lived than the pruning age, so retired keys may go.
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "REFRESH_TOKEN_LIFETIME": timedelta(minutes=15)}
    keyring()
    rotate()
    first, second = key_pairs_in(keys_dir)
    age(first, 40 * 60)
    age(second, 20 * 60)  # so the first key was retired 20 minutes ago
    first = key_pairs_in(keys_dir)[0]

    output = rotate("--prune-older-than", "15m")
    assert f"Removed retired key {first.private_path.name}" in output
    remaining = key_pairs_in(keys_dir)
    assert len(remaining) == 2  # the second (retired just now) and the new one
    assert first.private_path not in {pair.private_path for pair in remaining}
    assert not first.public_path.exists()


def test_with_a_mounted_key_rotation_prints_instructions_instead(keys_dir, settings, tmp_path):
    keyring()
    pair = key_pairs_in(keys_dir)[0]
    settings.JWT_PRIVATE_KEY_PATH = str(pair.private_path)
    settings.JWT_PUBLIC_KEY_PATH = str(pair.public_path)
    output = rotate()
    assert "does not write it" in output and "openssl" in output
    assert len(key_pairs_in(keys_dir)) == 1


def test_a_mounted_key_pair_signs_and_extra_public_keys_verify(keys_dir, settings, cast):
    keyring()
    rotate()
    old, new = key_pairs_in(keys_dir)
    settings.JWT_PRIVATE_KEY_PATH = str(new.private_path)
    settings.JWT_PUBLIC_KEY_PATH = str(new.public_path)
    ring = keyring()
    assert ring.signing_kid == kid_of_file(new)
    assert kid_of_file(old) in ring.by_kid


def kid_of_file(pair) -> str:
    return key_id(serialization.load_pem_public_key(pair.public_path.read_bytes()))
