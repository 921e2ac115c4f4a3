//! Importing and exporting assets, and stock-take scans from a file, through the API on SQLite
//! and PostgreSQL (every answer held against the OpenAPI document), and the import page and
//! the stock-take page's file form through the harness's browser in both languages.

use reqwest::Method;
use serde_json::Value;
use yunwei_assets::testing::World;
use yunwei_contract::client::{Api, Reply};
use yunwei_db::both_backends;
use yunwei_db::testing::TestStore;

struct Env {
    api: Api,
    w: World,
    base: String,
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

async fn start(store: &TestStore) -> Env {
    let w = World::build(store).await;
    let admin = token_for(store, w.admin.user_id).await;
    let manager = token_for(store, w.manager_a.user_id).await;
    let agent = token_for(store, w.agent_a.user_id).await;
    let user = token_for(store, w.user_a.user_id).await;
    let base = yunwei_web::testing::serve(store, crate::MODULES).await;
    Env { api: Api::connect(base.clone()).await, w, base, admin, manager, agent, user }
}

/// The file as Excel on Chinese Windows saves "CSV (逗号分隔)": GBK.
fn gbk(text: &str) -> Vec<u8> {
    yunwei_sheet::encode_gbk(text).unwrap()
}

async fn import(api: &Api, token: &str, tenant: i64, dry_run: bool, name: &str, file: Vec<u8>) -> Reply {
    let path = format!("/assets/import?tenant_id={tenant}&dry_run={dry_run}&file_name={name}");
    api.raw(Method::POST, &path, token, "application/octet-stream", file).await
}

fn verdicts(report: &Value) -> Vec<(i64, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["verdict"].as_str().unwrap().to_string()))
        .collect()
}

/// The first error of a report: (line, column header, cell, field, reason).
fn first_error(report: &Value) -> (i64, String, String, String, String) {
    let row = report["results"].as_array().unwrap().iter().find(|r| r["verdict"] == "error").expect("an error row");
    let e = &row["error"];
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    (row["line"].as_i64().unwrap(), s(&e["header"]), s(&e["cell"]), s(&e["field"]), s(&e["reason"]))
}

async fn count_assets(store: &TestStore) -> i64 {
    let mut tx = store.read().await.unwrap();
    scalar!(&mut tx, i64, "SELECT COUNT(*) FROM assets").unwrap()
}

async fn asset_by_tag(api: &Api, token: &str, tag: &str) -> Value {
    let page = api.get_query(token, "/assets", &[("q", tag)]).await.expect(200).clone();
    page["items"].as_array().unwrap().iter().find(|a| a["tag"] == tag).cloned().unwrap_or(Value::Null)
}

const REGISTER: &str = "资产标签,序列号,名称,型号,状态,位置,购买日期,价格,供应商,保修截止,使用人\r\n\
PC-001,SN-001,财务部笔记本,ThinkPad X1,在用,1号楼 / 2 / 10,2024/3/1,\"8,999.00\",联想,2027/6/30,user.a\r\n\
,SN-002,备用显示器,Dell U2723,在库,1号楼 / 2 / 10,,1299,戴尔,,\r\n\
PC-003,SN-003,旧打印机,HP M404,已退役,,,,,,\r\n";

both_backends!(
    a_gbk_csv_with_chinese_headers_is_checked_imported_and_its_export_imports_again_unchanged,
    |store| async move {
        let Env { api, w, manager, .. } = start(&store).await;
        let file = gbk(REGISTER);
        let dry = import(&api, &manager, w.tenant_a, true, "资产.csv", file.clone()).await.expect(200).clone();
        assert_eq!(verdicts(&dry), [(2, "insert".into()), (3, "insert".into()), (4, "insert".into())], "{dry}");
        assert_eq!(
            (dry["applied"].as_bool(), dry["dry_run"].as_bool(), dry["kind"].as_str()),
            (Some(false), Some(true), Some("assets"))
        );
        assert!(dry["summary"].as_str().unwrap().contains("尚未保存"), "worded in the viewer's language: {dry}");
        assert_eq!(count_assets(&store).await, 0, "a dry run stores nothing");

        let done = import(&api, &manager, w.tenant_a, false, "资产.csv", file).await.expect(200).clone();
        assert_eq!(
            (done["applied"].as_bool(), done["inserted"].as_i64(), done["errors"].as_i64()),
            (Some(true), Some(3), Some(0)),
            "{done}"
        );
        let pc = asset_by_tag(&api, &manager, "PC-001").await;
        assert_eq!((pc["name"].as_str(), pc["status"].as_str()), (Some("财务部笔记本"), Some("deployed")));
        assert_eq!(
            (pc["serial"].as_str(), pc["model"].as_str(), pc["vendor"].as_str()),
            (Some("SN-001"), Some("ThinkPad X1"), Some("联想"))
        );
        assert_eq!((pc["location_id"].as_i64(), pc["user_id"].as_i64()), (Some(w.room_a), Some(w.user_a.user_id)));
        assert_eq!(
            (pc["purchase_date"].as_str(), pc["warranty_end"].as_str(), pc["cost_cents"].as_i64()),
            (Some("2024-03-01"), Some("2027-06-30"), Some(899_900))
        );
        // A row without a tag got one from the tag rule (the location's numbers).
        let monitor = api.get_query(&manager, "/assets", &[("q", "SN-002")]).await.expect(200)["items"][0].clone();
        assert_eq!((monitor["tag"].as_str(), monitor["status"].as_str()), (Some("D010210-001"), Some("in_stock")));
        // An insert may arrive retired: reached through the lifecycle, as its history shows.
        let printer = asset_by_tag(&api, &manager, "PC-003").await;
        assert_eq!(printer["status"], "retired");
        let history = api.get(&manager, &format!("/assets/{}/history", printer["id"])).await.expect(200).clone();
        let kinds: Vec<&str> =
            history["items"].as_array().unwrap().iter().map(|h| h["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["transition", "created"], "written through the store: history kept");

        // Export, then import the export: nothing changes, in CSV and in xlsx.
        for format in ["csv", "xlsx"] {
            let q = [("format", format), ("tenant_id", &w.tenant_a.to_string())];
            let file = api.get_query(&manager, "/assets/export", &q).await;
            file.expect(200);
            assert!(file.header("content-disposition").contains(&format!("assets.{format}")));
            if format == "csv" {
                assert!(file.bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM, so Excel reads the Chinese right");
                assert!(
                    file.text().starts_with("\u{feff}单位,资产标签,序列号,名称,型号,状态,位置,"),
                    "{}",
                    file.text()
                );
                assert!(
                    file.text().contains(
                        "ACME,PC-001,SN-001,财务部笔记本,ThinkPad X1,在用,1号楼 / 2 / 10,2024-03-01,8999.00,CNY,联想,"
                    ),
                    "{}",
                    file.text()
                );
            }
            let again = import(&api, &manager, w.tenant_a, false, &format!("export.{format}"), file.bytes.clone())
                .await
                .expect(200)
                .clone();
            assert_eq!(again["unchanged"].as_i64(), Some(3), "{again}");
            assert_eq!(
                (again["inserted"].as_i64(), again["updated"].as_i64(), again["errors"].as_i64()),
                (Some(0), Some(0), Some(0))
            );
        }
        // The list's filters hold: deployed only.
        let only = api.get_query(&manager, "/assets/export", &[("status", "deployed")]).await;
        let text = only.text();
        assert!(text.contains("PC-001") && !text.contains("PC-003"), "{text}");
        // English headers for an English reader.
        let mut tx = store.write().await.unwrap();
        execute!(&mut tx, "UPDATE users SET locale = 'en' WHERE id = $1", w.manager_a.user_id).unwrap();
        tx.commit().await.unwrap();
        let en = api.get_query(&manager, "/assets/export", &[("format", "csv")]).await;
        assert!(
            en.text().starts_with("\u{feff}Organisation,Asset tag,Serial number,Name,Model,Status,Location,"),
            "{}",
            en.text()
        );
        assert!(en.text().contains(",Deployed,"), "{}", en.text());
        assert_eq!(count_assets(&store).await, 3);
    }
);

both_backends!(rows_update_stay_unchanged_or_insert_and_one_bad_row_stores_nothing, |store| async move {
    let Env { api, w, manager, admin, .. } = start(&store).await;
    let seed = "tag,serial,name,status\nA-1,S-1,Laptop one,in_stock\nA-2,S-2,Laptop two,deployed\nA-3,S-3,Laptop three,deployed\n";
    import(&api, &manager, w.tenant_a, false, "seed.csv", seed.as_bytes().to_vec()).await.expect(200);

    // By tag, by serial number alone, unchanged, new; then an illegal move on line 6.
    let file = "Asset tag,Serial number,Name,Status,Cost\n\
        A-1,,Laptop one (renamed),deployed,\n\
        ,S-2,Laptop two,,\n\
        A-9,S-9,New laptop,,100\n\
        A-3,,,ordered,\n";
    let dry = import(&api, &admin, w.tenant_a, true, "f.csv", file.as_bytes().to_vec()).await.expect(200).clone();
    assert_eq!(
        verdicts(&dry),
        [(2, "update".into()), (3, "unchanged".into()), (4, "insert".into()), (5, "error".into())],
        "{dry}"
    );
    assert_eq!(dry["results"][0]["changes"], serde_json::json!(["name", "status"]));
    let (line, header, cell, field, reason) = first_error(&dry);
    assert_eq!(
        (line, header.as_str(), cell.as_str(), field.as_str(), reason.as_str()),
        (5, "Status", "D5", "status", "asset_status_not_allowed")
    );
    let message = dry["results"][3]["error"]["message"].as_str().unwrap();
    assert!(message.contains("“在用”") && message.contains("“已订购”"), "the states in words: {message}");
    let applied = import(&api, &admin, w.tenant_a, false, "f.csv", file.as_bytes().to_vec()).await.expect(200).clone();
    assert_eq!((applied["applied"].as_bool(), applied["errors"].as_i64()), (Some(false), Some(1)));
    assert!(applied["summary"].as_str().unwrap().contains("未导入"), "{applied}");
    assert_eq!(asset_by_tag(&api, &manager, "A-1").await["name"], "Laptop one", "nothing stored");
    assert_eq!(count_assets(&store).await, 3);

    // Without the bad row it applies, the move a lifecycle move.
    let good: String = file.lines().take(4).map(|l| format!("{l}\n")).collect();
    let done = import(&api, &admin, w.tenant_a, false, "g.csv", good.into_bytes()).await.expect(200).clone();
    assert_eq!(
        (done["applied"].as_bool(), done["updated"].as_i64(), done["inserted"].as_i64()),
        (Some(true), Some(1), Some(1)),
        "{done}"
    );
    let a1 = asset_by_tag(&api, &manager, "A-1").await;
    assert_eq!((a1["name"].as_str(), a1["status"].as_str()), (Some("Laptop one (renamed)"), Some("deployed")));

    // A key repeated in the file names the earlier line; a tag whose serial contradicts, the serial.
    let twice = "tag,serial,name\nA-5,S-5,x\nA-6,S-5,y\n";
    let r = import(&api, &manager, w.tenant_a, true, "t.csv", twice.as_bytes().to_vec()).await.expect(200).clone();
    let (line, _, cell, _, reason) = first_error(&r);
    assert_eq!((line, cell.as_str(), reason.as_str()), (3, "B3", "key_repeated_in_file"));
    assert_eq!(r["results"][1]["error"]["args"]["line"], "2");
    let conflict = "tag,serial\nA-1,S-OTHER\n";
    let r = import(&api, &manager, w.tenant_a, true, "c.csv", conflict.as_bytes().to_vec()).await.expect(200).clone();
    assert_eq!(first_error(&r).4, "asset_serial_conflict");
    assert_eq!(first_error(&r).2, "B2");
    // A row with neither key; a bad date; an unknown login; an unknown column.
    let bad = "tag,serial,name,warranty_end,user\n,,nameless,,\nA-7,,x,2027-02-30,\nA-8,,y,,nobody\n";
    let r = import(&api, &manager, w.tenant_a, true, "b.csv", bad.as_bytes().to_vec()).await.expect(200).clone();
    let reasons: Vec<&str> =
        r["results"].as_array().unwrap().iter().map(|r| r["error"]["reason"].as_str().unwrap_or("")).collect();
    assert_eq!(reasons, ["asset_key_missing", "not_a_date", "asset_no_such_login"], "{r}");
    assert_eq!(r["results"][1]["error"]["cell"], "D3");
    let r =
        import(&api, &manager, w.tenant_a, true, "h.csv", b"tag,colour\nA-1,red\n".to_vec()).await.expect(200).clone();
    assert_eq!(
        (first_error(&r).0, first_error(&r).2.as_str(), first_error(&r).4.as_str()),
        (1, "B1", "unknown_column")
    );
    assert_eq!(count_assets(&store).await, 4);
});

both_backends!(an_xlsx_workbook_imports_and_an_unreadable_file_is_refused, |store| async move {
    let Env { api, w, manager, .. } = start(&store).await;
    let rows = vec![vec!["X-1".to_string(), "Switch".to_string(), "ordered".to_string(), "2026-01-15".to_string()]];
    let book = yunwei_sheet::write_xlsx("Assets", &["Asset tag", "Name", "Status", "Purchase date"], &rows).unwrap();
    let done = import(&api, &manager, w.tenant_a, false, "assets.xlsx", book).await.expect(200).clone();
    assert_eq!((done["applied"].as_bool(), done["inserted"].as_i64()), (Some(true), Some(1)), "{done}");
    let x = asset_by_tag(&api, &manager, "X-1").await;
    assert_eq!((x["status"].as_str(), x["purchase_date"].as_str()), (Some("ordered"), Some("2026-01-15")));
    let empty = import(&api, &manager, w.tenant_a, false, "empty.csv", Vec::new()).await;
    empty.invalid("file");
    empty.reason("sheet_empty", &[]);
    // Larger than an ordinary request body (2 MB) is read; over the CMDB's limit is 413.
    let big = format!("tag,name\n{},x\n", "A".repeat(3_000_000));
    let r = import(&api, &manager, w.tenant_a, true, "big.csv", big.into_bytes()).await.expect(200).clone();
    assert_eq!(r["errors"], 1, "a 3 MB file is read, its one row refused");
    let huge = vec![b'a'; yunwei_sheet::MAX_BYTES + 1];
    import(&api, &manager, w.tenant_a, false, "huge.csv", huge.clone()).await.error(413, "too_large", None);
    let st = api.post(&manager, "/stock-takes", serde_json::json!({"tenant_id": w.tenant_a})).await.expect(201).clone();
    let path = format!("/stock-takes/{}/scans/import", st["stock_take"]["id"]);
    api.raw(Method::POST, &path, &manager, "text/csv", huge).await.error(413, "too_large", None);
    assert_eq!(count_assets(&store).await, 1);
});

both_backends!(another_tenants_assets_are_never_matched_and_outsiders_are_refused, |store| async move {
    let Env { api, w, manager, admin, agent, user, .. } = start(&store).await;
    let b_file = "tag,serial,name\nB-1,SN-B,Globex server\n";
    import(&api, &admin, w.tenant_b, false, "b.csv", b_file.as_bytes().to_vec()).await.expect(200);
    // The asset manager of tenant A may not import into B: refused as the CMDB refuses it.
    let r = import(&api, &manager, w.tenant_b, true, "b.csv", b_file.as_bytes().to_vec()).await;
    r.invalid("tenant_id");
    r.reason("no_such_tenant", &[("id", &w.tenant_b.to_string())]);
    // B's tag in A's file is not B's asset: the tag is taken, nothing of B's changes.
    let r = import(&api, &manager, w.tenant_a, false, "a.csv", "tag,name\nB-1,Stolen\n".as_bytes().to_vec())
        .await
        .expect(200)
        .clone();
    assert_eq!((r["applied"].as_bool(), first_error(&r).4.as_str()), (Some(false), "asset_tag_taken"), "{r}");
    // B's serial number in A's file is a new asset of A.
    let r = import(
        &api,
        &manager,
        w.tenant_a,
        false,
        "a.csv",
        "serial,name,location\nSN-B,Own server,1号楼 / 2 / 10\n".as_bytes().to_vec(),
    )
    .await
    .expect(200)
    .clone();
    assert_eq!(verdicts(&r), [(2, "insert".into())], "{r}");
    let b1 = asset_by_tag(&api, &admin, "B-1").await;
    assert_eq!(
        (b1["name"].as_str(), b1["tenant_id"].as_i64(), b1["version"].as_i64()),
        (Some("Globex server"), Some(w.tenant_b), Some(1))
    );
    // A file naming the other organisation in its tenant column is refused row by row.
    let r = import(&api, &admin, w.tenant_a, true, "a.csv", "单位,资产标签,名称\nGLOBEX,Z-1,x\n".as_bytes().to_vec())
        .await
        .expect(200)
        .clone();
    assert_eq!(first_error(&r).4, "tenant_mismatch");
    // People who do not manage assets: 403.
    for token in [&agent, &user] {
        import(&api, token, w.tenant_a, true, "a.csv", b_file.as_bytes().to_vec()).await.error(403, "forbidden", None);
    }
    // An end user's export holds only what is theirs (nothing here); B's asset is not in A's manager's.
    let mine = api.get_query(&manager, "/assets/export", &[]).await;
    assert!(!mine.text().contains("B-1"), "{}", mine.text());
    api.get_query(&manager, "/assets/export", &[("format", "pdf")]).await.invalid("format");
    assert_eq!(count_assets(&store).await, 2);
});

async fn scans(api: &Api, token: &str, id: i64, text: &str) -> Reply {
    api.raw(
        Method::POST,
        &format!("/stock-takes/{id}/scans/import?file_name=s.csv"),
        token,
        "text/csv",
        text.as_bytes().to_vec(),
    )
    .await
}

both_backends!(a_file_of_scans_records_each_line_and_a_locked_stock_take_refuses_it, |store| async move {
    let Env { api, w, manager, admin, .. } = start(&store).await;
    let seed = "tag,serial,name,location\nT-1,S-1,one,1号楼 / 2 / 10\nT-2,S-2,two,1号楼 / 2 / 10\nT-3,S-3,three,1号楼 / 2 / 10\n";
    import(&api, &manager, w.tenant_a, false, "seed.csv", seed.as_bytes().to_vec()).await.expect(200);
    let st = api
        .post(&manager, "/stock-takes", serde_json::json!({"tenant_id": w.tenant_a, "location_id": w.room_a}))
        .await
        .expect(201)
        .clone();
    let id = st["stock_take"]["id"].as_i64().unwrap();

    // A bad location on one line: nothing recorded.
    let bad = "code,location\nT-1,\nT-2,nowhere\n";
    let r = scans(&api, &manager, id, bad).await.expect(200).clone();
    assert_eq!((r["applied"].as_bool(), r["errors"].as_i64()), (Some(false), Some(1)), "{r}");
    assert_eq!((r["results"][1]["line"].as_i64(), r["results"][1]["error"]["cell"].as_str()), (Some(3), Some("B3")));
    assert_eq!(r["results"][1]["error"]["reason"], "location_not_found");
    let d = api.get(&manager, &format!("/stock-takes/{id}")).await.expect(200).clone();
    assert_eq!(d["counts"]["found"], 0, "nothing recorded: {d}");

    // Found by tag, the same tag again (a warning), by serial elsewhere (moved), an unknown tag.
    let file = "标签或序列号,位置\nT-1,\nT-1,\nS-2,1号楼 / 3 / 5\nNO-SUCH-TAG,\n";
    let r = scans(&api, &manager, id, file).await.expect(200).clone();
    assert_eq!(r["applied"], true, "{r}");
    let outcomes: Vec<(String, bool)> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["outcome"].as_str().unwrap_or("").to_string(), l["repeat"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [("found".into(), false), ("found".into(), true), ("moved".into(), false), ("unexpected".into(), false)]
    );
    assert_eq!(r["results"][1]["warning"], "already_scanned");
    assert_eq!(
        (r["found"].as_i64(), r["moved"].as_i64(), r["unexpected"].as_i64(), r["repeated"].as_i64()),
        (Some(1), Some(1), Some(1), Some(1))
    );
    assert_eq!((r["counts"]["pending"].as_i64(), r["counts"]["unexpected"].as_i64()), (Some(1), Some(1)));
    assert!(r["summary"].as_str().unwrap().contains("已记录 4 次扫描"), "{r}");

    // Another tenant's stock-take and an unknown one: 404; applied: the single scan's refusal.
    let other =
        api.post(&admin, "/stock-takes", serde_json::json!({"tenant_id": w.tenant_b})).await.expect(201).clone();
    let other_id = other["stock_take"]["id"].as_i64().unwrap();
    scans(&api, &manager, other_id, "code\nT-1\n").await.error(404, "not_found", None);
    scans(&api, &manager, 999_999, "code\nT-1\n").await.error(404, "not_found", None);
    let path = api.v1(&format!("/stock-takes/{id}/apply"));
    api.send(Method::POST, path, Some(&manager), yunwei_contract::client::Body::Empty).await.expect(200);
    let single =
        api.post(&manager, &format!("/stock-takes/{id}/scans"), serde_json::json!({"tag_or_serial": "T-3"})).await;
    single.error(409, "illegal_transition", Some("status"));
    let file = scans(&api, &manager, id, "code\nT-3\n").await;
    file.error(409, "illegal_transition", Some("status"));
    assert_eq!(file.json["error"]["reason"], single.json["error"]["reason"]);
});

const PASSWORD: &str = "correct horse battery";

async fn with_passwords(store: &TestStore, w: &World) {
    let password = yunwei_db::identity::HashedPassword::new(PASSWORD).await.expect("hash");
    let mut tx = store.write().await.unwrap();
    for a in [&w.admin, &w.manager_a, &w.agent_a] {
        yunwei_org::users::set_password(&mut tx, None, a.user_id, &password).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// A multipart form as a browser posts it: the fields, then the file.
fn multipart(boundary: &str, fields: &[(&str, String)], file_name: &str, file: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(file);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

async fn upload(
    b: &mut yunwei_web::testing::Browser,
    base: &str,
    path: &str,
    fields: &[(&str, String)],
    name: &str,
    file: &[u8],
) -> yunwei_web::testing::Page {
    let boundary = "yunwei-test-boundary";
    let req = b
        .client
        .post(format!("{base}{path}"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(multipart(boundary, fields, name, file));
    b.send(req).await
}

fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker).map(|i| i + marker.len()).expect("the field");
    body[start..].split('"').next().unwrap().to_string()
}

both_backends!(the_import_page_checks_then_applies_a_file_in_either_language, |store| async move {
    let Env { w, base, .. } = start(&store).await;
    with_passwords(&store, &w).await;
    let mut b = yunwei_web::testing::Browser::new(&base, "zh-CN");
    b.login("assets.a", PASSWORD).await;
    let list = b.get("/assets").await;
    list.expect(200);
    for link in ["link-import", "link-export-csv", "link-export-xlsx"] {
        assert!(list.body.contains(&format!("id=\"{link}\"")), "the list links {link}");
    }
    let filtered = b.get("/assets?status=deployed&q=%E7%AC%94").await;
    assert!(
        filtered.body.contains("/assets/export?format=csv&#38;q=%E7%AC%94&#38;status=deployed\""),
        "{}",
        filtered.body
    );
    let form = b.get("/assets/import").await;
    form.expect(200);
    assert!(form.body.contains("导入资产") && form.body.contains("enctype=\"multipart/form-data\""));

    let fields = [("csrf", form.csrf()), ("mode", "check".into()), ("tenant_id", w.tenant_a.to_string())];
    let checked = upload(&mut b, &base, "/assets/import", &fields, "资产.csv", &gbk(REGISTER)).await;
    checked.expect(200);
    assert!(checked.body.contains("将新增 3") && checked.body.contains("财务部笔记本"), "{}", checked.body);
    assert_eq!(checked.body.matches("verdict-insert").count(), 3);
    assert_eq!(count_assets(&store).await, 0, "checking stores nothing");
    let applied = b
        .post(
            "/assets/import",
            &[
                ("csrf", &checked.csrf()),
                ("mode", "apply"),
                ("tenant_id", &w.tenant_a.to_string()),
                ("file_name", &hidden(&checked.body, "file_name")),
                ("file_data", &hidden(&checked.body, "file_data")),
            ],
        )
        .await;
    applied.expect(200);
    assert!(applied.body.contains("已导入 3 行"), "{}", applied.body);
    assert_eq!(count_assets(&store).await, 3);

    // The page's export is the API's file, in the viewer's language.
    let file = b.get(&format!("/assets/export?format=csv&tenant_id={}", w.tenant_a)).await;
    file.expect(200);
    assert!(file.header("content-disposition").contains("assets.csv"));
    assert!(file.body.contains("单位,资产标签,序列号") && file.body.contains("PC-001"), "{}", file.body);

    // In English: a bad row shown with its cell and the problem in English; nothing to apply.
    let mut en = yunwei_web::testing::Browser::new(&base, "en");
    en.login("admin", PASSWORD).await;
    let form = en.get("/assets/import").await;
    assert!(form.expect(200).body.contains("Import assets"));
    let fields = [("csrf", form.csrf()), ("mode", "check".into()), ("tenant_id", w.tenant_a.to_string())];
    let bad = "Asset tag,Name,Status\nPC-001,Laptop,Ordered\nNEW-1,Desk phone,\n";
    let refused = upload(&mut en, &base, "/assets/import", &fields, "bad.csv", bad.as_bytes()).await;
    refused.expect(422);
    assert!(
        refused.body.contains("C2") && refused.body.contains("an asset cannot go from “Deployed” to “Ordered”"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("Nothing was imported"), "{}", refused.body);
    assert!(!refused.body.contains("import-apply"), "nothing to apply");

    // Staff who may not manage assets get the 404 page.
    let mut agent = yunwei_web::testing::Browser::new(&base, "zh-CN");
    agent.login("agent.a", PASSWORD).await;
    agent.get("/assets/import").await.expect(404);
});

both_backends!(the_stock_take_page_takes_a_file_of_scans, |store| async move {
    let Env { api, w, base, manager, .. } = start(&store).await;
    with_passwords(&store, &w).await;
    let seed = "tag,name,location\nT-1,one,1号楼 / 2 / 10\nT-2,two,1号楼 / 2 / 10\n";
    import(&api, &manager, w.tenant_a, false, "seed.csv", seed.as_bytes().to_vec()).await.expect(200);
    let st = api
        .post(&manager, "/stock-takes", serde_json::json!({"tenant_id": w.tenant_a, "location_id": w.room_a}))
        .await
        .expect(201)
        .clone();
    let path = format!("/stock-takes/{}", st["stock_take"]["id"]);
    for (lang, summary, repeat) in
        [("zh-CN", "已记录 3 次扫描", "已扫描过"), ("en", "Recorded 1 scans", "Scanned before")]
    {
        let mut b = yunwei_web::testing::Browser::new(&base, lang);
        b.login(if lang == "en" { "admin" } else { "assets.a" }, PASSWORD).await;
        let page = b.get(&path).await;
        assert!(page.expect(200).body.contains("id=\"scan-file-form\""), "{}", page.body);
        let file = if lang == "en" { "code\nT-1\n" } else { "标签或序列号\nT-1\nT-1\nGHOST-9\n" };
        let done =
            upload(&mut b, &base, &format!("{path}/scans/import"), &[("csrf", page.csrf())], "s.csv", &gbk(file)).await;
        done.expect(200);
        assert!(done.body.contains(summary) && done.body.contains(repeat), "{}", done.body);
        assert!(done.body.contains("data-outcome=\"unexpected\""), "{}", done.body);
    }
    // A bad line: 422, its problem shown, nothing recorded.
    let mut b = yunwei_web::testing::Browser::new(&base, "zh-CN");
    b.login("assets.a", PASSWORD).await;
    let page = b.get(&path).await;
    let bad = upload(
        &mut b,
        &base,
        &format!("{path}/scans/import"),
        &[("csrf", page.csrf())],
        "s.csv",
        b"code,location\nT-2,nowhere\n",
    )
    .await;
    bad.expect(422);
    assert!(bad.body.contains("B2") && bad.body.contains("未记录任何扫描"), "{}", bad.body);
    let d = api.get(&manager, &path).await.expect(200).clone();
    assert_eq!((d["counts"]["found"].as_i64(), d["counts"]["pending"].as_i64()), (Some(1), Some(1)), "{d}");
});

both_backends!(a_row_names_its_ci_by_a_unique_value_or_name_and_the_export_names_it_again, |store| async move {
    let Env { api, w, admin, manager, .. } = start(&store).await;
    let pc = api
        .post(
            &admin,
            "/cis",
            serde_json::json!({"tenant_id": w.tenant_a, "class": "server", "name": "erp-01",
                "attributes": {"hostname": "erp-01", "serial_number": "SRV-77"}}),
        )
        .await
        .expect(201)
        .clone();
    let other = api
        .post(
            &admin,
            "/cis",
            serde_json::json!({"tenant_id": w.tenant_b, "class": "server", "name": "globex-01",
            "attributes": {"serial_number": "SRV-88"}}),
        )
        .await
        .expect(201)
        .clone();
    // Another organisation's CI is not found; this one's is, by its serial number.
    let file = "资产标签,名称,配置项,使用人\nS-1,ERP 服务器,SRV-88,\nS-1,ERP 服务器,SRV-77,user.a\n";
    let r = import(&api, &manager, w.tenant_a, true, "c.csv", file.as_bytes().to_vec()).await.expect(200).clone();
    assert_eq!((first_error(&r).2.as_str(), first_error(&r).4.as_str()), ("C2", "asset_ci_not_found"), "{r}");
    assert_eq!(r["results"][1]["error"]["reason"], "key_repeated_in_file");
    let file = "资产标签,名称,配置项,使用人\nS-1,ERP 服务器,SRV-77,user.a\n";
    let r = import(&api, &manager, w.tenant_a, false, "c.csv", file.as_bytes().to_vec()).await.expect(200).clone();
    assert_eq!(r["applied"], true, "{r}");
    let s1 = asset_by_tag(&api, &manager, "S-1").await;
    assert_eq!((s1["ci_id"].as_i64(), s1["user_id"].as_i64()), (pc["id"].as_i64(), Some(w.user_a.user_id)));
    let ci = api.get(&admin, &format!("/cis/{}", pc["id"])).await.expect(200).clone();
    assert_eq!(ci["user_id"].as_i64(), Some(w.user_a.user_id), "assigning the asset assigned its CI, as the API does");
    // The export names the CI so the import finds it again: unchanged.
    let out = api.get_query(&manager, "/assets/export", &[("format", "csv")]).await;
    assert!(out.text().contains(",user.a,erp-01") || out.text().contains(",user.a,SRV-77"), "{}", out.text());
    let again = import(&api, &manager, w.tenant_a, false, "e.csv", out.bytes.clone()).await.expect(200).clone();
    assert_eq!(verdicts(&again), [(2, "unchanged".into())], "{again}");
    assert_eq!(other["tenant_id"].as_i64(), Some(w.tenant_b));
});
