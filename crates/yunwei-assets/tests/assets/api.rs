//! Asset management's API against a real server on SQLite and PostgreSQL; every answer is
//! held against the OpenAPI document (`yunwei_contract`).

use serde_json::{Value, json};
use yunwei_assets::testing::World;
use yunwei_contract::client::Api;
use yunwei_db::both_backends;
use yunwei_db::testing::TestStore;

struct Env {
    api: Api,
    w: World,
    admin: String,
    manager: String,
    agent: String,
    user: String,
}

async fn token_for(store: &TestStore, user_id: i64) -> String {
    let mut tx = store.write().await.unwrap();
    let token = yunwei_db::identity::create_token(&mut tx, None, user_id, "test").await.unwrap();
    tx.commit().await.unwrap();
    token
}

/// A POST without a body (the document takes none).
async fn post_empty(api: &Api, token: &str, path: &str) -> yunwei_contract::client::Reply {
    api.send(reqwest::Method::POST, api.v1(path), Some(token), yunwei_contract::client::Body::Empty).await
}

async fn start(store: &TestStore) -> Env {
    let w = World::build(store).await;
    let admin = token_for(store, w.admin.user_id).await;
    let manager = token_for(store, w.manager_a.user_id).await;
    let agent = token_for(store, w.agent_a.user_id).await;
    let user = token_for(store, w.user_a.user_id).await;
    let base = yunwei_web::testing::serve(store, crate::MODULES).await;
    Env { api: Api::connect(base).await, w, admin, manager, agent, user }
}

both_backends!(an_asset_manager_registers_moves_and_reads_an_asset, |store| async move {
    let Env { api, w, admin, manager, agent, user } = start(&store).await;
    let a = api
        .post(
            &manager,
            "/assets",
            json!({"tenant_id": w.tenant_a, "name": "ThinkPad X1 笔记本", "location_id": w.room_a,
                "serial": "PF-123", "user_id": w.user_a.user_id, "cost_cents": 1_299_900, "warranty_end": "2099-12-31"}),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!((a["tag"].as_str(), a["status"].as_str()), (Some("D010210-001"), Some("in_stock")));
    let id = a["id"].as_i64().unwrap();
    let path = format!("/assets/{id}");

    let page = api.get_query(&agent, "/assets", &[("q", "PF-123")]).await.expect(200).clone();
    assert_eq!(page["items"][0]["id"], id);
    let page = api.get_query(&agent, "/assets", &[("status", "deployed")]).await.expect(200).clone();
    assert_eq!(page["items"], json!([]));
    let page = api
        .get_query(&agent, "/assets", &[("location_id", &w.room_a.to_string()), ("limit", "1")])
        .await
        .expect(200)
        .clone();
    assert_eq!(
        (page["items"].as_array().unwrap().len(), page["next_cursor"].as_str()),
        (1, Some(id.to_string().as_str()))
    );
    // The end user sees what is assigned to them.
    assert_eq!(api.get(&user, &path).await.expect(200)["tag"], "D010210-001");
    assert_eq!(api.get(&user, "/assets").await.expect(200)["items"].as_array().unwrap().len(), 1);

    let moved = api
        .post(&manager, &format!("{path}/transition"), json!({"to": "deployed", "version": 1}))
        .await
        .expect(200)
        .clone();
    assert_eq!((moved["status"].as_str(), moved["version"].as_i64()), (Some("deployed"), Some(2)));
    api.post(&manager, &format!("{path}/transition"), json!({"to": "disposed", "version": 2})).await.error(
        409,
        "illegal_transition",
        Some("status"),
    );
    api.post(&manager, &format!("{path}/transition"), json!({"to": "in_repair", "version": 1})).await.error(
        409,
        "version_conflict",
        Some("version"),
    );
    api.post(&manager, &format!("{path}/transition"), json!({"to": "lost", "version": 2})).await.invalid("to");
    api.post(&agent, &format!("{path}/transition"), json!({"to": "in_repair", "version": 2})).await.error(
        403,
        "forbidden",
        None,
    );
    let patched = api
        .patch(&manager, &path, json!({"version": 2, "vendor": "联想 Lenovo", "warranty_end": null}))
        .await
        .expect(200)
        .clone();
    assert_eq!((patched["vendor"].as_str(), patched["warranty_end"].clone()), (Some("联想 Lenovo"), Value::Null));
    api.patch(&manager, &path, json!({"version": 2, "name": "x"})).await.error(
        409,
        "version_conflict",
        Some("version"),
    );
    let history = api.get(&agent, &format!("{path}/history")).await.expect(200).clone();
    let kinds: Vec<&str> = history["items"].as_array().unwrap().iter().filter_map(|h| h["kind"].as_str()).collect();
    assert_eq!(kinds, ["updated", "transition", "created"]);

    // The tag rule: anyone reads it, administrators change it.
    assert_eq!(
        api.get(&agent, "/asset-tag-rule").await.expect(200)["pattern"],
        "D{building:2}{floor:2}{room:2}-{seq:3}"
    );
    api.put(&manager, "/asset-tag-rule", json!({"pattern": "IT-{seq:4}"})).await.error(403, "forbidden", None);
    api.put(&admin, "/asset-tag-rule", json!({"pattern": "IT-"})).await.invalid("pattern");
    api.put(&admin, "/asset-tag-rule", json!({"pattern": "IT-{seq:4}"})).await.expect(200);
    let b =
        api.post(&manager, "/assets", json!({"tenant_id": w.tenant_a, "name": "Printer"})).await.expect(201).clone();
    assert_eq!(b["tag"], "IT-0001");
    // Warranties ending soon: a filter of the list.
    api.patch(&manager, &format!("/assets/{}", b["id"]), json!({"version": 1, "warranty_end": "2000-01-01"}))
        .await
        .expect(200);
    let soon = api.get_query(&agent, "/assets", &[("warranty_within_days", "30")]).await.expect(200).clone();
    assert_eq!(soon["items"], json!([]));
    api.get_query(&agent, "/assets", &[("warranty_within_days", "-1")]).await.invalid("warranty_within_days");
});

both_backends!(bad_input_names_the_field_and_another_tenants_asset_is_not_found, |store| async move {
    let Env { api, w, admin, manager, agent, user } = start(&store).await;
    let post = |body: Value| api.post(&manager, "/assets", body);
    let base = |extra: Value| {
        let mut b = json!({"tenant_id": w.tenant_a, "name": "x", "tag": "T-1"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    post(base(json!({"name": ""}))).await.invalid("name");
    post(base(json!({"warranty_end": "2027-13-01"}))).await.invalid("warranty_end");
    post(base(json!({"cost_cents": -5}))).await.invalid("cost_cents");
    post(base(json!({"status": "retired"}))).await.invalid("status");
    post(base(json!({"status": "lost"}))).await.invalid("status");
    post(base(json!({"tag": "A B"}))).await.invalid("tag");
    post(base(json!({"tenant_id": w.tenant_b}))).await.invalid("tenant_id");
    post(base(json!({"user_id": w.user_b.user_id}))).await.invalid("user_id");
    post(base(json!({"ci_id": 999}))).await.invalid("ci_id");
    post(base(json!({"colour": "red"}))).await.invalid("colour");
    post(json!({"tenant_id": w.tenant_a, "name": "no place"})).await.reason("tag_needs_location", &[]);
    api.post(&agent, "/assets", base(json!({}))).await.error(403, "forbidden", None);
    assert_eq!(api.get(&admin, "/assets").await.expect(200)["items"], json!([]), "nothing was stored");
    api.get_query(&agent, "/assets", &[("limit", "0")]).await.invalid("limit");
    api.get_query(&agent, "/assets", &[("cursor", "abc")]).await.invalid("cursor");
    post(base(json!({}))).await.expect(201);
    post(base(json!({}))).await.error(409, "duplicate", Some("tag"));

    let b = api
        .post(&admin, "/assets", json!({"tenant_id": w.tenant_b, "name": "Globex", "tag": "G-1"}))
        .await
        .expect(201)
        .clone();
    let id = b["id"].as_i64().unwrap();
    for token in [&manager, &agent, &user] {
        api.get(token, &format!("/assets/{id}")).await.error(404, "not_found", None);
        api.get(token, &format!("/assets/{id}/history")).await.error(404, "not_found", None);
    }
    api.patch(&manager, &format!("/assets/{id}"), json!({"version": 1, "name": "mine"})).await.error(
        404,
        "not_found",
        None,
    );
    api.post(&manager, &format!("/assets/{id}/transition"), json!({"to": "deployed", "version": 1})).await.error(
        404,
        "not_found",
        None,
    );
    let found = api.get_query(&manager, "/assets", &[("q", "G-1")]).await.expect(200).clone();
    assert_eq!(found["items"], json!([]));
    // Another tenant's stock-take is not found either.
    let st = api.post(&admin, "/stock-takes", json!({"tenant_id": w.tenant_b})).await.expect(201).clone();
    let st = st["stock_take"]["id"].as_i64().unwrap();
    api.get(&manager, &format!("/stock-takes/{st}")).await.error(404, "not_found", None);
    api.post(&manager, &format!("/stock-takes/{st}/scans"), json!({"tag_or_serial": "G-1"})).await.error(
        404,
        "not_found",
        None,
    );
    post_empty(&api, &manager, &format!("/stock-takes/{st}/apply")).await.error(404, "not_found", None);
});

both_backends!(a_stock_take_through_the_api, |store| async move {
    let Env { api, w, manager, agent, .. } = start(&store).await;
    for (tag, room) in [("S-1", w.room_a), ("S-2", w.room_a), ("S-3", w.room_a2)] {
        api.post(&manager, "/assets", json!({"tenant_id": w.tenant_a, "name": tag, "tag": tag, "location_id": room}))
            .await
            .expect(201);
    }
    api.post(&manager, "/stock-takes", json!({"tenant_id": w.tenant_a, "location_id": w.room_b}))
        .await
        .invalid("location_id");
    api.post(&agent, "/stock-takes", json!({"tenant_id": w.tenant_a})).await.error(403, "forbidden", None);
    let d = api
        .post(&manager, "/stock-takes", json!({"tenant_id": w.tenant_a, "location_id": w.room_a}))
        .await
        .expect(201)
        .clone();
    assert_eq!(d["counts"]["expected"], 2);
    let scans = format!("/stock-takes/{}/scans", d["stock_take"]["id"]);
    let r = api.post(&manager, &scans, json!({"tag_or_serial": "S-1"})).await.expect(200).clone();
    assert_eq!((r["item"]["outcome"].as_str(), r["repeat"].as_bool()), (Some("found"), Some(false)));
    let r = api.post(&manager, &scans, json!({"tag_or_serial": "S-1"})).await.expect(200).clone();
    assert_eq!((r["repeat"].as_bool(), r["warning"].as_str()), (Some(true), Some("already_scanned")));
    let r = api.post(&manager, &scans, json!({"tag_or_serial": "S-3"})).await.expect(200).clone();
    assert_eq!(r["item"]["outcome"], "moved");
    let r = api.post(&manager, &scans, json!({"tag_or_serial": "??"})).await.expect(200).clone();
    assert_eq!(r["item"]["outcome"], "unexpected");
    api.post(&manager, &scans, json!({"tag_or_serial": ""})).await.invalid("tag_or_serial");
    let st = format!("/stock-takes/{}", d["stock_take"]["id"]);
    let seen = api.get(&agent, &st).await.expect(200).clone();
    assert_eq!(seen["counts"]["pending"], 1);
    let applied = post_empty(&api, &manager, &format!("{st}/apply")).await.expect(200).clone();
    assert_eq!(applied["stock_take"]["status"], "applied");
    assert_eq!((applied["counts"]["missing"].as_i64(), applied["counts"]["moved"].as_i64()), (Some(1), Some(1)));
    api.post(&manager, &scans, json!({"tag_or_serial": "S-2"})).await.error(409, "illegal_transition", Some("status"));
    post_empty(&api, &manager, &format!("{st}/apply")).await.error(409, "illegal_transition", Some("status"));
    let missing = api.get_query(&agent, "/assets", &[("missing", "true")]).await.expect(200).clone();
    assert_eq!(missing["items"][0]["tag"], "S-2");
    let list = api.get(&agent, "/stock-takes").await.expect(200).clone();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
});
