//! Users, namespaces and groups over raw HTTP: serialization rules and semantics.

use crate::harness::{create_client, namespace, Server, TempDir, V1};
use crate::isolation::urlencode;
use serde_json::{json, Value};

/// No `null` anywhere in a response body.
fn assert_no_nulls(v: &Value, path: &str) {
    match v {
        Value::Null => panic!("null at {path}"),
        Value::Array(a) => {
            a.iter().enumerate().for_each(|(i, x)| assert_no_nulls(x, &format!("{path}[{i}]")))
        }
        Value::Object(o) => o.iter().for_each(|(k, x)| assert_no_nulls(x, &format!("{path}.{k}"))),
        _ => {}
    }
}

#[tokio::test]
async fn users_round_trip_without_nulls_or_empty_arrays() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let api = server.admin();
    namespace(&api, "rt").await;
    let body = json!({"id": null, "username": null, "nsCode": "rt", "userAccountType": null,
        "emails": [{"address": "ann@example.com", "verified": null, "tags": null, "name": null},
                   {"address": "ann@work.example", "name": "work", "tags": ["t1"], "verified": false}],
        "mobiles": [{"number": "+358401234567", "verified": false, "tags": [], "name": null}],
        "addresses": [{"addressName": null, "name": "home", "country": "FI", "verified": null}],
        "name": {"givenName": "Ann", "middleName": null, "familyName": "Example"},
        "consents": {"marketingEmail": true, "marketingPost": false}, "memberOf": [], "locked": false, "minor": false,
        "meta": {"created": null, "lastModified": null, "location": null}, "strongIdentification": {"identified": null},
        "customerGroupInfo": {"student": null}, "place_of_birth": {"country": null}, "tags": [], "domicileClasses": [],
        "password": "Rq7-vLm2-pX9z"});
    let created = api.post(&format!("{V1}/user"), body).await.expect(201).body;
    assert_no_nulls(&created, "user");
    assert!(created.get("password").is_none());
    assert_eq!(created["emails"][0], json!({"address": "ann@example.com", "verified": false}));
    assert!(created.get("addresses").unwrap()[0].get("verified").is_none());
    assert!(created.get("tags").is_none() && created.get("memberOf").is_none());
    assert_eq!(created["username"].as_str().unwrap().len(), 8);
    let id = created["id"].as_str().unwrap();
    assert!(id.len() == 24 && id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    let read = api.get(&format!("{V1}/user/{id}")).await.expect(200).body;
    assert_eq!(read, created);

    // A full PUT: null clears optional values, keeps mandatory ones; absent keys stay.
    let mut put = read.clone();
    put["username"] = Value::Null;
    put["nickName"] = json!("Annie");
    put["emails"] = json!([{"address": "ann@example.com", "verified": true}]);
    put.as_object_mut().unwrap().remove("addresses");
    put["name"] = json!({"givenName": "Anna", "familyName": null});
    let updated = api.put(&format!("{V1}/user/{id}"), put).await.expect(200).body;
    assert_eq!(updated["username"], read["username"]);
    assert_eq!(updated["nickName"], "Annie");
    assert_eq!(updated["name"], json!({"givenName": "Anna"}));
    assert_eq!(updated["addresses"], read["addresses"]);
    assert_eq!(
        updated["emails"],
        json!([{"address": "ann@example.com", "verified": false}]),
        "unchanged address keeps stored verification"
    );
    assert_ne!(updated["meta"]["lastModified"], read["meta"]["created"]);
    api.put(&format!("{V1}/user/{id}"), json!({"nsCode": "default"})).await.expect(400);
}

#[tokio::test]
async fn usernames_are_unique_per_namespace_case_insensitively() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let api = server.admin();
    namespace(&api, "un1").await;
    namespace(&api, "un2").await;
    let alice =
        api.post(&format!("{V1}/user"), json!({"nsCode": "un1", "username": "Alice"})).await.expect(201).body;
    api.post(&format!("{V1}/user"), json!({"nsCode": "un1", "username": "alice"})).await.expect(409);
    api.post(&format!("{V1}/user"), json!({"nsCode": "un2", "username": "alice"})).await.expect(201);
    let bob =
        api.post(&format!("{V1}/user"), json!({"nsCode": "un1", "username": "bob"})).await.expect(201).body;
    api.put(&format!("{V1}/user/{}", bob["id"].as_str().unwrap()), json!({"username": "ALICE"}))
        .await
        .expect(409);
    let renamed = api
        .put(&format!("{V1}/user/{}", alice["id"].as_str().unwrap()), json!({"username": "ALICE"}))
        .await
        .expect(200);
    assert_eq!(renamed.body["username"], "ALICE");
    let found =
        api.get(&format!("{V1}/user?filter={}", urlencode("username eq \"alice\""))).await.expect(200).body;
    assert_eq!(found["totalResults"], 2);
}

/// Creates that race for the same usernames (and so share a commit, or a grouped insert,
/// with their rivals) each get their own answer: one 201 per username, 409 for the rest,
/// and nothing of a refused user is kept.
#[tokio::test]
async fn racing_creates_each_get_their_own_answer() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let api = server.admin();
    namespace(&api, "race").await;
    let creates: Vec<_> = (0..48)
        .map(|i| {
            let api = api.clone();
            let name = format!("{}{}", ["racer", "RACER", "Racer"][i % 3], i / 3);
            tokio::spawn(async move {
                let body = json!({"nsCode": "race", "username": name,
                    "emails": [{"address": format!("r{i}@example.com")}]});
                let reply = api.post(&format!("{V1}/user"), body).await;
                (i, reply.status.as_u16(), reply.body)
            })
        })
        .collect();
    let mut winners = std::collections::BTreeMap::new();
    for create in creates {
        let (i, status, body) = create.await.unwrap();
        match status {
            201 => assert!(winners.insert(i / 3, (i, body)).is_none(), "two users won username {}", i / 3),
            409 => assert!(body["errorMessage"].as_str().unwrap().contains("already taken"), "{body}"),
            other => panic!("create {i}: {other} {body}"),
        }
    }
    assert_eq!(winners.len(), 16, "every username has exactly one user");
    let all = api.get(&format!("{V1}/user?filter={}", urlencode("nsCode eq \"race\""))).await.expect(200);
    assert_eq!(all.body["totalResults"], 16);
    for (i, user) in winners.values() {
        let id = user["id"].as_str().unwrap();
        let read = api.get(&format!("{V1}/user/{id}")).await.expect(200).body;
        assert_eq!(read["emails"], json!([{"address": format!("r{i}@example.com"), "verified": false}]));
    }
    let email = |i: usize| urlencode(&format!("emails.address eq \"r{i}@example.com\""));
    for i in (0..48).filter(|i| winners.get(&(i / 3)).is_none_or(|(w, _)| w != i)) {
        let found = api.get(&format!("{V1}/user?filter={}", email(i))).await.expect(200);
        assert_eq!(found.body["totalResults"], 0, "the refused create {i} left its email");
    }
}

#[tokio::test]
async fn groups_nest_and_deletion_cleans_up() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let api = server.admin();
    namespace(&api, "gr").await;
    let post = |body: Value| {
        let api = api.clone();
        async move { api.post(&format!("{V1}/group"), body).await.expect(201).body }
    };
    let root = post(json!({"name": "root", "nsCode": "gr", "description": "Root"})).await;
    let rid = root["id"].as_str().unwrap().to_string();
    let child = post(json!({"name": "child", "nsCode": "gr", "memberOf": [rid]})).await;
    let cid = child["id"].as_str().unwrap().to_string();
    let grandchild = post(json!({"name": "grandchild", "nsCode": "gr", "memberOf": ["child"]})).await;
    assert_eq!(grandchild["memberOf"], json!([cid]));
    let nested = api.get(&format!("{V1}/group/{rid}/nested")).await.expect(200).body;
    let names: Vec<&str> = nested.as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["child", "grandchild"]);
    // No cycles.
    api.put(&format!("{V1}/group/{rid}"), json!({"memberOf": [grandchild["id"]]})).await.expect(400);
    // A locally built group with a null id renames, keeping the description.
    let renamed = api
        .put(&format!("{V1}/group/{rid}"), json!({"id": null, "name": "top", "nsCode": "gr"}))
        .await
        .expect(200)
        .body;
    assert_eq!((renamed["name"].as_str(), renamed["description"].as_str()), (Some("top"), Some("Root")));
    // A user in a deleted group loses the membership; a namespace with users refuses deletion.
    let user = api
        .post(&format!("{V1}/user"), json!({"nsCode": "gr", "memberOf": [cid, "top"]}))
        .await
        .expect(201)
        .body;
    assert_eq!(user["memberOf"], json!([cid, rid]));
    api.delete(&format!("{V1}/group/{cid}")).await.expect(204);
    let after = api.get(&format!("{V1}/user/{}", user["id"].as_str().unwrap())).await.expect(200).body;
    assert_eq!(after["memberOf"], json!([rid]));
    let gc = api.get(&format!("{V1}/group/{}", grandchild["id"].as_str().unwrap())).await.expect(200).body;
    assert!(gc.get("memberOf").is_none());
    api.delete("/api/rest/v1/namespace/gr").await.expect(409);
    api.delete(&format!("{V1}/user/{}", user["id"].as_str().unwrap())).await.expect(204);
    api.delete("/api/rest/v1/namespace/gr").await.expect(204);
    api.get(&format!("{V1}/group/{rid}")).await.expect(404);
    api.get("/api/rest/v1/namespace/gr").await.expect(404);
}

#[tokio::test]
async fn filters_reach_nested_values_and_compare_instants() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let api = server.admin();
    namespace(&api, "fl").await;
    let mk = |body: Value| {
        let api = api.clone();
        async move { api.post(&format!("{V1}/user"), body).await.expect(201).body }
    };
    let ann = mk(json!({"nsCode": "fl", "name": {"givenName": "Ann & Co", "familyName": "Smith"}, "emails": ["Ann@Example.com"], "mobiles": ["+358401111111"], "locked": true})).await;
    let cut = ann["meta"]["created"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let bob = mk(json!({"nsCode": "fl", "name": {"givenName": "Bob", "familyName": "Smithson"}, "emails": ["bob@example.com"], "tags": ["vip"]})).await;
    let cases = [
        (r#"emails.address eq "ann@EXAMPLE.com""#, vec![&ann]),
        (r#"name.givenName co "& Co""#, vec![&ann]),
        (r#"name.familyName sw "Smith""#, vec![&ann, &bob]),
        (r#"name.familyName ew "son""#, vec![&bob]),
        (r#"mobiles.number eq "+358401111111""#, vec![&ann]),
        ("locked eq true", vec![&ann]),
        (r#"locked eq "False""#, vec![&bob]),
        (r#"tags eq "vip""#, vec![&bob]),
        ("mobiles pr ", vec![&ann]),
        (r#"not (tags eq "vip")"#, vec![&ann]),
        (&format!(r#"meta.created gt "{cut}""#), vec![&bob]),
        (&format!(r#"meta.created le "{cut}""#), vec![&ann]),
        (r#"(name.givenName eq "Bob")  or  (locked Eq true)"#, vec![&ann, &bob]),
        (r#"nickName eq null"#, vec![&ann, &bob]),
    ];
    for (filter, expected) in cases {
        let f = format!("(nsCode eq \"fl\")  and  ({filter})");
        let got = api.get(&format!("{V1}/user?filter={}", urlencode(&f))).await.expect(200).body;
        let ids: Vec<&str> =
            got["resources"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
        let want: Vec<&str> = expected.iter().map(|u| u["id"].as_str().unwrap()).collect();
        assert_eq!(ids, want, "{filter}");
        assert_eq!(got["totalResults"], want.len(), "{filter}");
    }
    let sorted = api
        .get(&format!(
            "{V1}/user?filter={}&sortBy=name.givenName&ascending=descending",
            urlencode("nsCode eq \"fl\"")
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(sorted["resources"][0]["id"], bob["id"]);
}

/// Name searches (`co`/`sw`/`ew`, served by a substring index kept up to date at each
/// commit) follow creates made together, renames, deletes and failed creates.
#[tokio::test]
async fn name_searches_follow_every_change() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let api = server.admin();
    namespace(&api, "ns-names").await;
    let ids_matching = |filter: String| {
        let api = api.clone();
        async move {
            let f = format!("nsCode eq \"ns-names\" and {filter}");
            let got = api.get(&format!("{V1}/user?filter={}", urlencode(&f))).await.expect(200).body;
            let mut ids: Vec<String> = got["resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_str().unwrap().to_string())
                .collect();
            ids.sort();
            ids
        }
    };
    // Created concurrently, so that several share a commit.
    let creates: Vec<_> = (0..24)
        .map(|i| {
            let api = api.clone();
            tokio::spawn(async move {
                let body = json!({"nsCode": "ns-names", "username": format!("u{i}"),
                    "name": {"givenName": format!("Given{i}"), "familyName": format!("Fam{i:02}ily")}});
                api.post(&format!("{V1}/user"), body).await.expect(201).body["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for create in creates {
        ids.push(create.await.unwrap());
    }
    let taken = json!({"nsCode": "ns-names", "username": "u1", "name": {"familyName": "Ghostly"}});
    api.post(&format!("{V1}/user"), taken).await.expect(409);
    assert!(ids_matching(r#"name.familyName co "ostl""#.into()).await.is_empty(), "a refused create");
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(ids_matching(format!(r#"name.familyName co "{i:02}il""#)).await, vec![id.clone()]);
    }
    assert_eq!(ids_matching(r#"name.familyName ew "ily""#.into()).await.len(), 24);

    api.put(
        &format!("{V1}/user/{}", ids[3]),
        json!({"name": {"givenName": "Given3", "familyName": "Renamed"}}),
    )
    .await
    .expect(200);
    assert!(ids_matching(r#"name.familyName co "03il""#.into()).await.is_empty());
    assert_eq!(ids_matching(r#"name.familyName sw "Renam""#.into()).await, vec![ids[3].clone()]);
    api.delete(&format!("{V1}/user/{}", ids[5])).await.expect(204);
    assert!(ids_matching(r#"name.familyName co "05il""#.into()).await.is_empty());
    ids.remove(5);
    assert_eq!(ids_matching(r#"name.givenName sw "Giv""#.into()).await.len(), ids.len());
}

/// An unfiltered list's total (or one filtered by namespace only) comes from counts the
/// store keeps beside the users; after creates, deletes, soft deletes that hide and
/// migrations it must equal what a filter counts user by user, for every client and every
/// namespace.
#[tokio::test]
async fn unfiltered_totals_follow_every_change() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let admin = server.admin();
    for code in ["tally", "other"] {
        namespace(&admin, code).await;
    }
    let mut ids = Vec::new();
    for _ in 0..6 {
        let u = admin.post(&format!("{V1}/user"), json!({"nsCode": "tally"})).await.expect(201).body;
        ids.push(u["id"].as_str().unwrap().to_string());
    }
    admin.post(&format!("{V1}/user"), json!({"nsCode": "other"})).await.expect(201);
    admin.delete(&format!("{V1}/user/{}", ids[0])).await.expect(204);
    let hide = json!({"defaultGroupPolicy": {"deleteMode": "SOFT_DELETE", "hideOnSoftDelete": true}});
    admin.put(&format!("{V1}/namespace/tally"), hide).await.expect(200);
    admin.delete(&format!("{V1}/user/{}", ids[1])).await.expect(204);
    let moved = json!({"targetNsCode": "other", "keepUserId": true});
    admin.post(&format!("{V1}/user/{}/migratenamespace", ids[2]), moved).await.expect(200);

    let (id, secret) = create_client(&dir.0, &["--name", "tally-only", "--namespace", "tally"]);
    let limited = server.as_client(&id, &secret);
    for (api, all, tally, other) in [(&admin, 5, 3, 2), (&limited, 3, 3, 0)] {
        let unfiltered =
            api.get(&format!("{V1}/user?count=1")).await.expect(200).body["totalResults"].clone();
        assert_eq!(unfiltered, total(api, "id pr").await);
        assert_eq!(unfiltered, all);
        for (code, n) in [("tally", tally), ("other", other)] {
            let by_namespace = total(api, &format!("nsCode eq \"{code}\"")).await;
            assert_eq!(by_namespace, total(api, &format!("nsCode eq \"{code}\" and id pr")).await);
            assert_eq!(by_namespace, n, "{code}");
        }
    }
}

/// The `totalResults` of a user list with this filter.
async fn total(api: &crate::harness::Api, filter: &str) -> Value {
    let path = format!("{V1}/user?count=1&filter={}", urlencode(filter));
    api.get(&path).await.expect(200).body["totalResults"].clone()
}
