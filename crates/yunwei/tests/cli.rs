//! The `yunwei` binary as an operator uses it: bootstrap from the command line, serve, stop
//! with SIGTERM without losing work, restart, and several instances on one PostgreSQL database.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use yunwei_contract::Contract;
use yunwei_db::Backend;
use yunwei_db::testing::TestStore;

const BIN: &str = env!("CARGO_BIN_EXE_yunwei");

/// Runs a `yunwei` command with `stdin`, returning (success, stdout, stderr).
fn run(args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start yunwei");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("yunwei finished");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// A running `yunwei serve` and the address it listens on.
struct Server {
    child: Child,
    base: String,
    /// What the server printed before it started listening.
    banner: String,
}

impl Server {
    fn start(store_args: &[&str]) -> Server {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(store_args);
        let mut child = Command::new(BIN)
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start yunwei serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let mut banner = String::new();
        let base = loop {
            let line = lines.next().expect("yunwei serve exited before listening").expect("read stderr");
            if let Some(url) = line.strip_prefix("Yunwei is listening on ") {
                break url.trim().to_string();
            }
            banner.push_str(&line);
            banner.push('\n');
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, base, banner }
    }

    /// Sends SIGTERM and waits for a clean exit.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
        let status = self.child.wait().expect("wait for yunwei");
        assert!(status.success(), "yunwei exited with {status} after SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn bootstrap(store_args: &[&str]) -> String {
    let mut args = vec!["user", "create", "boss", "--role", "admin", "--name", "老板 Boss"];
    args.extend_from_slice(store_args);
    let (ok, _, err) = run(&args, "a long enough password\n");
    assert!(ok, "user create failed: {err}");
    let mut args = vec!["token", "create", "boss"];
    args.extend_from_slice(store_args);
    let (ok, out, err) = run(&args, "");
    assert!(ok, "token create failed: {err}");
    let token = out.trim().to_string();
    assert!(token.starts_with("yw_") && token.len() > 40, "not a token: {out:?}");
    token
}

async fn create_ticket(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    title: &str,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("{base}/api/v1/tickets"))
        .bearer_auth(token)
        .json(&json!({ "title": title, "description": "from the CLI test" }))
        .send()
        .await
}

fn sqlite_args(dir: &Path) -> Vec<String> {
    vec!["--data-dir".into(), dir.display().to_string()]
}

#[tokio::test]
async fn an_operator_bootstraps_from_the_command_line_and_data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let args = sqlite_args(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let token = bootstrap(&args);
    // A second user with the same login is refused with a clear message.
    let mut again = vec!["user", "create", "boss"];
    again.extend_from_slice(&args);
    let (ok, _, err) = run(&again, "another password\n");
    assert!(!ok && err.contains("login"), "{err}");
    // A short password is refused too.
    let mut short = vec!["user", "create", "shorty"];
    short.extend_from_slice(&args);
    let (ok, _, err) = run(&short, "short\n");
    assert!(!ok && err.contains("password"), "{err}");

    let server = Server::start(&args);
    let client = reqwest::Client::new();
    let health: Value = client.get(format!("{}/healthz", server.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    let res = create_ticket(&client, &server.base, &token, "服务器宕机 Server down").await.unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["number"], "INC-000001");
    server.stop();

    let server = Server::start(&args);
    let res =
        client.get(format!("{}/api/v1/tickets/INC-000001", server.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["title"], "服务器宕机 Server down");
    assert_eq!(again["version"], created["version"]);
    server.stop();
}

#[tokio::test]
async fn sigterm_lets_requests_in_flight_finish_and_loses_no_committed_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let args = sqlite_args(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let token = bootstrap(&args);
    let server = Server::start(&args);
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for i in 0..8 {
        let (client, base, token, done) = (client.clone(), server.base.clone(), token.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut created = Vec::new();
            // Send until the server stops answering (bounded, in case it never does).
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            for j in 0.. {
                assert!(std::time::Instant::now() < deadline, "the server kept answering after SIGTERM");
                match create_ticket(&client, &base, &token, &format!("load {i}-{j}")).await {
                    Ok(res) if res.status() == 201 => {
                        let v: Value = res.json().await.expect("a 201 carries the ticket");
                        created.push(v["number"].as_str().unwrap().to_string());
                        done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    Ok(res) => panic!("unexpected status {}", res.status()),
                    // After shutdown begins, new connections are refused: stop sending.
                    Err(_) => break,
                }
            }
            created
        }));
    }
    // SIGTERM in the middle of the load: once some tickets are in, while more are on the way.
    let waiting = std::time::Instant::now();
    while done.load(std::sync::atomic::Ordering::Relaxed) < 40 {
        assert!(waiting.elapsed() < Duration::from_secs(30), "the server is too slow to load");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let base = server.base.clone();
    tokio::task::spawn_blocking(move || server.stop()).await.unwrap();
    let mut acknowledged = Vec::new();
    for t in tasks {
        acknowledged.extend(t.await.unwrap());
    }
    assert!(acknowledged.len() > 20, "only {} tickets were created before SIGTERM", acknowledged.len());

    let server = Server::start(&args);
    assert_ne!(server.base, base, "the restarted server should have a new port");
    let mut stored = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut req =
            client.get(format!("{}/api/v1/tickets", server.base)).bearer_auth(&token).query(&[("limit", "200")]);
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c.as_str())]);
        }
        let page: Value = checked(&client, req).await;
        stored.extend(page["items"].as_array().unwrap().iter().map(|t| t["number"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    for n in &acknowledged {
        assert!(stored.contains(n), "{n} was acknowledged with 201 but is gone after restart");
    }
    server.stop();
}

#[tokio::test]
async fn two_instances_share_one_postgresql_database_without_number_clashes() {
    let db = TestStore::new(Backend::Postgres).await;
    let args = ["--database-url", db.url.as_str()];
    let token = bootstrap(&args);
    let a = Server::start(&args);
    let b = Server::start(&args);
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let base = if i % 2 == 0 { a.base.clone() } else { b.base.clone() };
        let (client, token) = (client.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut numbers = Vec::new();
            for j in 0..15 {
                let res = create_ticket(&client, &base, &token, &format!("instance test {i}-{j}")).await.unwrap();
                assert_eq!(res.status(), 201);
                let v: Value = res.json().await.unwrap();
                numbers.push(v["number"].as_str().unwrap().to_string());
            }
            numbers
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let total = all.len();
    all.dedup();
    assert_eq!(all.len(), total, "two tickets got the same number");
    assert_eq!(total, 120);
    assert_eq!(all.last().unwrap(), "INC-000120");
    a.stop();
    b.stop();
}

#[test]
fn configuration_comes_from_a_file_and_bad_configuration_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("from-file");
    let cfg = dir.path().join("yunwei.toml");
    std::fs::write(&cfg, format!("data_dir = {:?}\n", data.display().to_string())).unwrap();
    let (ok, _, err) = run(&["migrate", "--config", cfg.to_str().unwrap()], "");
    assert!(ok, "{err}");
    assert!(data.join("yunwei.db").exists(), "the data directory from the file was not used");

    std::fs::write(&cfg, "listen = 8080\n").unwrap();
    let (ok, _, err) = run(&["migrate", "--config", cfg.to_str().unwrap()], "");
    assert!(!ok && err.contains("listen"), "{err}");
    let (ok, _, err) = run(&["migrate", "--database-url", "mysql://nope"], "");
    assert!(!ok && err.contains("unsupported database URL"), "{err}");
    let (ok, _, err) = run(&["token", "create", "ghost", "--data-dir", data.to_str().unwrap()], "");
    assert!(!ok && err.contains("no user with login ghost"), "{err}");
}

/// `yunwei import`: a GBK file from Excel on Chinese Windows imports as an administrator, a
/// second run finds everything unchanged, and a file with a bad row names it (line, cell,
/// reason), stores nothing and fails.
#[test]
fn an_operator_imports_cis_from_a_spreadsheet_all_rows_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    bootstrap(&["--data-dir", &data]);
    let import = |file: &Path, extra: &[&str]| {
        let mut args = vec!["import", "cis", file.to_str().unwrap(), "--tenant", "PROVIDER", "--data-dir", &data];
        args.extend_from_slice(extra);
        let out = Command::new(BIN).args(&args).env("LANG", "en_US.UTF-8").output().expect("yunwei import");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let good = dir.path().join("服务器.csv");
    let text = "类别,名称,序列号,IP地址\r\n服务器,核心数据库,SN-1,10.0.0.1\r\n交换机,核心交换机,SW-1,\r\n";
    std::fs::write(&good, yunwei_sheet::encode_gbk(text).unwrap()).unwrap();
    let (ok, out, err) = import(&good, &["--dry-run"]);
    assert!(ok && out.contains("2 would be added"), "{out}{err}");
    let (ok, out, err) = import(&good, &[]);
    assert!(ok && out.contains("Imported 2 rows: 2 added"), "{out}{err}");
    let (ok, out, err) = import(&good, &["--as", "boss"]);
    assert!(ok && out.contains("2 unchanged"), "{out}{err}");

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "class,name,serial_number,ip_addresses\nserver,db-2,SN-2,10.0.0.300\nserver,db-3,SN-3,\n")
        .unwrap();
    let (ok, out, err) = import(&bad, &[]);
    assert!(!ok, "a bad row fails the command: {out}");
    assert!(out.contains("line 2: D2 (ip_addresses): “10.0.0.300” is not an IPv4 or IPv6 address"), "{out}");
    assert!(err.contains("1 rows have errors; nothing was imported"), "{err}");
    let (ok, out, _) = import(&good, &["--dry-run"]);
    assert!(ok && out.contains("2 unchanged"), "db-3 was not stored either: {out}");
    let (ok, _, err) = import(&dir.path().join("missing.csv"), &[]);
    assert!(!ok && err.contains("cannot read"), "{err}");
    let (ok, _, err) = import(&good, &["--as", "ghost"]);
    assert!(!ok && err.contains("no user with login ghost"), "{err}");
}

/// `yunwei import assets`: the same command for the asset register: a GBK file with Chinese
/// headers imports, again unchanged, and a bad row (an illegal lifecycle move) is named by
/// line, cell and reason while nothing is stored.
#[test]
fn an_operator_imports_assets_from_a_spreadsheet_all_rows_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    bootstrap(&["--data-dir", &data]);
    let import = |file: &Path, extra: &[&str]| {
        let mut args = vec!["import", "assets", file.to_str().unwrap(), "--tenant", "PROVIDER", "--data-dir", &data];
        args.extend_from_slice(extra);
        let out = Command::new(BIN).args(&args).env("LANG", "en_US.UTF-8").output().expect("yunwei import");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let good = dir.path().join("资产.csv");
    let text = "资产标签,序列号,名称,状态\r\nPC-1,SN-1,笔记本,在用\r\nPC-2,SN-2,显示器,在库\r\n";
    std::fs::write(&good, yunwei_sheet::encode_gbk(text).unwrap()).unwrap();
    let (ok, out, err) = import(&good, &["--dry-run"]);
    assert!(ok && out.contains("2 would be added"), "{out}{err}");
    let (ok, out, err) = import(&good, &[]);
    assert!(ok && out.contains("Imported 2 rows: 2 added"), "{out}{err}");
    let (ok, out, err) = import(&good, &["--as", "boss"]);
    assert!(ok && out.contains("2 unchanged"), "{out}{err}");

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "tag,name,status\nPC-3,Desk phone,\nPC-1,,ordered\n").unwrap();
    let (ok, out, err) = import(&bad, &[]);
    assert!(!ok, "a bad row fails the command: {out}");
    assert!(out.contains("line 3: C3 (status): an asset cannot go from “Deployed” to “Ordered”"), "{out}");
    assert!(err.contains("1 rows have errors; nothing was imported"), "{err}");
    let (ok, out, _) = import(&bad, &["--dry-run"]);
    assert!(!ok && out.contains("Nothing was imported"), "PC-3 was not stored: {out}");
    let again = dir.path().join("again.csv");
    std::fs::write(&again, "tag\nPC-3\n").unwrap();
    let (ok, out, _) = import(&again, &["--dry-run"]);
    assert!(!ok && out.contains("name: is required"), "PC-3 is still new, and needs a name: {out}");
}

/// The README's five-minute tour, run exactly as written (with this build's binary, a free
/// port, and curl told to fail on any HTTP error).
/// Lookups that ignore the caller's tenant scope are named `…_unscoped` and kept for the
/// command line; request code (every module's `api` and `ui`) must not reach them.
#[test]
fn request_code_never_calls_an_unscoped_lookup() {
    fn walk(dir: &Path, found: &mut Vec<String>, files: &mut usize) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                *files += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, line) in text.lines().enumerate() {
                    if line.contains("_unscoped(") {
                        found.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                    }
                }
            }
        }
    }
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let (mut found, mut files) = (Vec::new(), 0);
    for krate in std::fs::read_dir(crates).unwrap() {
        let src = krate.unwrap().path().join("src");
        for part in ["api", "ui", "api.rs", "ui.rs"] {
            let p = src.join(part);
            if p.is_dir() {
                walk(&p, &mut found, &mut files);
            } else if p.is_file() {
                files += 1;
                let text = std::fs::read_to_string(&p).unwrap();
                if text.contains("_unscoped(") {
                    found.push(p.display().to_string());
                }
            }
        }
    }
    assert!(
        files >= 10,
        "the walk found only {files} request-code files: is the layout still crates/*/src/{{api,ui}}?"
    );
    assert!(found.is_empty(), "request code calls unscoped lookups:\n{}", found.join("\n"));
}

#[test]
fn the_readme_tour_works_as_written() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let start = readme.find("## A five-minute tour").expect("the README has a tour");
    let end = start + readme[start..].find("\n## API").expect("the tour ends at the API section");
    let tour = &readme[start..end];
    let mut script = String::from("set -euo pipefail\n");
    for block in tour.split("```sh\n").skip(1) {
        script.push_str(block.split("```").next().unwrap());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let script = script
        .replace("cargo build --release -p yunwei", "true")
        .replace("Y=target/release/yunwei", &format!("Y={BIN}"))
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
        .replace("curl -s ", "curl -sSf ")
        .replace("kill %1", "kill %1; wait");
    assert!(script.contains("curl -sSf"), "the tour has no curl calls");
    let dir = tempfile::tempdir().unwrap();
    let out =
        Command::new("bash").arg("-c").arg(&script).current_dir(dir.path()).env("RUST_LOG", "warn").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the tour failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("\"number\":\"INC-000001\""), "{stdout}");
    assert!(stdout.contains("\"status\":\"closed\""), "{stdout}");
    assert!(stdout.contains("清理了打印队列"), "{stdout}");
}

#[tokio::test]
async fn the_demo_has_tickets_in_every_state_with_a_believable_history() {
    let dir = tempfile::tempdir().unwrap();
    let args = sqlite_args(dir.path());
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.push("--demo");
    let server = Server::start(&args);
    let token =
        server.banner.split_whitespace().find(|w| w.starts_with("yw_")).expect("the demo prints a token").to_string();
    assert!(server.banner.contains("yunwei-demo"), "the demo does not say how to log in:\n{}", server.banner);
    let client = reqwest::Client::new();
    for status in ["new", "assigned", "in_progress", "pending", "resolved", "closed", "cancelled"] {
        let page: Value = client
            .get(format!("{}/api/v1/tickets", server.base))
            .bearer_auth(&token)
            .query(&[("status", status), ("limit", "200")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(!items.is_empty(), "no {status} ticket in the demo");
        for t in items {
            let at = |f: &str| t[f].as_str().map(|s| s.parse::<jiff::Timestamp>().unwrap());
            let created = at("created_at").unwrap();
            assert!(created < jiff::Timestamp::now());
            for later in ["assigned_at", "first_response_at", "resolved_at", "closed_at", "cancelled_at"] {
                if let Some(x) = at(later) {
                    assert!(x >= created, "{} {later} before created_at", t["number"]);
                }
            }
            if status == "closed" && t["resolution_code"] != "duplicate" {
                let (resolved, closed) = (at("resolved_at").unwrap(), at("closed_at").unwrap());
                assert!(resolved > created && closed > resolved, "{} has no believable history", t["number"]);
            }
        }
    }
    // The SLA compliance report matches a hand count over every ticket's clocks. Running clocks
    // become breached when the escalation scan reaches them, so wait for it to catch up.
    let numbers: Vec<String> = all_tickets(&client, &server.base, &token)
        .await
        .iter()
        .filter(|t| t["status"] != "cancelled")
        .map(|t| t["number"].as_str().unwrap().to_string())
        .collect();
    // Each group's OLA clocks are counted the same way as the tickets' resolution clocks.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let mut counted: std::collections::BTreeMap<String, (i64, i64, i64)> = Default::default();
        for n in &numbers {
            let clocks: Value = get_json(&client, format!("{}/api/v1/tickets/{n}/sla", server.base), &token).await;
            for c in clocks["items"].as_array().unwrap() {
                let entry = counted.entry(c["kind"].as_str().unwrap().to_string()).or_default();
                entry.0 += 1;
                match c["status"].as_str().unwrap() {
                    "met" => entry.1 += 1,
                    "breached" => entry.2 += 1,
                    _ => {}
                }
            }
        }
        let report: Value = get_json(&client, format!("{}/api/v1/reports/sla", server.base), &token).await;
        let mut caught_up = true;
        // (kind, at least this many clocks): the hospital's tickets have on-site clocks too.
        for (kind, least) in [("resolution", 200), ("ola", 200), ("on_site", 50)] {
            let (total, met, breached) = counted.get(kind).copied().unwrap_or_default();
            let row = report["items"].as_array().unwrap().iter().find(|r| r["clock"] == kind).unwrap().clone();
            assert!(total > least, "demo tickets should have more than {least} {kind} clocks, got {total}");
            assert_eq!((row["total"].as_i64().unwrap(), row["met"].as_i64().unwrap()), (total, met), "{row}");
            if row["breached"].as_i64().unwrap() == breached {
                assert!(met > 0 && breached > 0, "the demo should show both met and breached {kind}: {row}");
            } else {
                caught_up = false;
                assert!(
                    std::time::Instant::now() < deadline,
                    "the report never caught up with the clocks: {row} vs {breached}"
                );
            }
        }
        if caught_up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // The service desk has its morning's work: tickets waiting in its queue, and some its
    // agents are working on.
    let groups: Value = get_json(&client, format!("{}/api/v1/groups", server.base), &token).await;
    let desk = groups["items"].as_array().unwrap().iter().find(|g| g["tier"] == 1).unwrap()["id"].as_i64().unwrap();
    let queue = |status: &'static str| {
        let (client, base, token) = (client.clone(), server.base.clone(), token.clone());
        async move {
            let url = format!("{base}/api/v1/tickets?status={status}&group_id={desk}&limit=200");
            get_json(&client, url, &token).await["items"].as_array().unwrap().len()
        }
    };
    assert!(queue("assigned").await > 0 && queue("in_progress").await > 0, "the service desk has nothing to do");

    // A second start does not add a second demo, and says again how to log in, with a new
    // token that works.
    server.stop();
    let server = Server::start(&args);
    assert!(server.banner.contains("already has tickets"), "{}", server.banner);
    assert!(server.banner.contains("yunwei-demo"), "{}", server.banner);
    let again = server.banner.split_whitespace().find(|w| w.starts_with("yw_")).expect("a fresh token").to_string();
    assert_ne!(again, token);
    let page = get_json(&client, format!("{}/api/v1/tickets?limit=1", server.base), &again).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    server.stop();
}

/// A GET of the API as JSON, held against the served OpenAPI document.
async fn get_json(client: &reqwest::Client, url: String, token: &str) -> Value {
    checked(client, client.get(url).bearer_auth(token)).await
}

/// Sends an API request and checks the answer against the OpenAPI document the same server
/// serves (`yunwei_contract`): the demo's and the generator's histories reach
/// states the API suite does not.
async fn checked(client: &reqwest::Client, req: reqwest::RequestBuilder) -> Value {
    let req = req.build().unwrap();
    let (method, path) = (req.method().to_string(), req.url().path().to_string());
    let base = req.url().as_str().split("/api/v1").next().unwrap().to_string();
    let contract = Contract::fetch(client, &base).await;
    let res = client.execute(req).await.unwrap();
    let status = res.status().as_u16();
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let bytes = res.bytes().await.unwrap();
    if let Err(e) = contract.check_response(&method, &path, status, &content_type, &bytes) {
        panic!("the answer breaks the OpenAPI document: {e}");
    }
    serde_json::from_slice(&bytes).unwrap()
}

/// Every ticket of the installation as JSON, page by page.
async fn all_tickets(client: &reqwest::Client, base: &str, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut req = client.get(format!("{base}/api/v1/tickets")).bearer_auth(token).query(&[("limit", "200")]);
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c.as_str())]);
        }
        let page: Value = checked(client, req).await;
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

#[tokio::test]
async fn generate_fills_an_empty_store_with_a_consistent_history_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let pg = TestStore::new(Backend::Postgres).await;
    let lite = sqlite_args(dir.path());
    let stores: [Vec<&str>; 2] = [lite.iter().map(String::as_str).collect(), vec!["--database-url", pg.url.as_str()]];
    for args in stores {
        let mut gen_args =
            vec!["generate", "--tickets", "600", "--years", "1", "--tenants", "3", "--users-per-tenant", "4"];
        gen_args.extend_from_slice(&args);
        let (ok, _, err) = run(&gen_args, "");
        assert!(ok && err.contains("generated 600 tickets"), "{err}");
        let (ok, _, err) = run(&gen_args, "");
        assert!(!ok && err.contains("already has tickets"), "a second run must refuse: {err}");

        let mut token_args = vec!["token", "create", "bench.admin"];
        token_args.extend_from_slice(&args);
        let (ok, token, err) = run(&token_args, "");
        assert!(ok, "{err}");
        let token = token.trim().to_string();
        let server = Server::start(&args);
        let client = reqwest::Client::new();
        let tickets = all_tickets(&client, &server.base, &token).await;
        assert_eq!(tickets.len(), 600);
        let mut numbers: Vec<&str> = tickets.iter().map(|t| t["number"].as_str().unwrap()).collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), 600, "numbers are unique");
        let status = |s: &str| tickets.iter().filter(|t| t["status"] == s).count();
        assert!(status("closed") > 400, "a year of history is mostly closed");
        for t in &tickets {
            let at = |f: &str| t[f].as_str().map(|s| s.parse::<jiff::Timestamp>().unwrap());
            let created = at("created_at").unwrap();
            for later in ["assigned_at", "first_response_at", "resolved_at", "closed_at", "cancelled_at"] {
                if let Some(x) = at(later) {
                    assert!(x >= created && x <= at("updated_at").unwrap(), "{} {later} out of order", t["number"]);
                }
            }
            if t["status"] == "closed" {
                assert!(at("resolved_at").unwrap() < at("closed_at").unwrap(), "{}", t["number"]);
            }
        }
        // The history is what the ticket page shows.
        let n = tickets.iter().find(|t| t["status"] == "closed").unwrap()["number"].as_str().unwrap();
        let timeline: Value = get_json(&client, format!("{}/api/v1/tickets/{n}/timeline", server.base), &token).await;
        let kinds: Vec<&str> =
            timeline["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!((kinds.first(), kinds.last()), (Some(&"created"), Some(&"close")), "{kinds:?}");
        // Clocks: the compliance report agrees with the clocks it is made of.
        let report: Value = get_json(&client, format!("{}/api/v1/reports/sla", server.base), &token).await;
        let row = report["items"].as_array().unwrap().iter().find(|r| r["clock"] == "resolution").unwrap().clone();
        let cancelled = status("cancelled") as i64;
        assert_eq!(row["total"].as_i64().unwrap() + cancelled, 600, "{row}");
        assert!(row["met"].as_i64().unwrap() > 0 && row["breached"].as_i64().unwrap() > 0, "{row}");
        // Generated text is searchable, and new tickets carry on the numbering.
        let found: Value = client
            .get(format!("{}/api/v1/tickets", server.base))
            .bearer_auth(&token)
            .query(&[("q", "打印机"), ("limit", "200")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let found = found["items"].as_array().unwrap();
        let text =
            |t: &Value| ["title", "description", "resolution_notes"].map(|f| t[f].as_str().unwrap_or("")).concat();
        assert!(!found.is_empty() && found.iter().all(|t| text(t).contains("打印机")), "{found:?}");
        let requester = tickets[0]["requester_id"].as_i64().unwrap();
        let res = client
            .post(format!("{}/api/v1/tickets", server.base))
            .bearer_auth(&token)
            .json(&json!({ "title": "新工单 after the data set", "requester_id": requester, "channel": "phone" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let created: Value = res.json().await.unwrap();
        let highest = numbers.iter().filter(|n| n.starts_with("INC-")).max().unwrap();
        assert!(created["number"].as_str().unwrap() > *highest, "{created} after {highest}");
        server.stop();
    }
}

#[tokio::test]
async fn the_openapi_document_is_public_and_every_documented_endpoint_is_routed() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_args(dir.path());
    let store: Vec<&str> = store.iter().map(String::as_str).collect();
    let server = Server::start(&store);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let res = client.get(format!("{}/api/v1/openapi.json", server.base)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let doc: Value = res.json().await.expect("the document is JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["components"]["schemas"]["Ticket"].is_object());
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.keys().all(|p| p.starts_with(yunwei_contract::PREFIX)), "the checker looks under another prefix");
    let mut checked = 0;
    let mut operation_ids = std::collections::HashSet::new();
    for (method, path) in Contract::new(doc.clone()).operations() {
        let op = &doc["paths"][&path][&method];
        assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{method} {path} has no summary");
        assert!(
            operation_ids.insert(op["operationId"].to_string()),
            "{method} {path}: operationId {} twice",
            op["operationId"]
        );
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "path" {
                assert!(path.contains(&format!("{{{}}}", p["name"].as_str().unwrap())), "{method} {path}: {p}");
            }
        }
        let concrete = path.replace("{ticket}", "1").replace("{id}", "1");
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = client.request(m, format!("{}{concrete}", server.base)).send().await.unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if path == "/api/v1/openapi.json" {
            assert_eq!(status, 200);
        } else {
            assert_eq!(status, 401, "{method} {path} answered {status} ({body}), so it is not routed");
            assert_eq!(body["error"]["code"], "unauthenticated", "{method} {path}");
        }
        checked += 1;
    }
    assert!(checked >= 60, "only {checked} endpoints documented");
    // Times are RFC 3339 strings, said so in the document.
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        for (field, p) in schema["properties"].as_object().into_iter().flatten() {
            if field.ends_with("_at") || field.ends_with("_since") || field == "at" {
                assert_eq!(p["format"], "date-time", "{name}.{field} is a time");
            }
        }
    }
    // The document names every `#/components/schemas/…` it uses.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &r[..r.find('"').unwrap()];
        assert!(doc["components"]["schemas"][name].is_object(), "{name} is used but not defined");
    }
    // Something that is not routed is a JSON 404.
    let missing = client.get(format!("{}/api/v1/nothing/here", server.base)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    server.stop();
}
