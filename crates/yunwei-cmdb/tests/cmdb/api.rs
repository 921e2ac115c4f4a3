//! The CMDB's API against a real server on SQLite and PostgreSQL; every answer is held against
//! the OpenAPI document (`yunwei_contract`).

use serde_json::{Value, json};
use yunwei_cmdb::testing::World;
use yunwei_contract::client::Api;
use yunwei_db::both_backends;
use yunwei_db::testing::TestStore;

struct Env {
    api: Api,
    w: World,
    admin: String,
    config: String,
    agent: String,
    user: String,
}

async fn token_for(store: &TestStore, user_id: i64) -> String {
    let mut tx = store.write().await.unwrap();
    let token = yunwei_db::identity::create_token(&mut tx, None, user_id, "test").await.unwrap();
    tx.commit().await.unwrap();
    token
}

async fn start(store: &TestStore) -> Env {
    let w = World::build(store).await;
    let admin = token_for(store, w.admin.user_id).await;
    let config = token_for(store, w.config_a.user_id).await;
    let agent = token_for(store, w.agent_a.user_id).await;
    let user = token_for(store, w.user_a.user_id).await;
    let base = yunwei_web::testing::serve(store, crate::MODULES).await;
    Env { api: Api::connect(base).await, w, admin, config, agent, user }
}

both_backends!(a_configuration_manager_models_cis_and_sees_the_impact, |store| async move {
    let Env { api, w, admin, config, agent, user } = start(&store).await;
    let classes = api.get(&agent, "/ci-classes").await.expect(200).clone();
    let codes: Vec<&str> = classes["items"].as_array().unwrap().iter().filter_map(|c| c["code"].as_str()).collect();
    for c in [
        "business_service",
        "application",
        "database",
        "middleware",
        "server",
        "virtual_machine",
        "switch",
        "router",
        "firewall",
        "storage",
        "pc",
        "printer",
    ] {
        assert!(codes.contains(&c), "{c} is shipped");
    }
    let core = api
        .post(
            &admin,
            "/cis",
            json!({"tenant_id": w.provider, "class": "switch", "name": "核心交换机",
            "attributes": {"management_ip": "10.0.0.1", "serial_number": "SW-1"}}),
        )
        .await
        .expect(201)
        .clone();
    let srv = api
        .post(
            &config,
            "/cis",
            json!({"tenant_id": w.tenant_a, "class": "server", "name": "erp-01",
            "location_id": w.location_a, "attributes": {"hostname": "erp-01", "ip_addresses": ["10.1.0.5"]}}),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!(srv["attributes"]["ip_addresses"], json!(["10.1.0.5"]));
    let rel = api
        .post(
            &config,
            &format!("/cis/{}/relations", srv["id"]),
            json!({"kind": "connects_to", "target_id": core["id"]}),
        )
        .await
        .expect(201)
        .clone();
    let impact =
        api.get_query(&agent, &format!("/cis/{}/impact", core["id"]), &[("direction", "down"), ("depth", "3")]).await;
    let impact = impact.expect(200);
    let ids: Vec<i64> = impact["nodes"].as_array().unwrap().iter().filter_map(|n| n["id"].as_i64()).collect();
    assert_eq!(ids, vec![core["id"].as_i64().unwrap(), srv["id"].as_i64().unwrap()]);
    assert_eq!(impact["nodes"][1]["path"], json!([core["id"], srv["id"]]));

    // Lists, search and history.
    let page = api.get_query(&agent, "/cis", &[("q", "erp-01")]).await.expect(200).clone();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let patched = api
        .patch(
            &config,
            &format!("/cis/{}", srv["id"]),
            json!({"version": 1, "status": "maintenance", "attributes": {"cpu_cores": 8}}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!((patched["version"].as_i64(), patched["status"].as_str()), (Some(2), Some("maintenance")));
    api.patch(&config, &format!("/cis/{}", srv["id"]), json!({"version": 1, "name": "x"})).await.error(
        409,
        "version_conflict",
        Some("version"),
    );
    let history = api.get(&agent, &format!("/cis/{}/history", srv["id"])).await.expect(200).clone();
    assert_eq!(history["items"][0]["kind"], "updated");
    let rels = api.get(&agent, &format!("/cis/{}/relations", srv["id"])).await.expect(200).clone();
    assert_eq!(rels["items"][0]["other_name"], "核心交换机");
    api.send(
        reqwest::Method::DELETE,
        api.v1(&format!("/ci-relations/{}", rel["id"])),
        Some(&config),
        yunwei_contract::client::Body::Empty,
    )
    .await
    .expect(204);
    // An end user may not analyse impact; the CI is not theirs to see at all.
    api.get(&user, &format!("/cis/{}", srv["id"])).await.error(404, "not_found", None);
});

both_backends!(bad_input_names_the_field_and_stores_nothing, |store| async move {
    let Env { api, w, admin, config, agent, .. } = start(&store).await;
    let post = |body: Value| api.post(&config, "/cis", body);
    post(
        json!({"tenant_id": w.tenant_a, "class": "server", "name": "x", "attributes": {"ip_addresses": ["999.1.1.1"]}}),
    )
    .await
    .invalid("attributes.ip_addresses");
    post(json!({"tenant_id": w.tenant_a, "class": "server", "name": "x", "attributes": {"cpu_cores": "eight"}}))
        .await
        .invalid("attributes.cpu_cores");
    post(json!({"tenant_id": w.tenant_a, "class": "server", "name": "x", "status": "broken"})).await.invalid("status");
    post(json!({"tenant_id": w.tenant_a, "class": "server", "name": ""})).await.invalid("name");
    post(json!({"tenant_id": w.tenant_b, "class": "server", "name": "x"})).await.invalid("tenant_id");
    post(json!({"tenant_id": w.tenant_a, "class": "server", "name": "x", "colour": "red"})).await.invalid("colour");
    api.post(&agent, "/cis", json!({"tenant_id": w.tenant_a, "class": "server", "name": "x"})).await.error(
        403,
        "forbidden",
        None,
    );
    let page = api.get(&admin, "/cis").await.expect(200).clone();
    assert_eq!(page["items"].as_array().unwrap().len(), 0, "nothing was stored");
    // Classes: a bad attribute definition is refused naming it.
    let bad = json!({"code": "rack", "name_zh": "机柜", "name_en": "Rack",
        "attributes": [{"code": "units", "name_zh": "U数", "name_en": "Units", "kind": "enum"}]});
    api.post(&config, "/ci-classes", bad).await.invalid("attributes[0].options");
    let ok = json!({"code": "rack", "name_zh": "机柜", "name_en": "Rack",
        "attributes": [{"code": "units", "name_zh": "U数", "name_en": "Units", "kind": "number", "required": true}]});
    api.post(&config, "/ci-classes", ok.clone()).await.expect(201);
    api.post(&config, "/ci-classes", ok).await.error(409, "duplicate", Some("code"));
    api.get_query(&agent, "/cis", &[("limit", "0")]).await.invalid("limit");
    api.get_query(&agent, "/cis", &[("cursor", "abc")]).await.invalid("cursor");
});

both_backends!(another_tenants_ci_is_not_found_anywhere, |store| async move {
    let Env { api, w, admin, agent, .. } = start(&store).await;
    let b = api
        .post(&admin, "/cis", json!({"tenant_id": w.tenant_b, "class": "server", "name": "globex-db", "attributes": {"serial_number": "G-1"}}))
        .await
        .expect(201)
        .clone();
    let id = b["id"].as_i64().unwrap();
    for path in [
        format!("/cis/{id}"),
        format!("/cis/{id}/history"),
        format!("/cis/{id}/relations"),
        format!("/cis/{id}/impact"),
        format!("/cis/{id}/tickets"),
    ] {
        api.get(&agent, &path).await.error(404, "not_found", None);
    }
    api.patch(&agent, &format!("/cis/{id}"), json!({"version": 1, "name": "mine"})).await.error(404, "not_found", None);
    let found = api.get_query(&agent, "/cis", &[("q", "G-1")]).await.expect(200).clone();
    assert_eq!(found["items"], json!([]));
    api.get_query(&agent, &format!("/cis/{id}/impact"), &[("depth", "11")]).await.invalid("depth");
});
