"""A19.1: free API keys raise the rate limit; anonymous calls get a lower one; a revoked key stops at once."""

from __future__ import annotations

import re

from sqlalchemy import select

from kaifang.accounts.models import ApiKey
from kaifang.web.ratelimit import MemoryRateLimiter
from tests.personas import login, post_form

MISSING = "/api/v1/datasets/999999/records"


def _fresh_limits(app, anonymous=3, identified=6):
    app.state.settings = app.state.settings.model_copy(update={"rate_limit_anonymous": anonymous,
                                                               "rate_limit_identified": identified})
    app.state.rate_limiter = MemoryRateLimiter()


def test_key_is_shown_once_and_stored_hashed_A19_1(client, world, session):
    login(client, world.emails["company"])
    r = post_form(client, "/me/keys", {"key_name": "我的应用"}, token_from="/me")
    assert r.status_code == 200
    plaintext = re.search(r'<code id="new-key">(kf_[\w-]+)</code>', r.text).group(1)
    key = session.execute(select(ApiKey)).scalar_one()
    assert key.key_hash != plaintext and plaintext not in client.get("/me").text
    assert plaintext.startswith(key.prefix)


def test_anonymous_calls_hit_the_lower_limit_and_a_key_raises_it_A19_1(client, world, app):
    login(client, world.emails["company"])
    r = post_form(client, "/me/keys", {"key_name": "app"}, token_from="/me")
    plaintext = re.search(r'<code id="new-key">(kf_[\w-]+)</code>', r.text).group(1)
    post_form(client, "/logout", {}, token_from="/me")
    _fresh_limits(app)
    codes = [client.get(MISSING).status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    r = client.get(MISSING)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "接口密钥" in r.json()["error"]["message"]
    keyed = [client.get(MISSING, headers={"X-API-Key": plaintext}).status_code for _ in range(7)]
    assert keyed == [404] * 6 + [429]


def test_revoked_or_unknown_key_is_refused(client, world, session):
    login(client, world.emails["company"])
    r = post_form(client, "/me/keys", {"key_name": "app"}, token_from="/me")
    plaintext = re.search(r'<code id="new-key">(kf_[\w-]+)</code>', r.text).group(1)
    key = session.execute(select(ApiKey)).scalar_one()
    r = post_form(client, f"/me/keys/{key.id}/revoke", {}, token_from="/me")
    assert r.status_code == 303
    r = client.get(MISSING, headers={"Authorization": f"Bearer {plaintext}"})
    assert r.status_code == 401
    assert client.get(MISSING, headers={"X-API-Key": "kf_made-up"}).status_code == 401


def test_someone_elses_key_cannot_be_revoked(client, world, session):
    login(client, world.emails["company"])
    post_form(client, "/me/keys", {"key_name": "app"}, token_from="/me")
    key = session.execute(select(ApiKey)).scalar_one()
    post_form(client, "/logout", {}, token_from="/me")
    login(client, world.emails["citizen"])
    r = post_form(client, f"/me/keys/{key.id}/revoke", {}, token_from="/me")
    assert r.status_code == 404
