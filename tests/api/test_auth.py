"""Bearer tokens: shown once, stored as a SHA-256 hash with their role and scope."""

import hashlib
import json
import stat

import pytest

from api.auth import (
    TOKEN_PREFIX,
    Caller,
    InvalidToken,
    Role,
    TokenError,
    TokenStore,
    create_token,
    list_tokens,
    revoke_token,
    token_id,
    verify,
)


@pytest.fixture
def store(tmp_path):
    return tmp_path / "secrets" / "tokens.json"


def test_a_token_is_returned_once_and_only_its_hash_is_stored(store):
    token = create_token(store, "admin")
    assert token.startswith(TOKEN_PREFIX) and len(token) > 40
    text = store.read_text(encoding="utf-8")
    assert token not in text and token[len(TOKEN_PREFIX) :] not in text
    [entry] = json.loads(text)["tokens"]
    assert entry.keys() == {"sha256", "role", "scope", "created"}
    assert (entry["sha256"], entry["role"], entry["scope"]) == (
        hashlib.sha256(token.encode()).hexdigest(),
        "admin",
        None,
    )


def test_the_token_file_is_readable_by_its_owner_only(store):
    create_token(store, "viewer")
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert [p.name for p in store.parent.iterdir()] == ["tokens.json"]  # no temporary left


def test_verify_gives_the_role_and_scope_each_token_carries(store):
    tokens = {
        create_token(store, Role.VIEWER): Caller(Role.VIEWER),
        create_token(store, "researcher"): Caller(Role.RESEARCHER),
        create_token(store, "mediator", scope="330421000000"): Caller(Role.MEDIATOR, "330421"),
        create_token(store, "mediator", scope="331127104"): Caller(Role.MEDIATOR, "331127104"),
        create_token(store, "admin"): Caller(Role.ADMIN),
    }
    assert {t: verify(store, t) for t in tokens} == tokens


def test_an_unknown_token_is_invalid(store):
    create_token(store, "admin")
    with pytest.raises(InvalidToken, match="the token is not valid"):
        verify(store, TOKEN_PREFIX + "guessed")
    with pytest.raises(InvalidToken):
        verify(store.parent / "missing.json", TOKEN_PREFIX + "guessed")


@pytest.mark.parametrize(
    ("role", "scope", "message"),
    [
        ("root", None, "'root' is not a role; the roles are viewer, mediator, researcher, admin"),
        ("mediator", None, "a mediator's token needs a scope: the division code of their "
                           "jurisdiction, e.g. --scope 330421"),
        ("mediator", "3304x1", "scope: '3304x1' is not a division code"),
        ("admin", "330421", "only a mediator's token carries a scope, not a token for admin"),
    ],
)  # fmt: skip
def test_a_token_that_cannot_be_right_is_not_created(store, role, scope, message):
    with pytest.raises(TokenError) as caught:
        create_token(store, role, scope)
    assert str(caught.value).startswith(message)
    assert not store.exists()


def test_a_running_store_sees_tokens_created_after_it_started(store):
    running = TokenStore(store)
    first = create_token(store, "viewer")
    assert running.verify(first) == Caller(Role.VIEWER)
    second = create_token(store, "admin")
    assert (running.verify(first), running.verify(second)) == (
        Caller(Role.VIEWER),
        Caller(Role.ADMIN),
    )


def test_tokens_are_listed_by_id_never_shown(store):
    viewer = create_token(store, "viewer")
    mediator = create_token(store, "mediator", "330421002000")
    listed = list_tokens(store)
    assert [(t.id, t.role, t.scope) for t in listed] == [
        (token_id(viewer), Role.VIEWER, None),
        (token_id(mediator), Role.MEDIATOR, "330421002"),
    ]
    assert token_id(viewer) == hashlib.sha256(viewer.encode()).hexdigest()[:12]
    assert all(len(t.created) == 25 for t in listed)  # 2026-11-22T16:50:00+00:00


def test_a_revoked_token_is_refused_by_a_running_store(store):
    running = TokenStore(store)
    kept, gone = create_token(store, "admin"), create_token(store, "researcher")
    assert running.verify(gone) == Caller(Role.RESEARCHER)
    revoked = revoke_token(store, token_id(gone))
    assert (revoked.id, revoked.role) == (token_id(gone), Role.RESEARCHER)
    with pytest.raises(InvalidToken):
        running.verify(gone)
    assert running.verify(kept) == Caller(Role.ADMIN)
    assert [t.id for t in list_tokens(store)] == [token_id(kept)]


@pytest.mark.parametrize(
    ("given", "message"),
    [("abc", "12 hex digits"), ("0" * 12, "no token has that id"), ("token", "not the token")],
)
def test_revoking_needs_the_id_of_a_token_that_exists(store, given, message):
    token = create_token(store, "viewer")
    with pytest.raises(TokenError, match=message):
        revoke_token(store, token if given == "token" else given)
    assert len(list_tokens(store)) == 1


def test_a_token_given_in_place_of_its_id_is_never_repeated(store):
    token = create_token(store, "viewer")
    with pytest.raises(TokenError) as refused:
        revoke_token(store, token)
    assert token not in str(refused.value)


def test_the_caller_carries_the_tokens_id(store):
    token = create_token(store, "mediator", "330421")
    assert TokenStore(store).verify(token).token == token_id(token)


def test_processes_creating_tokens_at_once_lose_none(store):
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys; from api.auth import create_token\n"
        "for _ in range(25): create_token(sys.argv[1], 'viewer')\n"
    )
    root = Path(__file__).resolve().parents[2]
    makers = [
        subprocess.Popen([sys.executable, "-c", code, str(store)], cwd=root) for _ in range(4)
    ]
    assert [m.wait(timeout=120) for m in makers] == [0, 0, 0, 0]
    assert len(list_tokens(store)) == 100
