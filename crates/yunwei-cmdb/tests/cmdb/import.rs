//! Importing and exporting CIs through the API, on SQLite and PostgreSQL: a GBK file from
//! Excel on Chinese Windows, reconciliation by serial number, bad rows reported and nothing
//! stored, relationships, and export → import round trips in CSV and xlsx.

use reqwest::Method;
use serde_json::{Value, json};
use yunwei_cmdb::testing::World;
use yunwei_contract::client::{Api, Reply};
use yunwei_db::both_backends;
use yunwei_db::testing::TestStore;

struct Env {
    api: Api,
    w: World,
    admin: String,
    config: String,
    agent: String,
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
    let base = yunwei_web::testing::serve(store, crate::MODULES).await;
    Env { api: Api::connect(base).await, w, admin, config, agent }
}

/// The file as Excel on Chinese Windows saves "CSV (逗号分隔)": GBK.
fn gbk(text: &str) -> Vec<u8> {
    yunwei_sheet::encode_gbk(text).unwrap()
}

async fn import(api: &Api, token: &str, tenant: i64, kind: &str, dry_run: bool, name: &str, file: Vec<u8>) -> Reply {
    let path = format!("/cis/import?tenant_id={tenant}&kind={kind}&dry_run={dry_run}&file_name={name}");
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

async fn count_cis(api: &Api, token: &str) -> usize {
    api.get_query(token, "/cis", &[("limit", "500")]).await.expect(200)["items"].as_array().unwrap().len()
}

const SERVERS: &str = "类别,名称,状态,位置,序列号,主机名,IP地址,CPU核数,操作系统,保修截止\r\n\
服务器,财务数据库服务器,在用,数据中心 DC / 1 / 101,SN-001,fin-db-01,\"10.1.0.5, 10.1.0.6\",16,Linux,2027/6/30\r\n\
服务器,邮件服务器,维护中,,SN-002,mail-01,10.1.0.7,8,Windows,\r\n\
\r\n\
server,\"备份服务器，机房二\",,,SN-003,backup-01,,,,\r\n";

both_backends!(a_gbk_csv_of_servers_imports_and_its_export_imports_again_unchanged, |store| async move {
    let Env { api, w, config, .. } = start(&store).await;
    let file = gbk(SERVERS);
    let dry = import(&api, &config, w.tenant_a, "cis", true, "服务器.csv", file.clone()).await.expect(200).clone();
    assert_eq!(verdicts(&dry), [(2, "insert".into()), (3, "insert".into()), (5, "insert".into())], "{dry}");
    assert_eq!((dry["applied"].as_bool(), dry["dry_run"].as_bool()), (Some(false), Some(true)));
    assert!(dry["summary"].as_str().unwrap().contains("尚未保存"), "worded in the viewer's language: {dry}");
    assert_eq!(count_cis(&api, &config).await, 0, "a dry run stores nothing");

    let done = import(&api, &config, w.tenant_a, "cis", false, "服务器.csv", file).await.expect(200).clone();
    assert_eq!(
        (done["applied"].as_bool(), done["inserted"].as_i64(), done["errors"].as_i64()),
        (Some(true), Some(3), Some(0))
    );
    let found = api.get_query(&config, "/cis", &[("q", "SN-001")]).await.expect(200).clone();
    let db = &found["items"][0];
    assert_eq!(db["name"], "财务数据库服务器");
    assert_eq!((db["status"].as_str(), db["location_id"].as_i64()), (Some("in_service"), Some(w.location_a)));
    assert_eq!(db["attributes"]["ip_addresses"], json!(["10.1.0.5", "10.1.0.6"]));
    assert_eq!((db["attributes"]["cpu_cores"].clone(), db["attributes"]["os"].clone()), (json!(16), json!("linux")));
    assert_eq!(db["attributes"]["warranty_end"], "2027-06-30");
    let history = api.get(&config, &format!("/cis/{}/history", db["id"])).await.expect(200).clone();
    assert_eq!(history["items"][0]["kind"], "created", "written through the store: history kept");
    let words = api.get_query(&config, "/cis", &[("q", "备份服务器")]).await.expect(200).clone();
    assert_eq!(words["items"].as_array().unwrap().len(), 1, "and the search index");

    // Export, then import the export: nothing changes, in CSV and in xlsx.
    for format in ["csv", "xlsx"] {
        let q = [("format", format), ("class", "server"), ("tenant_id", &w.tenant_a.to_string())];
        let file = api.get_query(&config, "/cis/export", &q).await;
        file.expect(200);
        assert!(file.header("content-disposition").contains(&format!("cis-server.{format}")));
        if format == "csv" {
            assert!(file.bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM, so Excel reads the Chinese right");
            assert!(file.text().contains("财务数据库服务器"));
            assert!(file.text().starts_with("\u{feff}单位,类别,名称,状态,位置,"), "{}", file.text());
            assert!(file.text().contains("\nACME,服务器,"), "{}", file.text());
        }
        let name = format!("export.{format}");
        let again =
            import(&api, &config, w.tenant_a, "cis", false, &name, file.bytes.clone()).await.expect(200).clone();
        assert_eq!(
            verdicts(&again),
            [(2, "unchanged".into()), (3, "unchanged".into()), (4, "unchanged".into())],
            "{again}"
        );
        assert_eq!(again["applied"], true);
    }
    assert_eq!(count_cis(&api, &config).await, 3);
});

both_backends!(a_renamed_machine_with_the_same_serial_updates_its_ci, |store| async move {
    let Env { api, w, config, .. } = start(&store).await;
    import(&api, &config, w.tenant_a, "cis", false, "a.csv", gbk(SERVERS)).await.expect(200);
    let before = api.get_query(&config, "/cis", &[("q", "SN-002")]).await.expect(200)["items"][0].clone();
    let renamed = "class,name,serial_number,hostname,memory_gb\nserver,邮件服务器（新）,SN-002,mail-02,64\n";
    let report = import(&api, &config, w.tenant_a, "cis", false, "b.csv", renamed.into()).await.expect(200).clone();
    let row = &report["results"][0];
    assert_eq!((row["verdict"].as_str(), row["id"].clone()), (Some("update"), before["id"].clone()), "{report}");
    assert_eq!(row["changes"], json!(["name", "attributes.hostname", "attributes.memory_gb"]));
    let after = api.get(&config, &format!("/cis/{}", before["id"])).await.expect(200).clone();
    assert_eq!((after["name"].as_str(), after["version"].as_i64()), (Some("邮件服务器（新）"), Some(2)));
    assert_eq!(after["attributes"]["ip_addresses"], json!(["10.1.0.7"]), "a column not in the file keeps its value");
    assert_eq!(count_cis(&api, &config).await, 3, "updated, not duplicated");
    let found = api.get_query(&config, "/cis", &[("q", "mail-02")]).await.expect(200).clone();
    assert_eq!(found["items"][0]["id"], before["id"], "the new hostname is the CI's key now");
});

both_backends!(bad_rows_are_reported_by_line_and_column_and_nothing_is_stored, |store| async move {
    let Env { api, w, admin, config, agent } = start(&store).await;
    let file = "类别,名称,序列号,IP地址\n\
        服务器,好的,SN-1,10.0.0.1\n\
        服务器,坏地址,SN-2,10.0.0.300\n\
        飞船,未知类别,SN-3,\n\
        服务器,重复,SN-1,\n\
        服务器,没有序列号,,10.0.0.9\n";
    let report = import(&api, &config, w.tenant_a, "cis", false, "bad.csv", gbk(file)).await.expect(200).clone();
    assert_eq!((report["applied"].as_bool(), report["errors"].as_i64()), (Some(false), Some(4)), "{report}");
    assert!(report["summary"].as_str().unwrap().contains("未导入"), "{report}");
    let errors: Vec<(i64, Option<i64>, &str, &str)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["verdict"] == "error")
        .map(|r| {
            let e = &r["error"];
            (
                r["line"].as_i64().unwrap(),
                e["column"].as_i64(),
                e["cell"].as_str().unwrap_or(""),
                e["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (3, Some(4), "D3", "not_an_ip"),
            (4, Some(1), "A4", "no_such_class"),
            (5, Some(3), "C5", "key_repeated_in_file"),
            (6, Some(3), "C6", "key_missing"),
        ]
    );
    let repeated = &report["results"][3]["error"];
    assert_eq!((repeated["args"]["line"].as_str(), repeated["header"].as_str()), (Some("2"), Some("序列号")));
    let message = repeated["message"].as_str().unwrap();
    assert!(message.contains("第 2 行") && !message.contains('{'), "worded in Chinese: {message}");
    assert_eq!(count_cis(&api, &admin).await, 0, "one bad row and nothing is stored");

    // The header: an unknown column is named; a file that is no spreadsheet is refused.
    let report = import(&api, &config, w.tenant_a, "cis", true, "h.csv", "class,name,flavour\n".into()).await;
    let e = &report.expect(200)["results"][0];
    assert!(e.is_object(), "{}", report.text());
    assert_eq!(
        (e["line"].as_i64(), e["error"]["column"].as_i64(), e["error"]["reason"].as_str()),
        (Some(1), Some(3), Some("unknown_column"))
    );
    // A row of another organisation (a file exported from several) is refused, not moved.
    let other = gbk("单位,类别,名称,序列号\nGLOBEX,服务器,x,SN-7\nACME,服务器,y,SN-8\n");
    let report = import(&api, &config, w.tenant_a, "cis", true, "t.csv", other).await.expect(200).clone();
    assert_eq!(verdicts(&report), [(2, "error".into()), (3, "insert".into())]);
    assert_eq!(
        (report["results"][0]["error"]["reason"].as_str(), report["results"][0]["error"]["cell"].as_str()),
        (Some("tenant_mismatch"), Some("A2"))
    );
    let garbage = b"PK\x03\x04 this is not a workbook".to_vec();
    import(&api, &config, w.tenant_a, "cis", true, "x.xlsx", garbage).await.invalid("file");
    import(&api, &config, w.tenant_a, "cis", true, "x.csv", vec![0x80, 0xFF, 0xFF]).await.invalid("file");
    // Who may import, and into which organisation.
    import(&api, &agent, w.tenant_a, "cis", true, "a.csv", gbk(SERVERS)).await.error(403, "forbidden", None);
    import(&api, &config, w.tenant_b, "cis", true, "a.csv", gbk(SERVERS)).await.invalid("tenant_id");
    api.get_query(&config, "/cis/export", &[("format", "pdf")]).await.invalid("format");
});

both_backends!(relationships_import_by_serial_or_name_and_again_unchanged, |store| async move {
    let Env { api, w, admin, config, .. } = start(&store).await;
    import(&api, &config, w.tenant_a, "cis", false, "a.csv", gbk(SERVERS)).await.expect(200);
    let core = json!({"tenant_id": w.provider, "class": "switch", "name": "核心交换机", "attributes": {"serial_number": "SW-1"}});
    api.post(&admin, "/cis", core).await.expect(201);
    let file = "源类别,源配置项,关系,目标类别,目标配置项\n\
        服务器,SN-001,connects_to,交换机,核心交换机\n\
        ,mail-01,连接到,,SW-1\n\
        服务器,SN-003,flies_to,交换机,核心交换机\n";
    let report =
        import(&api, &config, w.tenant_a, "relationships", false, "r.csv", gbk(file)).await.expect(200).clone();
    assert_eq!(verdicts(&report), [(2, "insert".into()), (3, "insert".into()), (4, "error".into())], "{report}");
    assert_eq!(report["results"][2]["error"]["cell"], "C4");
    assert_eq!(report["applied"], false);
    let good: String = file.lines().take(3).map(|l| format!("{l}\n")).collect();
    let report =
        import(&api, &config, w.tenant_a, "relationships", false, "r.csv", gbk(&good)).await.expect(200).clone();
    assert_eq!((report["applied"].as_bool(), report["inserted"].as_i64()), (Some(true), Some(2)), "{report}");
    let again =
        import(&api, &config, w.tenant_a, "relationships", false, "r.csv", gbk(&good)).await.expect(200).clone();
    assert_eq!(verdicts(&again), [(2, "unchanged".into()), (3, "unchanged".into())]);
    // The relationships exported import again unchanged, in either format.
    for format in ["csv", "xlsx"] {
        let q = [("format", format), ("kind", "relationships"), ("tenant_id", &w.tenant_a.to_string())];
        let file = api.get_query(&config, "/cis/export", &q).await;
        file.expect(200);
        assert!(file.header("content-disposition").contains(&format!("ci-relationships.{format}")));
        if format == "csv" {
            assert!(file.text().contains("服务器,SN-001,connects_to,交换机,SW-1"), "{}", file.text());
        }
        let again =
            import(&api, &config, w.tenant_a, "relationships", false, &format!("r.{format}"), file.bytes.clone())
                .await
                .expect(200)
                .clone();
        assert_eq!(verdicts(&again), [(2, "unchanged".into()), (3, "unchanged".into())], "{again}");
    }
    let srv = api.get_query(&config, "/cis", &[("q", "SN-001")]).await.expect(200)["items"][0]["id"].clone();
    let rels = api.get(&config, &format!("/cis/{srv}/relations")).await.expect(200).clone();
    assert_eq!(rels["items"][0]["other_name"], "核心交换机");
});

/// A person who signs in to the pages, with a password.
async fn person(store: &TestStore, w: &World, login: &str, role: &str) {
    let mut tx = store.write().await.unwrap();
    let new = yunwei_org::users::NewUser {
        login: login.into(),
        name: login.into(),
        role: role.into(),
        served_tenants: vec![w.tenant_a],
        password: Some(yunwei_db::identity::HashedPassword::new("a long enough password").await.unwrap()),
        ..Default::default()
    };
    yunwei_org::users::create(&mut tx, Some(&w.admin), new).await.unwrap();
    tx.commit().await.unwrap();
}

fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker).map(|i| i + marker.len()).expect("the field");
    body[start..].split('"').next().unwrap().to_string()
}

both_backends!(the_import_page_checks_a_file_then_applies_it, |store| async move {
    let w = World::build(&store).await;
    person(&store, &w, "cm.page", "config_manager").await;
    person(&store, &w, "agent.page", "agent").await;
    let base = yunwei_web::testing::serve(&store, crate::MODULES).await;
    let mut b = yunwei_web::testing::Browser::new(&base, "zh-CN");
    b.login("cm.page", "a long enough password").await;
    let form = b.get("/cmdb/import").await;
    form.expect(200);
    assert!(form.body.contains("导入配置项") && form.body.contains("enctype=\"multipart/form-data\""));

    // Check: upload the GBK file as a browser does (multipart), every row's verdict shown.
    let boundary = "yunwei-test-boundary";
    let mut body = Vec::new();
    for (name, value) in
        [("csrf", form.csrf()), ("mode", "check".into()), ("tenant_id", w.tenant_a.to_string()), ("kind", "cis".into())]
    {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"servers.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
    body.extend(gbk(SERVERS));
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = b
        .client
        .post(format!("{base}/cmdb/import"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body);
    let checked = b.send(req).await;
    checked.expect(200);
    assert!(checked.body.contains("将新增 3") && checked.body.contains("财务数据库服务器"), "{}", checked.body);
    assert_eq!(checked.body.matches("verdict-insert").count(), 3);

    // Apply: the page carries the file back; then the CIs exist.
    let applied = b
        .post(
            "/cmdb/import",
            &[
                ("csrf", &checked.csrf()),
                ("mode", "apply"),
                ("tenant_id", &w.tenant_a.to_string()),
                ("kind", "cis"),
                ("file_name", &hidden(&checked.body, "file_name")),
                ("file_data", &hidden(&checked.body, "file_data")),
            ],
        )
        .await;
    applied.expect(200);
    assert!(applied.body.contains("已导入 3 行"), "{}", applied.body);
    let mut tx = store.read().await.unwrap();
    assert_eq!(scalar!(&mut tx, i64, "SELECT COUNT(*) FROM cis").unwrap(), 3);
    drop(tx);

    // The page's export: the same file as the API's.
    let file = b.get(&format!("/cmdb/export?kind=cis&format=csv&tenant_id={}&class=server", w.tenant_a)).await;
    file.expect(200);
    assert!(file.header("content-disposition").contains("cis-server.csv"));
    assert!(file.body.contains("\nACME,服务器,财务数据库服务器,在用,"), "{}", file.body);

    // A file with errors: the rows are shown with their cells, nothing to apply.
    let bad = yunwei_sheet::encode_gbk("类别,名称,序列号,IP地址\n服务器,坏,SN-9,10.0.0.300\n").unwrap();
    let fields = [
        ("csrf", checked.csrf()),
        ("mode", "check".into()),
        ("tenant_id", w.tenant_a.to_string()),
        ("kind", "cis".into()),
    ];
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bad.csv\"\r\n\r\n")
            .as_bytes(),
    );
    body.extend(bad);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = b
        .client
        .post(format!("{base}/cmdb/import"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body);
    let refused = b.send(req).await;
    refused.expect(422);
    assert!(refused.body.contains("D2") && refused.body.contains("不是 IPv4 或 IPv6 地址"), "{}", refused.body);
    assert!(!refused.body.contains("import-apply"), "nothing to apply");

    // Staff who may not manage CIs get the 404 page.
    let mut agent = yunwei_web::testing::Browser::new(&base, "zh-CN");
    agent.login("agent.page", "a long enough password").await;
    agent.get("/cmdb/import").await.expect(404);
});

/// Runs the store's import on a CSV text and commits when it applies.
async fn store_import(store: &TestStore, w: &World, text: &str, dry_run: bool) -> yunwei_cmdb::store::import::Report {
    let sheet = yunwei_sheet::read(text.as_bytes(), "x.csv").unwrap();
    let mut tx = store.write().await.unwrap();
    let kind = yunwei_cmdb::rules::import::ImportKind::Cis;
    let mut seen = 0;
    let report =
        yunwei_cmdb::store::import::run(&mut tx, &w.config_a, w.tenant_a, kind, &sheet, dry_run, |i| seen = i + 1)
            .await
            .unwrap();
    assert_eq!(seen, sheet.rows.len(), "every row is reported to the progress bar");
    if report.applied {
        tx.commit().await.unwrap();
    }
    report
}

fn outcome(report: &yunwei_cmdb::store::import::Report) -> Vec<(String, String)> {
    report
        .results
        .iter()
        .map(|r| (r.verdict.clone(), r.error.as_ref().map(|e| e.reason.clone()).unwrap_or_else(|| r.changes.join(" "))))
        .collect()
}

both_backends!(rows_are_matched_by_any_identifying_value_in_order_or_by_name, |store| async move {
    let w = World::build(&store).await;
    let first = "class,name,serial_number,hostname\nserver,db-a,SN-A,host-a\nserver,db-b,,host-b\n\
        application,ERP,,\napplication,OA,,\n";
    let report = store_import(&store, &w, first, false).await;
    assert!(report.applied && report.inserted == 4, "{:?}", outcome(&report));
    // A new serial with a known hostname finds the CI by its hostname and takes the serial; a
    // class that identifies CIs by nothing finds them by name.
    let second = "class,name,serial_number,hostname,status\nserver,db-b,SN-B,host-b,\napplication,ERP,,,retired\n\
        application,OA,,,\n";
    let report = store_import(&store, &w, second, false).await;
    assert_eq!(
        outcome(&report),
        [
            ("update".into(), "attributes.serial_number".into()),
            ("update".into(), "status".into()),
            ("unchanged".into(), String::new())
        ]
    );
    // Two rows that reach the same CI by different keys, a serial that contradicts the one of
    // the CI its hostname finds, and a name given twice for a class identified by name:
    // errors, nothing stored.
    let third = "class,name,serial_number,hostname\nserver,x,SN-A,\nserver,y,,host-a\nserver,z,SN-NEW,host-b\n\
        application,OA,,\napplication,OA,,\n";
    let report = store_import(&store, &w, third, false).await;
    assert_eq!(
        outcome(&report),
        [
            ("update".into(), "name".into()),
            ("error".into(), "ci_repeated_in_file".into()),
            ("error".into(), "key_conflict".into()),
            ("unchanged".into(), String::new()),
            ("error".into(), "key_repeated_in_file".into()),
        ]
    );
    assert!(!report.applied);
    let mut tx = store.read().await.unwrap();
    let names: Vec<(String,)> = fetch_all!(&mut tx, (String,), "SELECT name FROM cis ORDER BY name").unwrap();
    let names: Vec<&str> = names.iter().map(|(n,)| n.as_str()).collect();
    assert_eq!(names, ["ERP", "OA", "db-a", "db-b"], "the bad file changed nothing");
});

both_backends!(a_file_of_thousands_of_rows_is_reconciled_in_file_order_across_chunks, |store| async move {
    let w = World::build(&store).await;
    let rows = 2_500;
    let mut text = String::from("class,name,serial_number,hostname\n");
    for i in 0..rows {
        text += &format!("server,srv-{i},SN-{i:05},host-{i}\n");
    }
    let report = store_import(&store, &w, &text, false).await;
    assert!(report.applied && report.inserted == rows, "{:?}", &outcome(&report)[..3]);
    // Every row's verdict, in file order, names the CI made of that very row.
    let mut tx = store.read().await.unwrap();
    let stored: Vec<(i64, String, String)> = fetch_all!(
        &mut tx,
        (i64, String, String),
        "SELECT c.id, c.name, k.value FROM cis c JOIN ci_keys k ON k.ci_id = c.id AND k.attribute = 'serial_number'"
    )
    .unwrap();
    drop(tx);
    let by_id: std::collections::HashMap<i64, (String, String)> =
        stored.into_iter().map(|(id, name, serial)| (id, (name, serial))).collect();
    assert_eq!(by_id.len(), rows);
    for (i, r) in report.results.iter().enumerate() {
        assert_eq!(r.line, i + 2);
        let (name, serial) = &by_id[&r.id.unwrap()];
        assert_eq!((name.as_str(), serial.as_str()), (format!("srv-{i}").as_str(), format!("SN-{i:05}").as_str()));
    }
    // Again, with one row renamed and a last row that repeats an early serial: every other row
    // unchanged, the error points at the earlier line, and nothing is stored.
    let mut again = text.replace("server,srv-1500,", "server,srv-1500 renamed,");
    again += "server,late,SN-00010,host-late\n";
    let report = store_import(&store, &w, &again, false).await;
    assert_eq!((report.unchanged, report.updated, report.errors, report.applied), (rows - 1, 1, 1, false));
    assert_eq!(report.results[1500].verdict, "update");
    let last = report.results.last().unwrap();
    let e = last.error.as_ref().unwrap();
    assert_eq!((last.line, e.reason.as_str(), e.args["line"].as_str()), (rows + 2, "key_repeated_in_file", Some("12")));
    let mut tx = store.read().await.unwrap();
    let renamed = scalar!(&mut tx, i64, "SELECT COUNT(*) FROM cis WHERE name = 'srv-1500 renamed'").unwrap();
    assert_eq!(renamed, 0, "a file with an error changes nothing");
});
