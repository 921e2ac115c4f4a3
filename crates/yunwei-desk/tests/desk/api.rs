//! The HTTP API suite: a real server on 127.0.0.1, spoken to over HTTP with reqwest, once on
//! SQLite and once on PostgreSQL. Every refusal is checked three ways: the status, the JSON
//! error body `{"error": {"code", "message", "field"}}`, and that nothing stored changed.
//! Every answer is also held against the OpenAPI document the server serves
//! (`yunwei_contract`): its status, content type and body must be documented for
//! the operation, and every JSON body the server accepted must match the documented one.

use reqwest::Method;
use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};
use yunwei_contract::client::{Api, Body, Reply};
use yunwei_db::both_backends;
use yunwei_db::testing::TestStore;
use yunwei_desk::testing::World;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The desk's own requests, on the shared API client.
trait DeskApi {
    async fn upload(&self, token: &str, ticket: i64, file_name: &str, content: &[u8], public: Option<bool>) -> Reply;
    async fn create_ticket(&self, token: &str, body: Value) -> Value;
    async fn ticket(&self, token: &str, id: i64) -> Value;
    async fn act(&self, token: &str, t: &Value, action: &str, fields: Value) -> Reply;
    async fn acted(&self, token: &str, t: &Value, action: &str, fields: Value) -> Value;
    async fn count_tickets(&self, token: &str) -> usize;
}

impl DeskApi for Api {
    /// Uploads one file as hand-built multipart/form-data, with an optional `public` part. Every
    /// file claims to be `text/html`: the server must serve by the (sanitised) name, never by
    /// what the uploader claimed.
    async fn upload(&self, token: &str, ticket: i64, file_name: &str, content: &[u8], public: Option<bool>) -> Reply {
        const BOUNDARY: &str = "yunwei-test-boundary-4f1c2a";
        let mut body = Vec::new();
        if let Some(p) = public {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"public\"\r\n\r\n{p}\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
                 Content-Type: text/html\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        self.raw(Method::POST, &format!("/tickets/{ticket}/attachments"), token, &content_type, body).await
    }

    /// Logs a ticket, expecting success.
    async fn create_ticket(&self, token: &str, body: Value) -> Value {
        self.post(token, "/tickets", body).await.expect(201).clone()
    }

    /// Reads a ticket, expecting success.
    async fn ticket(&self, token: &str, id: i64) -> Value {
        self.get(token, &format!("/tickets/{id}")).await.expect(200).clone()
    }

    /// Takes an action on `t` at the version it was read at; `fields` are the action's own.
    async fn act(&self, token: &str, t: &Value, action: &str, fields: Value) -> Reply {
        let mut body = json!({ "version": t["version"] });
        if let Value::Object(m) = fields {
            body.as_object_mut().unwrap().extend(m);
        }
        self.post(token, &format!("/tickets/{}/{action}", t["id"]), body).await
    }

    /// Takes an action expecting success, and returns the ticket after it.
    async fn acted(&self, token: &str, t: &Value, action: &str, fields: Value) -> Value {
        self.act(token, t, action, fields).await.expect(200).clone()
    }

    /// How many tickets the caller can see.
    async fn count_tickets(&self, token: &str) -> usize {
        self.get(token, "/tickets?limit=200").await.expect(200)["items"].as_array().unwrap().len()
    }
}

/// API tokens of the world's people.
struct Tokens {
    admin: String,
    agent: String,
    engineer: String,
    user_a: String,
    user_b: String,
}

/// A running server on a fresh store with the test organisation.
struct Env {
    api: Api,
    w: World,
    tok: Tokens,
}

async fn token_for(store: &TestStore, user_id: i64) -> String {
    let mut tx = store.write().await.expect("begin");
    let token = yunwei_db::identity::create_token(&mut tx, None, user_id, "test").await.expect("token");
    tx.commit().await.expect("commit");
    token
}

async fn start(store: &TestStore) -> Env {
    let w = World::build(store).await;
    let tok = Tokens {
        admin: token_for(store, w.admin.user_id).await,
        agent: token_for(store, w.agent.user_id).await,
        engineer: token_for(store, w.engineer.user_id).await,
        user_a: token_for(store, w.user_a.user_id).await,
        user_b: token_for(store, w.user_b.user_id).await,
    };
    let base = yunwei_web::testing::serve(store, crate::MODULES).await;
    Env { api: Api::connect(base).await, w, tok }
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"].as_array().expect("items").iter().map(|t| t["id"].as_i64().unwrap()).collect()
}

fn kinds(timeline: &Value) -> Vec<String> {
    timeline["items"].as_array().expect("items").iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Tickets: creating and reading
// ---------------------------------------------------------------------------------------------

both_backends!(creating_a_ticket_answers_201_with_its_number_and_location_and_it_reads_back, |store| async move {
    let Env { api, w, tok } = start(&store).await;
    let r = api.post(&tok.user_a, "/tickets", json!({ "title": "打印机卡纸", "description": "三楼的打印机" })).await;
    let t = r.expect(201).clone();
    assert_eq!(t["number"], "INC-000001");
    assert_eq!(r.header("location"), "/api/v1/tickets/INC-000001");
    assert!(t["id"].as_i64().is_some_and(|id| id > 0));
    assert_eq!(
        (t["status"].as_str(), t["type"].as_str(), t["channel"].as_str()),
        (Some("new"), Some("incident"), Some("api"))
    );
    assert_eq!((t["tenant_id"].as_i64(), t["requester_id"].as_i64()), (Some(w.tenant_a), Some(w.user_a.user_id)));
    assert_eq!((t["priority"].as_i64(), t["version"].as_i64()), (Some(3), Some(1)));
    assert_eq!(t["actions"], json!(["cancel"]), "an end user may only cancel a new ticket of their own");

    let by_id = api.get(&tok.user_a, &format!("/tickets/{}", t["id"])).await;
    assert_eq!(by_id.expect(200), &t);
    let by_location = api.send(Method::GET, api.root(r.header("location")), Some(&tok.user_a), Body::Empty).await;
    assert_eq!(by_location.expect(200), &t);
    let lower_case = api.get(&tok.user_a, "/tickets/inc-000001").await;
    assert_eq!(lower_case.expect(200), &t);

    // A request and a ticket at a location: their own numbering, and the location's group.
    let req = api.create_ticket(&tok.user_a, json!({ "type": "request", "title": "申请开通VPN" })).await;
    assert_eq!(req["number"], "REQ-000001");
    let at = api.create_ticket(&tok.user_a, json!({ "title": "显示器黑屏", "location_id": w.location_a })).await;
    assert_eq!((at["number"].as_str(), at["status"].as_str()), (Some("INC-000002"), Some("assigned")));
    assert_eq!(at["group_id"], w.l1);
    // Staff see the ticket with the actions they may take.
    let staff = api.ticket(&tok.agent, t["id"].as_i64().unwrap()).await;
    assert!(staff["actions"].as_array().unwrap().contains(&json!("dispatch")));
});

both_backends!(
    careless_or_hostile_ticket_bodies_are_refused_with_the_field_named_and_nothing_stored,
    |store| async move {
        let Env { api, tok, .. } = start(&store).await;
        api.create_ticket(&tok.user_a, json!({ "title": "the only ticket" })).await;
        let json_type = "application/json";
        let post_raw = |body: &str| api.raw(Method::POST, "/tickets", &tok.user_a, json_type, body.as_bytes().to_vec());

        post_raw(r#"{"title": "unterminated"#).await.error(400, "malformed_request", None);
        post_raw("not json at all").await.error(400, "malformed_request", None);
        post_raw("").await.error(400, "malformed_request", None);
        post_raw(r#"{"title": 42}"#).await.invalid("title");
        post_raw(r#"{"title": "x", "impact": "high"}"#).await.invalid("impact");
        post_raw(r#"{"title": "x", "location_id": [1]}"#).await.invalid("location_id");
        post_raw(r#"["title"]"#).await.invalid("body");
        post_raw(r#"{"description": "no title"}"#).await.invalid("title");
        post_raw(r#"{"title": "x", "colour": "red"}"#).await.invalid("colour");
        api.post(&tok.user_a, "/tickets", json!({ "title": "   " })).await.invalid("title");
        let long = api.post(&tok.user_a, "/tickets", json!({ "title": "长".repeat(201) })).await;
        long.invalid("title");
        long.reason("too_long", &[("max", "200")]);
        assert_eq!(long.json["error"]["message"], "title: must be at most 200 characters");
        api.post(&tok.user_a, "/tickets", json!({ "title": "x", "impact": 9 })).await.invalid("impact");
        api.post(&tok.user_a, "/tickets", json!({ "title": "x", "urgency": 0 })).await.invalid("urgency");
        api.post(&tok.user_a, "/tickets", json!({ "title": "x", "type": "problem" })).await.invalid("type");
        // An end user may not assign on creation, nor log for someone else.
        api.post(&tok.user_a, "/tickets", json!({ "title": "x", "group_id": 1 })).await.error(403, "forbidden", None);
        api.post(&tok.user_b, "/tickets", json!({ "title": "x", "requester_id": 1 })).await.error(
            403,
            "forbidden",
            None,
        );

        let form = b"title=x".to_vec();
        api.raw(Method::POST, "/tickets", &tok.user_a, "application/x-www-form-urlencoded", form).await.error(
            415,
            "unsupported_media_type",
            None,
        );
        api.raw(Method::POST, "/tickets", &tok.user_a, "text/plain", br#"{"title": "x"}"#.to_vec()).await.error(
            415,
            "unsupported_media_type",
            None,
        );
        // Just over 1 MiB of otherwise valid JSON.
        let huge = serde_json::to_vec(&json!({ "title": "x", "description": "x".repeat(1024 * 1024) })).unwrap();
        assert!(huge.len() > 1024 * 1024);
        api.raw(Method::POST, "/tickets", &tok.user_a, json_type, huge).await.error(413, "too_large", None);
        // Exactly 200 characters is still fine.
        api.create_ticket(&tok.user_a, json!({ "title": "长".repeat(200) })).await;

        assert_eq!(api.count_tickets(&tok.admin).await, 2, "a refused request stored a ticket");
        assert_eq!(api.get(&tok.user_a, "/tickets/INC-000002").await.expect(200)["title"], "长".repeat(200));
    }
);

both_backends!(unknown_and_other_tenants_tickets_are_not_found_and_not_leaked, |store| async move {
    let Env { api, tok, .. } = start(&store).await;
    let mine = api.create_ticket(&tok.user_a, json!({ "title": "A's ticket" })).await;
    let theirs = api.create_ticket(&tok.user_b, json!({ "title": "B's secret ticket" })).await;
    let (id, number) = (theirs["id"].as_i64().unwrap(), theirs["number"].as_str().unwrap().to_string());

    let unknown = api.get(&tok.agent, "/tickets/999999").await;
    unknown.error(404, "not_found", None);
    api.get(&tok.agent, "/tickets/INC-999999").await.error(404, "not_found", None);
    for token in [&tok.agent, &tok.user_a] {
        for path in
            [format!("/tickets/{id}"), format!("/tickets/{number}"), format!("/tickets/{}", number.to_lowercase())]
        {
            let r = api.get(token, &path).await;
            r.error(404, "not_found", None);
            assert_eq!(r.json, unknown.json, "the refusal tells a hidden ticket from a missing one");
            assert!(!r.text().contains("secret"));
        }
        for sub in ["timeline", "attachments", "links"] {
            api.get(token, &format!("/tickets/{id}/{sub}")).await.error(404, "not_found", None);
        }
        let ids_seen = ids(api.get(token, "/tickets").await.expect(200));
        assert_eq!(ids_seen, vec![mine["id"].as_i64().unwrap()]);
        // Searching by its number finds nothing either.
        let found = api.get_query(token, "/tickets", &[("q", &number)]).await;
        assert!(ids(found.expect(200)).is_empty());
    }
    // Acting, commenting and editing behave as if it did not exist.
    api.act(&tok.agent, &theirs, "claim", json!({})).await.error(404, "not_found", None);
    api.post(&tok.agent, &format!("/tickets/{id}/comments"), json!({ "body": "hello" })).await.error(
        404,
        "not_found",
        None,
    );
    api.patch(&tok.agent, &format!("/tickets/{id}"), json!({ "version": 1, "title": "mine now" })).await.error(
        404,
        "not_found",
        None,
    );
    api.act(&tok.user_a, &theirs, "cancel", json!({ "reason": "not mine" })).await.error(404, "not_found", None);
    // The engineer serves tenant B and sees it untouched.
    assert_eq!(api.ticket(&tok.engineer, id).await["version"], 1);
    assert_eq!(api.ticket(&tok.user_b, id).await, theirs);
});

both_backends!(requests_without_a_valid_token_are_unauthenticated, |store| async move {
    let Env { api, w, tok } = start(&store).await;
    let anonymous = api.send(Method::GET, api.v1("/tickets"), None, Body::Empty).await;
    anonymous.error(401, "unauthenticated", None);
    let wrong = api.send(Method::GET, api.v1("/tickets"), Some("yw_0000"), Body::Empty).await;
    wrong.error(401, "unauthenticated", None);
    for header in ["Basic YWRtaW46Y29ycmVjdCBob3JzZQ==", "Bearer ", "Bearer", "bearer x", tok.admin.as_str()] {
        let r = api.client.get(api.v1("/me")).header(AUTHORIZATION, header).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "Authorization: {header:?}");
    }
    let create =
        api.send(Method::POST, api.v1("/tickets"), Some("yw_nope"), Body::Json(json!({ "title": "sneaky" }))).await;
    create.error(401, "unauthenticated", None);
    assert_eq!(api.count_tickets(&tok.admin).await, 0);

    // The scheme name is case-insensitive.
    let lower =
        api.client.get(api.v1("/me")).header(AUTHORIZATION, format!("bearer {}", tok.agent)).send().await.unwrap();
    assert_eq!(lower.status().as_u16(), 200);

    // The token works, and stops working when its user is disabled.
    let me = api.get(&tok.agent, "/me").await.expect(200).clone();
    assert_eq!((me["id"].as_i64(), me["login"].as_str()), (Some(w.agent.user_id), Some("agent")));
    let patch = json!({ "version": me["version"], "active": false });
    api.patch(&tok.admin, &format!("/users/{}", w.agent.user_id), patch).await.expect(200);
    api.get(&tok.agent, "/me").await.error(401, "unauthenticated", None);
});

// ---------------------------------------------------------------------------------------------
// Tickets: actions
// ---------------------------------------------------------------------------------------------

both_backends!(refused_actions_answer_the_right_error_and_change_nothing, |store| async move {
    let Env { api, w, tok } = start(&store).await;
    let t = api.create_ticket(&tok.user_a, json!({ "title": "键盘失灵" })).await;
    let id = t["id"].as_i64().unwrap();
    let unchanged = async |label: &str| {
        assert_eq!(api.ticket(&tok.user_a, id).await, t, "{label} changed the ticket");
        let timeline = api.get(&tok.engineer, &format!("/tickets/{id}/timeline")).await;
        assert_eq!(kinds(timeline.expect(200)), ["created"], "{label} wrote to the timeline");
    };

    api.act(&tok.user_a, &t, "dispatch", json!({ "group_id": w.l1 })).await.error(403, "forbidden", None);
    unchanged("an end user dispatching").await;
    let refused = api.act(&tok.user_a, &t, "claim", json!({})).await;
    refused.error(403, "forbidden", None);
    refused.reason("role_may_not_action", &[("role_key", "role.end_user"), ("action_key", "action.claim")]);
    unchanged("an end user claiming").await;
    api.act(&tok.agent, &t, "close", json!({})).await.error(409, "illegal_transition", Some("status"));
    unchanged("closing a new ticket").await;
    api.act(&tok.agent, &t, "resume", json!({})).await.error(409, "illegal_transition", Some("status"));
    unchanged("resuming a new ticket").await;
    let stale = json!({ "version": 0, "group_id": w.l1 });
    api.post(&tok.agent, &format!("/tickets/{id}/dispatch"), stale).await.error(
        409,
        "version_conflict",
        Some("version"),
    );
    unchanged("a stale dispatch").await;
    api.act(&tok.agent, &t, "frobnicate", json!({})).await.error(404, "not_found", None);
    unchanged("an unknown action").await;
    api.act(&tok.agent, &t, "claim", json!({ "reason": "because" })).await.invalid("reason");
    api.act(&tok.agent, &t, "dispatch", json!({ "group_id": w.l1, "code": "solved" })).await.invalid("code");
    api.act(&tok.agent, &t, "dispatch", json!({})).await.invalid("group_id");
    let missing = api.act(&tok.agent, &t, "dispatch", json!({ "group_id": 999_999 })).await;
    missing.invalid("group_id");
    missing.reason("no_such_group", &[("id", "999999")]);
    // Named as people read them, not by id.
    let outsider =
        api.act(&tok.agent, &t, "dispatch", json!({ "group_id": w.l1, "assignee_id": w.engineer.user_id })).await;
    outsider.invalid("assignee_id");
    outsider.reason("not_a_member", &[("user", "engineer"), ("group", "Service desk")]);
    api.act(&tok.agent, &t, "resolve", json!({ "code": "magic", "notes": "n" })).await.invalid("code");
    api.act(&tok.agent, &t, "claim", json!({ "colour": "red" })).await.invalid("colour");
    api.post(&tok.agent, &format!("/tickets/{id}/claim"), json!({})).await.invalid("version");
    api.post(&tok.agent, &format!("/tickets/{id}/claim"), json!({ "version": "1" })).await.invalid("version");
    api.raw(Method::POST, &format!("/tickets/{id}/claim"), &tok.agent, "application/json", b"{".to_vec()).await.error(
        400,
        "malformed_request",
        None,
    );
    // Editing: end users may not, a stale version is refused, bad values are named.
    let path = format!("/tickets/{id}");
    api.patch(&tok.user_a, &path, json!({ "version": 1, "title": "mine" })).await.error(403, "forbidden", None);
    api.patch(&tok.agent, &path, json!({ "version": 7, "title": "stale" })).await.error(
        409,
        "version_conflict",
        Some("version"),
    );
    api.patch(&tok.agent, &path, json!({ "version": 1, "urgency": 5 })).await.invalid("urgency");
    let nul = json!({ "version": 1, "urgency": 1, "reason": "bad\u{0}byte" });
    api.patch(&tok.agent, &path, nul).await.invalid("reason");
    unchanged("the refused edits and misshapen actions").await;

    // The same requests done right succeed, and the stale version is stale for good.
    let t2 = api.acted(&tok.agent, &t, "dispatch", json!({ "group_id": w.l1 })).await;
    assert_eq!(
        (t2["status"].as_str(), t2["version"].as_i64(), t2["group_id"].as_i64()),
        (Some("assigned"), Some(2), Some(w.l1))
    );
    api.act(&tok.agent, &t, "dispatch", json!({ "group_id": w.l2 })).await.error(
        409,
        "version_conflict",
        Some("version"),
    );
    assert_eq!(api.ticket(&tok.agent, id).await, t2);
    let why = json!({ "version": 2, "impact": 1, "urgency": 1, "reason": "the whole ward is down" });
    let edited = api.patch(&tok.agent, &path, why).await;
    assert_eq!((edited.expect(200)["priority"].as_i64(), edited.json["version"].as_i64()), (Some(1), Some(3)));
    // The timeline keeps the change, the priority's move and the reason.
    let timeline = api.get(&tok.agent, &format!("/tickets/{id}/timeline")).await;
    let items = timeline.expect(200)["items"].as_array().unwrap().clone();
    let update = items.iter().find(|e| e["kind"] == "update").expect("an update entry");
    assert_eq!(update["data"]["note"], "the whole ward is down");
    assert_eq!(update["data"]["priority"][1], 1);
});

both_backends!(a_requester_withdraws_their_ticket_until_work_starts, |store| async move {
    let Env { api, w, tok } = start(&store).await;
    let t = api.create_ticket(&tok.user_a, json!({ "title": "Printer fixed itself" })).await;
    let t = api.acted(&tok.agent, &t, "dispatch", json!({ "group_id": w.l1 })).await;
    let mine = api.ticket(&tok.user_a, t["id"].as_i64().unwrap()).await;
    assert_eq!(mine["actions"], json!(["cancel"]), "waiting in a queue, it may still be withdrawn");
    let gone = api.acted(&tok.user_a, &t, "cancel", json!({ "reason": "it works again" })).await;
    assert_eq!(gone["status"], "cancelled");
    // Once someone works on it, only the staff may cancel it.
    let u = api.create_ticket(&tok.user_a, json!({ "title": "Still broken" })).await;
    let u = api.acted(&tok.agent, &u, "dispatch", json!({ "group_id": w.l1 })).await;
    let u = api.acted(&tok.agent, &u, "claim", json!({})).await;
    let refused = api.act(&tok.user_a, &u, "cancel", json!({ "reason": "never mind" })).await;
    refused.error(403, "forbidden", None);
    assert_eq!(api.ticket(&tok.agent, u["id"].as_i64().unwrap()).await["status"], "in_progress");
});

both_backends!(a_ticket_goes_through_its_whole_lifecycle_over_http, |store| async move {
    let Env { api, w, tok } = start(&store).await;
    let t = api.create_ticket(&tok.user_a, json!({ "title": "Outlook cannot connect" })).await;
    let id = t["id"].as_i64().unwrap();
    let t = api.acted(&tok.agent, &t, "dispatch", json!({ "group_id": w.l1 })).await;
    assert_eq!((t["status"].as_str(), t["group_id"].as_i64()), (Some("assigned"), Some(w.l1)));
    let t = api.acted(&tok.agent, &t, "claim", json!({})).await;
    assert_eq!((t["status"].as_str(), t["assignee_id"].as_i64()), (Some("in_progress"), Some(w.agent.user_id)));
    assert!(t["first_response_at"].is_string());
    let t = api.acted(&tok.agent, &t, "escalate", json!({ "reason": "mail server side" })).await;
    assert_eq!((t["status"].as_str(), t["group_id"].as_i64()), (Some("assigned"), Some(w.l2)));
    assert!(t["assignee_id"].is_null());
    // Escalated to L2, the L1 agent can no longer take it back.
    api.act(&tok.agent, &t, "claim", json!({})).await.error(403, "forbidden", None);
    let t = api.acted(&tok.engineer, &t, "claim", json!({})).await;
    assert_eq!(t["assignee_id"], w.engineer.user_id);
    let t =
        api.acted(&tok.engineer, &t, "suspend", json!({ "reason": "vendor", "note": "waiting for Microsoft" })).await;
    assert_eq!((t["status"].as_str(), t["pending_reason"].as_str()), (Some("pending"), Some("vendor")));
    let t = api.acted(&tok.engineer, &t, "resume", json!({})).await;
    assert_eq!((t["status"].as_str(), t["pending_reason"].as_str()), (Some("in_progress"), None));
    let t = api.acted(&tok.engineer, &t, "resolve", json!({ "code": "solved", "notes": "重建了邮件配置文件" })).await;
    assert_eq!((t["status"].as_str(), t["resolution_code"].as_str()), (Some("resolved"), Some("solved")));
    assert_eq!(t["resolution_notes"], "重建了邮件配置文件");
    let seen_by_user = api.ticket(&tok.user_a, id).await;
    assert_eq!(seen_by_user["actions"], json!(["close", "reopen"]));
    let t = api.acted(&tok.user_a, &seen_by_user, "reopen", json!({ "reason": "又坏了" })).await;
    assert_eq!((t["status"].as_str(), t["reopen_count"].as_i64()), (Some("assigned"), Some(1)));
    assert!(t["resolved_at"].is_null() && t["resolution_code"].is_null());
    let t = api.acted(&tok.engineer, &t, "claim", json!({})).await;
    let t = api.acted(&tok.engineer, &t, "resolve", json!({ "code": "solved", "notes": "换了网卡驱动" })).await;
    let t = api.acted(&tok.user_a, &t, "close", json!({})).await;
    assert_eq!((t["status"].as_str(), t["version"].as_i64()), (Some("closed"), Some(12)));
    assert!(t["closed_at"].is_string());
    assert_eq!(t["actions"], json!([]));
    // Closed is final.
    api.act(&tok.user_a, &t, "reopen", json!({ "reason": "again" })).await.error(
        409,
        "illegal_transition",
        Some("status"),
    );
    assert_eq!(api.ticket(&tok.user_a, id).await, t);

    let all = [
        "created", "dispatch", "claim", "escalate", "claim", "suspend", "resume", "resolve", "reopen", "claim",
        "resolve", "close",
    ];
    let staff_view = api.get(&tok.engineer, &format!("/tickets/{id}/timeline")).await.expect(200).clone();
    assert_eq!(kinds(&staff_view), all);
    let escalation = &staff_view["items"][3];
    assert_eq!((escalation["public"].as_bool(), escalation["body"].as_str()), (Some(false), Some("mail server side")));
    assert_eq!(escalation["data"]["group_id"], w.l2);
    assert_eq!(staff_view["items"][5]["data"]["note"], "waiting for Microsoft");
    let user_view = api.get(&tok.user_a, &format!("/tickets/{id}/timeline")).await.expect(200).clone();
    let public: Vec<&str> = all.iter().copied().filter(|k| !["dispatch", "escalate"].contains(k)).collect();
    assert_eq!(kinds(&user_view), public);
    assert!(user_view["items"].as_array().unwrap().iter().all(|e| e["public"] == true));
    assert!(!user_view.to_string().contains("mail server side"), "the end user sees the internal reason");

    let audit = api.get(&tok.admin, &format!("/tickets/{id}/audit")).await.expect(200).clone();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    let expected: Vec<String> =
        all.iter().map(|k| format!("ticket.{}", if *k == "created" { "create" } else { k })).collect();
    assert_eq!(actions, expected);
    let reopen = &audit["items"][8];
    assert_eq!(
        (reopen["before"]["status"].as_str(), reopen["after"]["status"].as_str()),
        (Some("resolved"), Some("assigned"))
    );
    assert_eq!(reopen["actor_id"], w.user_a.user_id);
    // Agents and end users may not read the audit trail.
    api.get(&tok.agent, &format!("/tickets/{id}/audit")).await.error(403, "forbidden", None);
    api.get(&tok.user_a, &format!("/tickets/{id}/audit")).await.error(403, "forbidden", None);
});

// ---------------------------------------------------------------------------------------------
// Replies, notes and attachments
// ---------------------------------------------------------------------------------------------

both_backends!(end_users_cannot_write_internal_notes_and_never_see_them, |store| async move {
    let Env { api, w, tok } = start(&store).await;
    let t = api.create_ticket(&tok.user_a, json!({ "title": "网络断了" })).await;
    let id = t["id"].as_i64().unwrap();
    let comments = format!("/tickets/{id}/comments");
    let timeline = format!("/tickets/{id}/timeline");

    api.post(&tok.user_a, &comments, json!({ "body": "secret", "public": false })).await.error(403, "forbidden", None);
    api.post(&tok.user_a, &comments, json!({ "body": "  " })).await.invalid("body");
    api.post(&tok.user_a, &comments, json!({ "text": "hi" })).await.invalid("text");
    assert_eq!(kinds(api.get(&tok.agent, &timeline).await.expect(200)), ["created"]);

    let note = api.post(&tok.agent, &comments, json!({ "body": "检查交换机端口", "public": false })).await;
    let note = note.expect(201);
    assert_eq!((note["kind"].as_str(), note["public"].as_bool()), (Some("note"), Some(false)));
    assert_eq!(note["actor_id"], w.agent.user_id);
    let reply = api.post(&tok.agent, &comments, json!({ "body": "请重启电脑试试" })).await;
    assert_eq!((reply.expect(201)["kind"].as_str(), reply.json["public"].as_bool()), (Some("reply"), Some(true)));
    let answer = api.post(&tok.user_a, &comments, json!({ "body": "重启了，还是不行" })).await;
    answer.expect(201);

    let user_view = api.get(&tok.user_a, &timeline).await.expect(200).clone();
    assert_eq!(kinds(&user_view), ["created", "reply", "reply"]);
    assert!(!user_view.to_string().contains("检查交换机端口"), "the end user sees the internal note");
    let staff_view = api.get(&tok.engineer, &timeline).await.expect(200).clone();
    assert_eq!(kinds(&staff_view), ["created", "note", "reply", "reply"]);
    assert_eq!(staff_view["items"][1]["body"], "检查交换机端口");
    // The agent's public reply counts as the first response; the note does not change the version.
    let now = api.ticket(&tok.agent, id).await;
    assert!(now["first_response_at"].is_string());
    assert_eq!(now["version"], t["version"]);
});

both_backends!(uploads_get_safe_names_and_are_served_as_safe_downloads, |store| async move {
    let Env { api, w, tok } = start(&store).await;
    let t = api.create_ticket(&tok.user_a, json!({ "title": "截图" })).await;
    let id = t["id"].as_i64().unwrap();
    let html = b"<html><script>alert(document.cookie)</script></html>";

    let up = api.upload(&tok.user_a, id, "../../evil.html", html, None).await;
    let a = up.expect(201).clone();
    assert_eq!(a["file_name"], "evil.html");
    assert_eq!(a["content_type"], "application/octet-stream");
    assert_eq!((a["size"].as_u64(), a["public"].as_bool()), (Some(html.len() as u64), Some(true)));
    assert_eq!(a["uploaded_by"], w.user_a.user_id);

    let download = api.get(&tok.agent, &format!("/tickets/{id}/attachments/{}", a["id"])).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.bytes, html);
    assert_eq!(download.header("content-type"), "application/octet-stream");
    let disposition = download.header("content-disposition");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains("filename=\"evil.html\""), "{disposition}");
    assert!(!disposition.contains(".."), "{disposition}");
    assert_eq!(download.header("x-content-type-options"), "nosniff");
    assert!(download.header("content-security-policy").contains("sandbox"));

    let png = b"\x89PNG\r\n\x1a\nfake image";
    let up = api.upload(&tok.user_a, id, "屏幕截图.PNG", png, None).await;
    let p = up.expect(201).clone();
    assert_eq!((p["file_name"].as_str(), p["content_type"].as_str()), (Some("屏幕截图.PNG"), Some("image/png")));
    let image = api.get(&tok.user_a, &format!("/tickets/{id}/attachments/{}", p["id"])).await;
    assert_eq!(image.status, 200);
    assert_eq!((image.header("content-type"), image.bytes.as_slice()), ("image/png", png.as_slice()));
    assert!(image.header("content-disposition").starts_with("inline;"));
    assert_eq!(image.header("x-content-type-options"), "nosniff");

    let list = api.get(&tok.user_a, &format!("/tickets/{id}/attachments")).await.expect(200).clone();
    let names: Vec<&str> = list["items"].as_array().unwrap().iter().map(|a| a["file_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["evil.html", "屏幕截图.PNG"]);
    let timeline = api.get(&tok.user_a, &format!("/tickets/{id}/timeline")).await;
    assert_eq!(kinds(timeline.expect(200)), ["created", "attachment", "attachment"]);

    // Misshapen uploads.
    api.upload(&tok.user_a, id, "empty.txt", b"", None).await.invalid("file");
    api.raw(
        Method::POST,
        &format!("/tickets/{id}/attachments"),
        &tok.user_a,
        "multipart/form-data; boundary=x",
        b"--x\r\nContent-Disposition: form-data; name=\"public\"\r\n\r\ntrue\r\n--x--\r\n".to_vec(),
    )
    .await
    .invalid("file");
    api.upload(&tok.user_a, 999_999, "a.txt", b"x", None).await.error(404, "not_found", None);
    api.get(&tok.user_a, &format!("/tickets/{id}/attachments/999999")).await.error(404, "not_found", None);
    let count =
        api.get(&tok.agent, &format!("/tickets/{id}/attachments")).await.expect(200)["items"].as_array().unwrap().len();
    assert_eq!(count, 2);
});

both_backends!(uploads_over_ten_mib_are_refused_with_413_and_not_stored, |store| async move {
    let Env { api, tok, .. } = start(&store).await;
    let t = api.create_ticket(&tok.user_a, json!({ "title": "big file" })).await;
    let id = t["id"].as_i64().unwrap();
    // One byte over the limit: inside the room left for multipart framing, caught by the handler.
    let just_over = vec![b'a'; 10 * 1024 * 1024 + 1];
    api.upload(&tok.user_a, id, "dump.bin", &just_over, None).await.error(413, "too_large", None);
    // Well over: the body limit stops reading.
    let far_over = vec![b'a'; 11 * 1024 * 1024];
    api.upload(&tok.user_a, id, "dump.bin", &far_over, None).await.error(413, "too_large", None);
    // Exactly the limit is fine.
    let exactly = vec![b'a'; 10 * 1024 * 1024];
    let ok = api.upload(&tok.user_a, id, "dump.bin", &exactly, None).await;
    assert_eq!(ok.expect(201)["size"], 10 * 1024 * 1024);
    let list = api.get(&tok.user_a, &format!("/tickets/{id}/attachments")).await;
    assert_eq!(list.expect(200)["items"].as_array().unwrap().len(), 1, "a refused upload was stored");
});

both_backends!(an_agents_internal_file_is_invisible_to_the_end_user, |store| async move {
    let Env { api, tok, .. } = start(&store).await;
    let t = api.create_ticket(&tok.user_a, json!({ "title": "交换机故障" })).await;
    let id = t["id"].as_i64().unwrap();
    let internal = api.upload(&tok.agent, id, "switch.log", b"port 12 down", Some(false)).await;
    let internal = internal.expect(201).clone();
    assert_eq!(
        (internal["public"].as_bool(), internal["content_type"].as_str()),
        (Some(false), Some("text/plain; charset=utf-8"))
    );
    // An end user's "internal" file is public anyway: the requester always sees their own files.
    let theirs = api.upload(&tok.user_a, id, "photo.jpg", b"\xff\xd8\xff", Some(false)).await;
    assert_eq!(theirs.expect(201)["public"], true);
    api.upload(&tok.agent, id, "x.txt", b"x", None).await.expect(201);
    let bad = api
        .raw(
            Method::POST,
            &format!("/tickets/{id}/attachments"),
            &tok.agent,
            "multipart/form-data; boundary=b",
            b"--b\r\nContent-Disposition: form-data; name=\"public\"\r\n\r\nmaybe\r\n--b--\r\n".to_vec(),
        )
        .await;
    bad.invalid("public");

    let user_list = api.get(&tok.user_a, &format!("/tickets/{id}/attachments")).await.expect(200).clone();
    let user_ids: Vec<i64> = ids(&user_list);
    assert_eq!(user_ids.len(), 2);
    assert!(!user_ids.contains(&internal["id"].as_i64().unwrap()));
    let hidden = api.get(&tok.user_a, &format!("/tickets/{id}/attachments/{}", internal["id"])).await;
    hidden.error(404, "not_found", None);
    assert!(!hidden.text().contains("port 12"));
    let user_timeline = api.get(&tok.user_a, &format!("/tickets/{id}/timeline")).await.expect(200).clone();
    assert!(!user_timeline.to_string().contains("switch.log"));

    let staff_list = api.get(&tok.agent, &format!("/tickets/{id}/attachments")).await;
    assert_eq!(staff_list.expect(200)["items"].as_array().unwrap().len(), 3);
    let staff = api.get(&tok.engineer, &format!("/tickets/{id}/attachments/{}", internal["id"])).await;
    assert_eq!((staff.status, staff.bytes.as_slice()), (200, b"port 12 down".as_slice()));
    assert!(staff.header("content-disposition").starts_with("attachment;"));
});

// ---------------------------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------------------------

both_backends!(ticket_lists_filter_by_status_priority_text_and_assignee, |store| async move {
    let Env { api, w, tok } = start(&store).await;
    let mut made = Vec::new();
    for (title, level) in
        [("打印机卡纸", 1), ("Printer offline", 2), ("VPN 连不上", 3), ("打印机没有墨了", 4), ("Mailbox full", 3)]
    {
        let t = api.create_ticket(&tok.user_a, json!({ "title": title, "impact": level, "urgency": level })).await;
        made.push(t);
    }
    let id = |i: usize| made[i]["id"].as_i64().unwrap();
    api.acted(&tok.agent, &made[1], "dispatch", json!({ "group_id": w.l1 })).await;
    api.acted(&tok.agent, &made[2], "claim", json!({})).await;
    let b_ticket = api.create_ticket(&tok.user_b, json!({ "title": "打印机 at Globex" })).await;

    let sorted = |mut v: Vec<i64>| {
        v.sort();
        v
    };
    let list = async |token: &str, query: &[(&str, &str)]| {
        sorted(ids(api.get_query(token, "/tickets", query).await.expect(200)))
    };

    assert_eq!(list(&tok.agent, &[]).await, vec![id(0), id(1), id(2), id(3), id(4)], "the L1 agent sees tenant A only");
    assert_eq!(list(&tok.engineer, &[]).await.len(), 6);
    assert_eq!(list(&tok.user_b, &[]).await, vec![b_ticket["id"].as_i64().unwrap()]);
    assert_eq!(list(&tok.agent, &[("status", "new")]).await, vec![id(0), id(3), id(4)]);
    assert_eq!(list(&tok.agent, &[("status", "assigned,in_progress")]).await, vec![id(1), id(2)]);
    assert_eq!(list(&tok.agent, &[("status", "open")]).await.len(), 5);
    assert!(list(&tok.agent, &[("status", "closed")]).await.is_empty());
    assert_eq!(list(&tok.agent, &[("priority", "1")]).await, vec![id(0)]);
    assert_eq!(list(&tok.agent, &[("priority", "1,4")]).await, vec![id(0), id(3)]);
    assert_eq!(list(&tok.agent, &[("priority", "3"), ("status", "new")]).await, vec![id(4)]);
    assert_eq!(list(&tok.agent, &[("q", "打印机")]).await, vec![id(0), id(3)]);
    assert_eq!(list(&tok.engineer, &[("q", "打印机")]).await.len(), 3);
    assert_eq!(list(&tok.agent, &[("q", "PRINTER")]).await, vec![id(1)]);
    assert_eq!(list(&tok.agent, &[("q", "inc-000003")]).await, vec![id(2)]);
    assert!(list(&tok.agent, &[("q", "100%_")]).await.is_empty());
    assert_eq!(list(&tok.agent, &[("assignee_id", "none")]).await, vec![id(0), id(1), id(3), id(4)]);
    assert_eq!(list(&tok.agent, &[("assignee_id", &w.agent.user_id.to_string())]).await, vec![id(2)]);
    assert_eq!(list(&tok.agent, &[("group_id", &w.l1.to_string())]).await, vec![id(1), id(2)]);
    assert_eq!(list(&tok.engineer, &[("tenant_id", &w.tenant_b.to_string())]).await.len(), 1);
    assert_eq!(list(&tok.agent, &[("type", "request")]).await, Vec::<i64>::new());
    assert_eq!(list(&tok.agent, &[("created_from", "2000-01-01T00:00:00Z")]).await.len(), 5);
    assert!(list(&tok.agent, &[("created_to", "2000-01-01T00:00:00Z")]).await.is_empty());

    // Every bad parameter is named: a bad value is a 422, an unknown parameter a 400.
    for (name, value) in [
        ("status", "sleeping"),
        ("type", "problem"),
        ("priority", "5"),
        ("assignee_id", "nobody"),
        ("created_from", "yesterday"),
        ("limit", "0"),
        ("limit", "201"),
    ] {
        api.get_query(&tok.agent, "/tickets", &[(name, value)]).await.invalid(name);
    }
    api.get_query(&tok.agent, "/tickets", &[("colour", "red")]).await.error(400, "invalid_query", Some("colour"));
});

both_backends!(ticket_lists_sort_and_cursor_pagination_visits_every_ticket_once, |store| async move {
    let Env { api, w, tok } = start(&store).await;
    let mut all = Vec::new();
    for i in 0..12 {
        let level = 1 + (i % 4);
        let body = json!({ "title": format!("Printer {i} jammed"), "impact": level, "urgency": level });
        all.push(api.create_ticket(&tok.user_a, body).await["id"].as_i64().unwrap());
    }
    // Touch some tickets so that updated_at order differs from creation order.
    for &i in &[all[3], all[7]] {
        let t = api.ticket(&tok.agent, i).await;
        api.acted(&tok.agent, &t, "dispatch", json!({ "group_id": w.l1 })).await;
    }

    let by_number = ids(api.get(&tok.agent, "/tickets?sort=number").await.expect(200));
    assert_eq!(by_number, all);
    let newest_first = ids(api.get(&tok.agent, "/tickets?sort=-created_at").await.expect(200));
    assert_eq!(newest_first, all.iter().rev().copied().collect::<Vec<_>>());
    let default = ids(api.get(&tok.agent, "/tickets").await.expect(200));
    assert_eq!(&default[..2], &[all[7], all[3]], "the default order is most recently updated first");
    let by_priority = api.get(&tok.agent, "/tickets?sort=priority").await.expect(200).clone();
    let priorities: Vec<i64> =
        by_priority["items"].as_array().unwrap().iter().map(|t| t["priority"].as_i64().unwrap()).collect();
    assert!(priorities.windows(2).all(|w| w[0] <= w[1]), "{priorities:?}");
    assert_eq!(priorities.first(), Some(&1));

    for sort in ["number", "-number", "-updated_at", "updated_at", "priority", "-priority", "created_at"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut query = vec![("sort", sort.to_string()), ("limit", "5".to_string())];
            if let Some(c) = &cursor {
                query.push(("cursor", c.clone()));
            }
            let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let page = api.get_query(&tok.agent, "/tickets", &query).await.expect(200).clone();
            let page_ids = ids(&page);
            assert!(page_ids.len() <= 5);
            seen.extend(page_ids);
            pages += 1;
            assert!(pages <= 3, "more pages than tickets allow for {sort}");
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "duplicates while paging by {sort}: {seen:?}");
        assert_eq!(unique, all, "paging by {sort} missed tickets");
        let whole = ids(api.get_query(&tok.agent, "/tickets", &[("sort", sort)]).await.expect(200));
        assert_eq!(seen, whole, "paging by {sort} is not the same order as one page");
    }

    let first = api.get(&tok.agent, "/tickets?sort=number&limit=5").await.expect(200).clone();
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    for bad in ["zzz", "6e6f7065", "abc|def"] {
        api.get_query(&tok.agent, "/tickets", &[("sort", "number"), ("cursor", bad)]).await.invalid("cursor");
    }
    api.get_query(&tok.agent, "/tickets", &[("sort", "-created_at"), ("cursor", &cursor)]).await.invalid("cursor");
    for sort in ["title", "-", "number,priority"] {
        api.get_query(&tok.agent, "/tickets", &[("sort", sort)]).await.invalid("sort");
    }
});

// ---------------------------------------------------------------------------------------------
// Organisation
// ---------------------------------------------------------------------------------------------

both_backends!(administrators_create_tenants_users_groups_locations_and_categories, |store| async move {
    let Env { api, w, tok } = start(&store).await;
    let tenant = api.post(&tok.admin, "/tenants", json!({ "code": "initech", "name": "英泰克 Initech" })).await;
    let tenant = tenant.expect(201).clone();
    assert_eq!(
        (tenant["code"].as_str(), tenant["kind"].as_str(), tenant["version"].as_i64()),
        (Some("INITECH"), Some("client"), Some(1))
    );
    let tenant_id = tenant["id"].as_i64().unwrap();

    let user = api
        .post(
            &tok.admin,
            "/users",
            json!({ "login": "li.lei", "name": "李雷", "role": "agent", "email": "li.lei@example.com",
                    "served_tenants": [tenant_id], "groups": [w.l1] }),
        )
        .await;
    let user = user.expect(201).clone();
    assert_eq!((user["login"].as_str(), user["role"].as_str()), (Some("li.lei"), Some("agent")));
    assert_eq!((user["served_tenants"].clone(), user["groups"].clone()), (json!([tenant_id]), json!([w.l1])));
    let user_id = user["id"].as_i64().unwrap();
    assert_eq!(api.get(&tok.admin, &format!("/users/{user_id}")).await.expect(200)["name"], "李雷");

    let group =
        api.post(&tok.admin, "/groups", json!({ "name": "Server team", "tier": 3, "members": [user_id] })).await;
    let group = group.expect(201).clone();
    assert_eq!((group["tier"].as_i64(), group["members"].clone()), (Some(3), json!([user_id])));
    let group_id = group["id"].as_i64().unwrap();

    let body = json!({ "tenant_id": tenant_id, "building": "B座", "floor": "2", "room": "201",
                       "responsible_group_id": group_id });
    let location = api.post(&tok.admin, "/locations", body).await;
    let location = location.expect(201).clone();
    assert_eq!(
        (location["tenant_id"].as_i64(), location["responsible_group_id"].as_i64()),
        (Some(tenant_id), Some(group_id))
    );

    let category = api
        .post(
            &tok.admin,
            "/categories",
            json!({ "code": "srv", "name_zh": "服务器", "name_en": "Servers", "parent_id": w.category }),
        )
        .await;
    let category = category.expect(201).clone();
    assert_eq!((category["code"].as_str(), category["parent_id"].as_i64()), (Some("SRV"), Some(w.category)));

    // All of it is listed, and the new agent's scope is the new tenant.
    let tenants = api.get(&tok.admin, "/tenants").await.expect(200).clone();
    assert!(ids(&tenants).contains(&tenant_id));
    assert!(ids(api.get(&tok.admin, "/groups").await.expect(200)).contains(&group_id));
    assert!(
        ids(api.get(&tok.admin, &format!("/locations?tenant_id={tenant_id}")).await.expect(200))
            == vec![location["id"].as_i64().unwrap()]
    );
    assert!(ids(api.get(&tok.agent, "/categories").await.expect(200)).contains(&category["id"].as_i64().unwrap()));
    let users = api.get(&tok.admin, "/users?role=agent&q=li").await.expect(200).clone();
    assert_eq!(ids(&users), vec![user_id]);
    let li_token = token_for(&store, user_id).await;
    let me = api.get(&li_token, "/me").await;
    assert_eq!(me.expect(200)["login"], "li.lei");
    assert_eq!(ids(api.get(&li_token, "/tenants").await.expect(200)), vec![tenant_id]);

    // Duplicates are refused and name their field; nothing is added.
    let count = ids(&tenants).len();
    for code in ["INITECH", "initech", " Initech "] {
        api.post(&tok.admin, "/tenants", json!({ "code": code, "name": "again" })).await.error(
            409,
            "duplicate",
            Some("code"),
        );
    }
    let taken = api.post(&tok.admin, "/users", json!({ "login": "LI.LEI", "name": "x", "role": "agent" })).await;
    taken.error(409, "duplicate", Some("login"));
    taken.reason("login_taken", &[]);
    assert_eq!(taken.json["error"]["message"], "login: this login is already taken");
    api.post(&tok.admin, "/tenants", json!({ "code": "bad code!", "name": "x" })).await.invalid("code");
    api.post(&tok.admin, "/tenants", json!({ "code": "X", "name": "x", "kind": "alien" })).await.invalid("kind");
    api.post(&tok.admin, "/users", json!({ "login": "x.y", "name": "x", "role": "end_user" }))
        .await
        .invalid("tenant_id");
    api.post(&tok.admin, "/groups", json!({ "name": "L9", "tier": 9 })).await.invalid("tier");
    api.post(&tok.admin, "/groups", json!({ "version": 1, "name": "x", "tier": 1 })).await.invalid("version");
    assert_eq!(ids(api.get(&tok.admin, "/tenants").await.expect(200)).len(), count);
});

both_backends!(organisation_changes_need_the_right_role_and_a_current_version, |store| async move {
    let Env { api, w, tok } = start(&store).await;
    let before = api.get(&tok.admin, "/tenants").await.expect(200).clone();

    api.post(&tok.agent, "/tenants", json!({ "code": "ROGUE", "name": "Rogue" })).await.error(403, "forbidden", None);
    api.post(&tok.user_a, "/tenants", json!({ "code": "ROGUE", "name": "Rogue" })).await.error(403, "forbidden", None);
    api.post(&tok.agent, "/users", json!({ "login": "rogue", "name": "Rogue", "role": "admin" })).await.error(
        403,
        "forbidden",
        None,
    );
    api.post(&tok.agent, "/groups", json!({ "name": "Rogue", "tier": 1 })).await.error(403, "forbidden", None);
    api.get(&tok.user_a, "/users").await.error(403, "forbidden", None);
    api.get(&tok.user_a, "/groups").await.error(403, "forbidden", None);
    assert_eq!(api.get(&tok.admin, "/tenants").await.expect(200), &before);
    // An end user still reads their own record; an agent sees only the tenants they serve.
    assert_eq!(api.get(&tok.user_a, &format!("/users/{}", w.user_a.user_id)).await.expect(200)["login"], "user.a");
    api.get(&tok.user_a, &format!("/users/{}", w.user_b.user_id)).await.error(404, "not_found", None);
    assert_eq!(ids(api.get(&tok.agent, "/tenants").await.expect(200)), vec![w.tenant_a]);
    api.get(&tok.agent, &format!("/tenants/{}", w.tenant_b)).await.error(404, "not_found", None);

    // Optimistic locking on every organisation record.
    let path = format!("/tenants/{}", w.tenant_a);
    let tenant = api.get(&tok.admin, &path).await.expect(200).clone();
    let renamed = api.patch(&tok.admin, &path, json!({ "version": tenant["version"], "name": "Acme Corp" })).await;
    assert_eq!((renamed.expect(200)["name"].as_str(), renamed.json["version"].as_i64()), (Some("Acme Corp"), Some(2)));
    api.patch(&tok.admin, &path, json!({ "version": tenant["version"], "name": "Lost update" })).await.error(
        409,
        "version_conflict",
        Some("version"),
    );
    api.patch(&tok.agent, &path, json!({ "version": 2, "name": "Agent's name" })).await.error(403, "forbidden", None);
    assert_eq!(api.get(&tok.admin, &path).await.expect(200), &renamed.json);

    let group_path = format!("/groups/{}", w.l2);
    let group = api.get(&tok.admin, &group_path).await.expect(200).clone();
    api.patch(&tok.admin, &group_path, json!({ "version": 99, "name": "x" })).await.error(
        409,
        "version_conflict",
        Some("version"),
    );
    api.patch(&tok.admin, &group_path, json!({ "name": "x" })).await.invalid("version");
    assert_eq!(api.get(&tok.admin, &group_path).await.expect(200), &group);

    let user_path = format!("/users/{}", w.engineer.user_id);
    let user = api.get(&tok.admin, &user_path).await.expect(200).clone();
    api.patch(&tok.admin, &user_path, json!({ "version": 99, "role": "admin" })).await.error(
        409,
        "version_conflict",
        Some("version"),
    );
    assert_eq!(api.get(&tok.admin, &user_path).await.expect(200), &user);

    let location_path = format!("/locations/{}", w.location_a);
    let location = api.get(&tok.admin, &location_path).await.expect(200).clone();
    api.patch(&tok.admin, &location_path, json!({ "version": 99, "room": "302" })).await.error(
        409,
        "version_conflict",
        Some("version"),
    );
    assert_eq!(api.get(&tok.admin, &location_path).await.expect(200), &location);

    let category_path = format!("/categories/{}", w.category);
    api.patch(&tok.admin, &category_path, json!({ "version": 99, "name_en": "x" })).await.error(
        409,
        "version_conflict",
        Some("version"),
    );
    api.patch(&tok.agent, &category_path, json!({ "version": 1, "name_en": "x" })).await.error(403, "forbidden", None);

    api.post(&tok.agent, &format!("/users/{}/password", w.user_a.user_id), json!({ "password": "new password" }))
        .await
        .error(403, "forbidden", None);
});

both_backends!(a_non_monotone_priority_matrix_is_refused_and_the_old_one_kept, |store| async move {
    let Env { api, tok, .. } = start(&store).await;
    let default = json!({ "cells": [[1, 1, 2, 3], [1, 2, 2, 3], [2, 2, 3, 4], [2, 3, 4, 4]] });
    assert_eq!(api.get(&tok.agent, "/priority-matrix").await.expect(200), &default);

    let upside_down = json!({ "cells": [[4, 4, 4, 4], [3, 3, 3, 3], [2, 2, 2, 2], [1, 1, 1, 1]] });
    api.put(&tok.admin, "/priority-matrix", upside_down).await.invalid("cells[1][0]");
    let sideways = json!({ "cells": [[1, 2, 1, 3], [1, 2, 2, 3], [2, 2, 3, 4], [2, 3, 4, 4]] });
    api.put(&tok.admin, "/priority-matrix", sideways).await.invalid("cells[0][2]");
    let out_of_range = json!({ "cells": [[0, 1, 2, 3], [1, 2, 2, 3], [2, 2, 3, 4], [2, 3, 4, 4]] });
    api.put(&tok.admin, "/priority-matrix", out_of_range).await.invalid("cells[0][0]");
    let short = json!({ "cells": [[1, 1, 2, 3], [1, 2, 2, 3], [2, 2, 3, 4]] });
    api.put(&tok.admin, "/priority-matrix", short).await.invalid("cells");
    let all_critical = json!({ "cells": [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]] });
    api.put(&tok.agent, "/priority-matrix", all_critical.clone()).await.error(403, "forbidden", None);
    assert_eq!(api.get(&tok.admin, "/priority-matrix").await.expect(200), &default);
    let t = api.create_ticket(&tok.user_a, json!({ "title": "x", "impact": 4, "urgency": 4 })).await;
    assert_eq!(t["priority"], 4);

    // A sound matrix is taken and used for new tickets.
    assert_eq!(api.put(&tok.admin, "/priority-matrix", all_critical.clone()).await.expect(200), &all_critical);
    assert_eq!(api.get(&tok.user_a, "/priority-matrix").await.expect(200), &all_critical);
    let t = api.create_ticket(&tok.user_a, json!({ "title": "y", "impact": 4, "urgency": 4 })).await;
    assert_eq!(t["priority"], 1);
});

// ---------------------------------------------------------------------------------------------
// Document, health and metrics
// ---------------------------------------------------------------------------------------------

both_backends!(every_refusal_answers_in_the_json_error_contract, |store| async move {
    let Env { api, tok, .. } = start(&store).await;
    let t = api.create_ticket(&tok.user_a, json!({ "title": "x" })).await;
    let id = t["id"].as_i64().unwrap();
    // Ids that are not numbers name nothing that exists.
    for path in ["/tenants/abc", "/users/1.5", "/groups/x", "/locations/-", &format!("/tickets/{id}/attachments/abc")] {
        api.get(&tok.admin, path).await.error(404, "not_found", None);
    }
    let del =
        api.send(Method::DELETE, api.v1(&format!("/tickets/{id}/links/abc")), Some(&tok.admin), Body::Empty).await;
    del.error(404, "not_found", None);
    api.patch(&tok.admin, "/tenants/abc", json!({ "version": 1 })).await.error(404, "not_found", None);
    // A known path with the wrong method.
    let wrong = api.send(Method::DELETE, api.v1("/tickets"), Some(&tok.admin), Body::Empty).await;
    wrong.error(405, "method_not_allowed", None);
    let wrong = api.send(Method::POST, api.v1(&format!("/tickets/{id}/timeline")), Some(&tok.admin), Body::Empty).await;
    wrong.error(405, "method_not_allowed", None);
    let wrong = api.send(Method::POST, api.root("/healthz"), None, Body::Empty).await;
    wrong.error(405, "method_not_allowed", None);
    // Uploads that are not multipart.
    let json_upload = br#"{"file": "x"}"#.to_vec();
    api.raw(Method::POST, &format!("/tickets/{id}/attachments"), &tok.user_a, "application/json", json_upload)
        .await
        .error(415, "unsupported_media_type", None);
    api.raw(
        Method::POST,
        &format!("/tickets/{id}/attachments"),
        &tok.user_a,
        "multipart/form-data; boundary=x",
        b"garbage".to_vec(),
    )
    .await
    .error(400, "malformed_request", None);
    // Query parameters of the wrong type name the parameter.
    api.get(&tok.admin, "/users?tenant_id=abc").await.error(400, "invalid_query", Some("tenant_id"));
    api.get(&tok.admin, "/users?active=perhaps").await.error(400, "invalid_query", Some("active"));
    api.get(&tok.admin, "/locations?building=A").await.error(400, "invalid_query", Some("building"));
    assert_eq!(api.get(&tok.agent, &format!("/tickets/{id}/attachments")).await.expect(200)["items"], json!([]));
});

both_backends!(health_reports_ok_when_the_database_answers, |store| async move {
    let Env { api, .. } = start(&store).await;
    let health = api.send(Method::GET, api.root("/healthz"), None, Body::Empty).await;
    assert_eq!(health.expect(200), &json!({ "status": "ok" }));
});

both_backends!(metrics_count_requests_by_route_template, |store| async move {
    let Env { api, tok, .. } = start(&store).await;
    api.send(Method::GET, api.root("/healthz"), None, Body::Empty).await;
    let t = api.create_ticket(&tok.user_a, json!({ "title": "x" })).await;
    api.ticket(&tok.user_a, t["id"].as_i64().unwrap()).await;
    api.get(&tok.user_a, "/tickets/424242").await.error(404, "not_found", None);

    let metrics = api.send(Method::GET, api.root("/metrics"), None, Body::Empty).await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.header("content-type").starts_with("text/plain"));
    let text = metrics.text();
    assert!(text.contains("# TYPE yunwei_http_requests_total counter"), "{text}");
    assert!(text.contains(r#"yunwei_http_requests_total{method="GET",route="/healthz",status="#), "{text}");
    assert!(
        text.contains(r#"yunwei_http_requests_total{method="POST",route="/api/v1/tickets",status="201"} 1"#),
        "{text}"
    );
    // Routes are counted by template, so ids do not become series of their own.
    assert!(text.contains(r#"route="/api/v1/tickets/{ticket}",status="200"} 1"#), "{text}");
    assert!(text.contains(r#"route="/api/v1/tickets/{ticket}",status="404"} 1"#), "{text}");
    assert!(!text.contains("424242"), "{text}");
    // On SQLite, the checkpoints run in the background are counted too.
    let sqlite = store.backend() == yunwei_db::Backend::Sqlite;
    assert_eq!(text.contains("# TYPE yunwei_sqlite_background_checkpoints_total counter"), sqlite, "{text}");
    // The SLA escalation scan runs at start and is counted with the time it took.
    let scans = |text: &str| {
        let line = text.lines().find(|l| l.starts_with("yunwei_sla_scan_duration_seconds_count "));
        line.and_then(|l| l.split(' ').nth(1)).and_then(|n| n.parse::<u64>().ok())
    };
    let mut text = text;
    for _ in 0..100 {
        if scans(&text).is_some_and(|n| n >= 1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        text = api.send(Method::GET, api.root("/metrics"), None, Body::Empty).await.text();
    }
    assert!(scans(&text).is_some_and(|n| n >= 1), "{text}");
    assert!(text.contains("# TYPE yunwei_sla_scan_duration_seconds summary"), "{text}");
    assert!(text.contains("yunwei_sla_thresholds_fired_total 0"), "nothing was due: {text}");
    assert!(text.contains("yunwei_sla_scan_failures_total 0"), "{text}");
    // The job queue: what this instance ran, and what waits across all of them.
    assert!(text.contains("# TYPE yunwei_jobs_total counter"), "{text}");
    assert!(text.contains("yunwei_jobs_total{outcome=\"failed\"} 0"), "{text}");
    assert!(text.contains("yunwei_jobs_queued 0"), "{text}");
});

// ---------------------------------------------------------------------------------------------
// SLA management
// ---------------------------------------------------------------------------------------------

both_backends!(administrators_define_calendars_and_policies_and_tickets_carry_their_clocks, |store| async move {
    let Env { api, w, tok } = start(&store).await;
    // A 09–12 / 13:30–18 calendar with a 调休 Saturday; careless input is named.
    let cal = json!({ "name": "医院 5×8", "time_zone": "Asia/Shanghai",
        "hours": { "monday": ["09:00-12:00", "13:30-18:00"], "tuesday": ["09:00-12:00", "13:30-18:00"],
                   "wednesday": ["09:00-12:00", "13:30-18:00"], "thursday": ["09:00-12:00", "13:30-18:00"],
                   "friday": ["09:00-12:00", "13:30-18:00"] },
        "holidays": ["2026-10-01"], "make_up_days": ["2026-09-27"] });
    let mut bad = cal.clone();
    bad["time_zone"] = json!("Mars/Olympus");
    api.post(&tok.admin, "/calendars", bad).await.invalid("time_zone");
    let mut bad = cal.clone();
    bad["hours"]["funday"] = json!(["09:00-12:00"]);
    api.post(&tok.admin, "/calendars", bad).await.invalid("hours.funday");
    let mut bad = cal.clone();
    bad["hours"]["monday"] = json!(["09:00-12:00", "11:00-13:00"]);
    assert_eq!(api.post(&tok.admin, "/calendars", bad).await.status, 422);
    api.post(&tok.agent, "/calendars", cal.clone()).await.error(403, "forbidden", None);
    let created = api.post(&tok.admin, "/calendars", cal).await.expect(201).clone();
    let calendar_id = created["id"].as_i64().unwrap();

    let policy = json!({ "name": "Acme standard", "tenant_id": w.tenant_a, "calendar_id": calendar_id,
        "targets_minutes": { "response": [15, 30, 60, 120], "resolution": [240, 480, 960, 2400] },
        "thresholds": [50, 75] });
    let mut bad = policy.clone();
    bad["targets_minutes"]["response"] = json!([600, 30, 60, 120]);
    api.post(&tok.admin, "/sla-policies", bad).await.invalid("targets.response[0]");
    let mut bad = policy.clone();
    bad["thresholds"] = json!([50, 120]);
    api.post(&tok.admin, "/sla-policies", bad).await.invalid("thresholds");
    let p = api.post(&tok.admin, "/sla-policies", policy).await.expect(201).clone();
    assert_eq!(p["targets_minutes"]["resolution"][3], 2400);

    // A new ticket of tenant A runs under it; its clocks and due instants are visible.
    let t = api.create_ticket(&tok.user_a, json!({ "title": "收费系统打印机卡纸" })).await;
    let number = t["number"].as_str().unwrap();
    let clocks = api.get(&tok.agent, &format!("/tickets/{number}/sla")).await.expect(200).clone();
    let items = clocks["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|c| c["policy_id"] == p["id"] && c["calendar_name"] == "医院 5×8"));
    assert!(t["resolution_due_at"].is_string());
    // The end user sees their own ticket's clocks; another tenant's user gets 404.
    api.get(&tok.user_a, &format!("/tickets/{number}/sla")).await.expect(200);
    api.get(&tok.user_b, &format!("/tickets/{number}/sla")).await.error(404, "not_found", None);

    // Compliance: staff only; the open ticket counts as open and, within 800 hours, as coming
    // due (16 business hours can take over 100 wall-clock hours from a Thursday night).
    let report = api.get_query(&tok.admin, "/reports/sla", &[("group_by", "tenant"), ("within_hours", "800")]).await;
    let rows = report.expect(200)["items"].as_array().unwrap().clone();
    let resolution = rows.iter().find(|r| r["clock"] == "resolution" && r["key"] == w.tenant_a).unwrap();
    assert_eq!((resolution["total"].as_i64(), resolution["open"].as_i64()), (Some(1), Some(1)));
    assert_eq!(resolution["breaching_soon"], 1);
    assert!(resolution["compliance_pct"].is_null(), "nothing has finished yet");
    api.get(&tok.user_a, "/reports/sla").await.error(403, "forbidden", None);
    api.get_query(&tok.admin, "/reports/sla", &[("group_by", "colour")]).await.invalid("group_by");
    api.get_query(&tok.admin, "/reports/sla", &[("from", "yesterday")]).await.invalid("from");
    let soon = api.get_query(&tok.agent, "/sla/breaching-soon", &[("within_hours", "800")]).await;
    assert_eq!(soon.expect(200)["items"][0]["ticket_id"], t["id"]);

    // Changing the policy (stale version refused) recomputes the open clock, right after the
    // change commits, in the server's background job.
    let stale = json!({ "version": 0, "name": "x" });
    api.patch(&tok.admin, &format!("/sla-policies/{}", p["id"]), stale).await.error(
        409,
        "version_conflict",
        Some("version"),
    );
    let change = json!({ "version": p["version"], "targets_minutes": { "response": [15, 30, 60, 120], "resolution": [240, 480, 1920, 4800] } });
    api.patch(&tok.admin, &format!("/sla-policies/{}", p["id"]), change).await.expect(200);
    let started = std::time::Instant::now();
    let target = loop {
        let after = api.get(&tok.agent, &format!("/tickets/{number}/sla")).await.expect(200).clone();
        let resolution = after["items"].as_array().unwrap().iter().find(|c| c["kind"] == "resolution").unwrap().clone();
        if resolution["target_secs"] == 1920 * 60 || started.elapsed() > std::time::Duration::from_secs(10) {
            break resolution["target_secs"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(target, 1920 * 60, "the P3 target changed");

    // Notifications are the caller's own; an unknown one is 404.
    let mine = api.get(&tok.agent, "/notifications").await.expect(200).clone();
    assert!(mine["items"].as_array().unwrap().is_empty());
    api.post(&tok.agent, "/notifications/999/read", json!({})).await.error(404, "not_found", None);

    // A breach tells the assignee: queued in the scan's transaction, delivered by the server's
    // job runner, stored as a kind and arguments and worded in the reader's own language.
    let cur = api.get(&tok.agent, &format!("/tickets/{number}")).await.expect(200).clone();
    let to_agent = json!({ "version": cur["version"], "group_id": w.l1, "assignee_id": w.agent.user_id });
    api.post(&tok.agent, &format!("/tickets/{number}/dispatch"), to_agent).await.expect(200);
    let mut tx = store.write().await.unwrap();
    let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 400);
    assert!(yunwei_desk::store::sla::fire_due(&mut tx, later, 100).await.unwrap() > 0);
    tx.commit().await.unwrap();
    yunwei_db::jobs::wake();
    let started = std::time::Instant::now();
    let items = loop {
        let mine = api.get(&tok.agent, "/notifications").await.expect(200).clone();
        let items = mine["items"].as_array().unwrap().clone();
        if !items.is_empty() || started.elapsed() > std::time::Duration::from_secs(10) {
            break items;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let breach = items.iter().find(|n| n["kind"] == "sla.breach").expect("a breach notice").clone();
    assert_eq!(breach["ticket_id"], t["id"]);
    assert_eq!(breach["subject"], json!({ "kind": "ticket", "id": t["id"] }));
    assert_eq!(breach["args"]["number"], number);
    let zh = breach["text"].as_str().unwrap().to_string();
    assert!(zh.contains(number) && zh.contains("已超时，超出服务级别"), "{zh}");
    let me = api.get(&tok.agent, "/me").await.expect(200).clone();
    let english = json!({ "version": me["version"], "locale": "en" });
    api.patch(&tok.admin, &format!("/users/{}", w.agent.user_id), english).await.expect(200);
    let mine = api.get(&tok.agent, "/notifications").await.expect(200).clone();
    let en = mine["items"].as_array().unwrap().iter().find(|n| n["id"] == breach["id"]).unwrap()["text"].clone();
    let en = en.as_str().unwrap();
    assert!(en.contains(number) && en.contains("target breached") && !en.contains('{'), "{en}");
    // Only the reader marks it read.
    let read = format!("/notifications/{}/read", breach["id"]);
    api.send(Method::POST, api.v1(&read), Some(&tok.user_a), Body::Empty).await.error(404, "not_found", None);
    api.send(Method::POST, api.v1(&read), Some(&tok.agent), Body::Empty).await.expect(204);
    let unread = api.get_query(&tok.agent, "/notifications", &[("unread", "true")]).await.expect(200).clone();
    assert!(unread["items"].as_array().unwrap().iter().all(|n| n["id"] != breach["id"]));
});

both_backends!(group_olas_arrival_on_site_and_clock_history_through_the_api, |store| async move {
    let Env { api, w, tok } = start(&store).await;
    let all_day: serde_json::Map<String, Value> =
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
            .iter()
            .map(|d| (d.to_string(), json!(["00:00-24:00"])))
            .collect();
    let cal = json!({ "name": "7×24", "time_zone": "Asia/Shanghai", "hours": all_day });
    let cal = api.post(&tok.admin, "/calendars", cal).await.expect(201)["id"].clone();
    let sla = json!({ "name": "On-site service", "tenant_id": w.tenant_a, "calendar_id": cal,
        "targets_minutes": { "response": [30, 30, 30, 30], "resolution": [480, 480, 480, 480], "on_site": [120, 120, 120, 120] } });
    api.post(&tok.admin, "/sla-policies", sla).await.expect(201);
    // An OLA is a policy for a support group, with only group hold times.
    let ola = json!({ "name": "L1 hold", "group_id": w.l1, "calendar_id": cal, "targets_minutes": { "ola": [60, 60, 60, 60] } });
    let mut bad = ola.clone();
    bad["targets_minutes"]["resolution"] = json!([60, 60, 60, 60]);
    api.post(&tok.admin, "/sla-policies", bad).await.invalid("targets.resolution[0]");
    let mut bad = ola.clone();
    bad["group_id"] = json!(424_242);
    api.post(&tok.admin, "/sla-policies", bad).await.invalid("group_id");
    api.post(&tok.agent, "/sla-policies", ola.clone()).await.error(403, "forbidden", None);
    let p = api.post(&tok.admin, "/sla-policies", ola).await.expect(201).clone();
    assert_eq!((p["group_id"].as_i64(), p["targets_minutes"]["ola"][0].as_i64()), (Some(w.l1), Some(60)));

    let t = api.create_ticket(&tok.user_a, json!({ "title": "3楼打印机不出纸" })).await;
    let t = api.acted(&tok.agent, &t, "dispatch", json!({ "group_id": w.l1, "assignee_id": w.agent.user_id })).await;
    api.act(&tok.agent, &t, "arrive", json!({ "reason": "here" })).await.invalid("reason");
    api.act(&tok.user_a, &t, "arrive", json!({})).await.error(403, "forbidden", None);
    let t = api.acted(&tok.agent, &t, "arrive", json!({})).await;
    assert_eq!(t["status"], "in_progress");
    assert!(t["arrived_at"].is_string(), "{t}");
    api.act(&tok.agent, &t, "arrive", json!({})).await.invalid("arrived_at");

    let clocks = api.get(&tok.agent, &format!("/tickets/{}/sla", t["id"])).await.expect(200)["items"].clone();
    let by_kind = |k: &str| clocks.as_array().unwrap().iter().find(|c| c["kind"] == k).unwrap().clone();
    assert_eq!(by_kind("on_site")["status"], "met");
    assert_eq!(by_kind("ola")["group_id"].as_i64(), Some(w.l1));
    assert_eq!(by_kind("ola")["status"], "running");
    let on_site = by_kind("on_site");
    let history: Vec<&str> =
        on_site["history"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(history, ["started", "stopped"]);
    // The requester sees the ticket's own clocks, not the provider's internal OLA.
    let theirs = api.get(&tok.user_a, &format!("/tickets/{}/sla", t["id"])).await.expect(200)["items"].clone();
    assert!(theirs.as_array().unwrap().iter().all(|c| c["kind"] != "ola"), "{theirs}");
    assert_eq!(theirs.as_array().unwrap().len(), 3);
});
