"""§8 steps 34-35: the SDK's OidcClient gets a token with the password grant (parameters in
the query string, the response parsed as text), and TrivoreID(access_token=...) reads the
user through userinfo."""

import json

from trivoreid.client import TrivoreID
from trivoreid.models.user import User
from trivoreid.oidc.oidc_client import OidcClient

from conftest import unique_code


def test_oidc_password_grant_and_userinfo(api, base_url, run_cli, make_namespace):
    ns = make_namespace()
    password = "Oi7-dcQz-4mWp"
    username = unique_code("oidc")
    created = api.user_service.create(User({"nsCode": ns.code, "username": username}), password=password)
    out = run_cli("oidc-client", "create", "--name", "sdk", "--grant", "password", "--namespace", ns.code)
    client = json.loads(out.stdout)

    oc = OidcClient(path="/dev/null", server=base_url, client_id=client["clientId"],
                    client_secret=client["clientSecret"], username=username, password=password)
    token = oc.get_access_token()
    assert token and token.count(".") == 2
    assert oc.user.id == created.id  # userinfo through the discovery document

    user_api = TrivoreID(server=base_url, access_token=token)
    assert user_api.oidc_user.id == created.id
    assert user_api.user_service.get(created.id).username == username
