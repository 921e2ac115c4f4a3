//! The operations: what each one sends, prepared once per phase (untimed) and then repeated by
//! every worker.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::{Http, send};
use crate::rng::Rng;
use crate::runner::Worker;
use crate::world::{self, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OpKind {
    Create,
    Open,
    Queue,
    Search,
    Action,
    Dashboard,
    #[value(name = "sla_report", alias = "sla-report")]
    SlaReport,
    #[value(name = "breaching_soon", alias = "breaching-soon")]
    BreachingSoon,
    /// Impact analysis 6 levels deep from a CI.
    Impact,
    /// A CI's page in the web UI.
    Ci,
}

pub const ALL_OPS: &str = "create,open,queue,search,action,dashboard,sla_report,breaching_soon,impact,ci";

impl OpKind {
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Create => "create",
            OpKind::Open => "open",
            OpKind::Queue => "queue",
            OpKind::Search => "search",
            OpKind::Action => "action",
            OpKind::Dashboard => "dashboard",
            OpKind::SlaReport => "sla_report",
            OpKind::BreachingSoon => "breaching_soon",
            OpKind::Impact => "impact",
            OpKind::Ci => "ci",
        }
    }

    /// The labelled parts an operation's samples fall into (reported beside the total); one
    /// unnamed part for the others.
    pub fn parts(self) -> &'static [&'static str] {
        match self {
            OpKind::Queue => &QUEUE_SHAPES,
            OpKind::Search => &["zh", "en"],
            OpKind::Action => &["dispatch", "claim", "resolve", "close"],
            OpKind::Impact => &IMPACT_FROM,
            _ => &[""],
        }
    }

    pub fn needs_api(self) -> bool {
        !matches!(self, OpKind::Dashboard | OpKind::Ci)
    }
}

/// Where impact analysis starts, each with its direction: down from the clients' access
/// switches, the provider's shared core switches (whose failure reaches every client: the
/// walk stops at its 5,000-CI limit) and servers, up from business services and PCs.
const IMPACT_FROM: [&str; 5] = ["switch", "core switch", "server", "business_service", "pc"];
/// How many of [`IMPACT_FROM`] go down.
const IMPACT_DOWN: usize = 3;

/// How many existing tickets `open` spreads over.
const OPEN_POOL: usize = 5000;

const QUEUE_SHAPES: [&str; 6] = ["group", "tenant", "assignee", "closed_category", "page2", "all"];

pub const DEFAULT_TERMS: &str =
    "打印机,密码,网络,邮箱,VPN,printer,password,network,email,系统,账号,无法登录,蓝屏,outlook,wifi,slow";

/// What the caller asked for that preparing needs.
pub struct Options {
    pub terms: Vec<String>,
    pub ui_login: Option<String>,
    pub ui_password: Option<String>,
}

/// One operation, ready to run: the world and whatever the phase prepared.
pub struct Prepared {
    pub kind: OpKind,
    pub http: Http,
    pub world: Arc<World>,
    pub numbers: Vec<String>,
    /// Queue shapes (indexes into [`QUEUE_SHAPES`]) that have values to fill them with.
    pub shapes: Vec<usize>,
    pub page2: Vec<Vec<(&'static str, String)>>,
    pub terms: Vec<String>,
    pub cookie: String,
    pub action_group: (i64, bool),
    pub fixed_query: Vec<(&'static str, String)>,
    /// CIs to start from or open, by the part they count in.
    pub cis: Vec<Vec<i64>>,
}

impl Prepared {
    /// How many timed requests one iteration makes.
    pub fn cost(&self) -> u64 {
        match self.kind {
            OpKind::Action if self.action_group.1 => 4,
            OpKind::Action => 3,
            _ => 1,
        }
    }

    /// A line for the console saying what the phase sends.
    pub fn describe(&self) -> String {
        match self.kind {
            OpKind::Create => "POST /api/v1/tickets (bilingual phone ticket)".into(),
            OpKind::Open => format!("GET /api/v1/tickets/{{number}} over {} existing tickets", self.numbers.len()),
            OpKind::Queue => format!(
                "GET /api/v1/tickets queue pages, shapes: {}",
                self.shapes.iter().map(|&s| QUEUE_SHAPES[s]).collect::<Vec<_>>().join(", ")
            ),
            OpKind::Search => format!("GET /api/v1/tickets?q=… over {} terms", self.terms.len()),
            OpKind::Action => format!(
                "untimed POST /tickets, then timed {} to group {}",
                if self.action_group.1 {
                    "dispatch → claim → resolve → close"
                } else {
                    "dispatch → resolve → close"
                },
                self.action_group.0
            ),
            OpKind::Dashboard => "GET /console/dashboard with a web session".into(),
            OpKind::SlaReport => format!("GET /api/v1/reports/sla?{}", show_query(&self.fixed_query)),
            OpKind::BreachingSoon => format!("GET /api/v1/sla/breaching-soon?{}", show_query(&self.fixed_query)),
            OpKind::Impact => format!(
                "GET /api/v1/cis/{{id}}/impact?depth=6 from {} CIs (access and core switches and servers down, services and PCs up)",
                self.cis.iter().map(Vec::len).sum::<usize>()
            ),
            OpKind::Ci => {
                format!("GET /cmdb/{{id}} with a web session over {} CIs", self.cis.iter().map(Vec::len).sum::<usize>())
            }
        }
    }
}

fn show_query(q: &[(&str, String)]) -> String {
    q.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

fn queue_params(shape: usize, rng: &mut Rng, w: &World) -> Vec<(&'static str, String)> {
    let fifty = ("limit", "50".to_string());
    let pick = |rng: &mut Rng, v: &[i64]| rng.pick(v).copied().unwrap_or(0).to_string();
    match shape {
        0 => {
            let g = rng.pick(&w.groups).map(|g| g.id).unwrap_or(0);
            vec![("status", "open".into()), ("group_id", g.to_string()), ("sort", "-priority".into()), fifty]
        }
        1 => {
            vec![("status", "open".into()), ("tenant_id", pick(rng, &w.tenants)), ("sort", "-updated_at".into()), fifty]
        }
        2 => vec![("assignee_id", pick(rng, &w.assignees)), ("status", "open".into()), fifty],
        3 => vec![
            ("status", "closed".into()),
            ("sort", "-updated_at".into()),
            fifty,
            ("category_id", pick(rng, &w.categories)),
        ],
        // An administrator's list of every ticket in the default order (last changed first).
        _ => vec![fifty],
    }
}

/// The current month's first day and the one before it, as RFC 3339 instants in UTC.
pub fn last_month() -> (String, String) {
    let this = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().first_of_month();
    let last = this.checked_sub(jiff::Span::new().months(1)).unwrap_or(this);
    (format!("{last}T00:00:00Z"), format!("{this}T00:00:00Z"))
}

/// Gets an operation ready; `Err` says why it is skipped.
pub async fn prepare(
    kind: OpKind,
    http: &Http,
    world: &Arc<World>,
    opts: &Options,
    rng: &mut Rng,
) -> Result<Prepared, String> {
    let mut p = Prepared {
        kind,
        http: http.clone(),
        world: world.clone(),
        numbers: Vec::new(),
        shapes: Vec::new(),
        page2: Vec::new(),
        terms: Vec::new(),
        cookie: String::new(),
        action_group: (0, false),
        fixed_query: Vec::new(),
        cis: Vec::new(),
    };
    match kind {
        OpKind::Create => {}
        OpKind::Open => {
            p.numbers = world::ticket_pool(http, rng, OPEN_POOL).await?;
            if p.numbers.is_empty() {
                return Err("there are no tickets to open (run create first, or load data)".into());
            }
        }
        OpKind::Queue => {
            let w = &**world;
            let have = [!w.groups.is_empty(), !w.tenants.is_empty(), !w.assignees.is_empty(), !w.categories.is_empty()];
            p.shapes = (0..4).filter(|&s| have[s]).collect();
            // Page 2: the first open-by-group or open-by-tenant queue long enough to have one,
            // else the busiest lists there are.
            let mut candidates: Vec<Vec<(&'static str, String)>> = Vec::new();
            let fifty = || ("limit", "50".to_string());
            for g in w.groups.iter().take(8) {
                candidates.push(vec![
                    ("status", "open".into()),
                    ("group_id", g.id.to_string()),
                    ("sort", "-priority".into()),
                    fifty(),
                ]);
            }
            for t in w.tenants.iter().take(4) {
                candidates.push(vec![
                    ("status", "open".into()),
                    ("tenant_id", t.to_string()),
                    ("sort", "-updated_at".into()),
                    fifty(),
                ]);
            }
            candidates.push(vec![("status", "open".into()), ("sort", "-priority".into()), fifty()]);
            candidates.push(vec![("status", "closed".into()), ("sort", "-updated_at".into()), fifty()]);
            for q in candidates {
                if let Some(q2) = world::second_page(http, &q).await? {
                    p.page2.push(q2);
                }
                if p.page2.len() >= 4 {
                    break;
                }
            }
            if !p.page2.is_empty() {
                p.shapes.push(4);
            }
            p.shapes.push(5);
        }
        OpKind::Search => {
            p.terms = opts.terms.iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect();
            if p.terms.is_empty() {
                return Err("--search-terms is empty".into());
            }
        }
        OpKind::Action => {
            p.action_group = world.action_group().ok_or("there is no active support group to dispatch to")?;
        }
        OpKind::Dashboard => {
            let (Some(login), Some(password)) = (&opts.ui_login, &opts.ui_password) else {
                return Err("give --ui-login and --ui-password of a staff account (in the demo: liu.yang)".into());
            };
            p.cookie = http.ui_login(login, password, "/console/dashboard").await?;
            // One untimed look, so that a login without the dashboard is said clearly.
            send(http.page("console/dashboard", &p.cookie)).await.map_err(|f| {
                format!("{login:?} is logged in but cannot open /console/dashboard ({f}); use a group lead's account")
            })?;
        }
        OpKind::SlaReport => {
            let (from, to) = last_month();
            p.fixed_query = vec![("group_by", "priority".into()), ("from", from), ("to", to)];
        }
        OpKind::BreachingSoon => {
            p.fixed_query = vec![("within_hours", "4".into())];
        }
        OpKind::Impact | OpKind::Ci => {
            for part in IMPACT_FROM {
                // The core switches are the provider's; the other parts are the clients' (the
                // list is by name, and a client's access switches come first).
                let (class, tenant) = match part {
                    "core switch" => ("switch", p.world.provider.or(Some(-1))),
                    class => (class, None),
                };
                p.cis.push(world::ci_pool(http, class, tenant, 500).await?);
            }
            if p.cis.iter().all(Vec::is_empty) {
                return Err("there are no CIs (generate them with `yunwei generate --cis N`)".into());
            }
            if kind == OpKind::Ci {
                let (Some(login), Some(password)) = (&opts.ui_login, &opts.ui_password) else {
                    return Err("give --ui-login and --ui-password of a staff account".into());
                };
                p.cookie = http.ui_login(login, password, "/cmdb").await?;
                p.cis = vec![p.cis.concat()];
            }
        }
    }
    Ok(p)
}

/// What the answer to a ticket POST tells the next step.
#[derive(Deserialize)]
struct Answer {
    number: String,
    version: i64,
}

// Realistic phone tickets: (zh title, en title, zh detail, en detail, type).
const TICKETS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "打印机无法打印",
        "Printer cannot print",
        "打印任务一直排队，重启电脑无效",
        "jobs stay queued; restarting the PC did not help",
        "incident",
    ),
    (
        "忘记邮箱密码",
        "Forgot email password",
        "用户无法登录邮箱，需要重置密码",
        "the user cannot log in to email and needs a password reset",
        "incident",
    ),
    (
        "VPN 连接频繁断开",
        "VPN keeps disconnecting",
        "在家办公时每隔十分钟断开一次",
        "drops every ten minutes when working from home",
        "incident",
    ),
    (
        "系统响应缓慢",
        "System is very slow",
        "收费系统打开页面需要一分钟以上",
        "the billing system takes over a minute to open a page",
        "incident",
    ),
    (
        "电脑蓝屏后自动重启",
        "PC blue-screens and reboots",
        "开机半小时左右出现蓝屏",
        "a blue screen appears about half an hour after start-up",
        "incident",
    ),
    (
        "无线网络无法连接",
        "Cannot connect to Wi-Fi",
        "会议室的笔记本都连不上无线网络",
        "no laptop in the meeting room can join the Wi-Fi",
        "incident",
    ),
    (
        "显示器没有信号",
        "Monitor shows no signal",
        "更换线缆后仍然黑屏",
        "still black after swapping the cable",
        "incident",
    ),
    (
        "账号被锁定",
        "Account locked",
        "多次输错密码后域账号被锁定",
        "the domain account locked after several wrong passwords",
        "incident",
    ),
    (
        "申请开通共享盘权限",
        "Request access to a shared drive",
        "新同事需要访问财务共享目录",
        "a new colleague needs the finance share",
        "request",
    ),
    (
        "申请安装办公软件",
        "Request office software installation",
        "需要安装 PDF 编辑软件",
        "needs a PDF editor installed",
        "request",
    ),
];

fn create_body(rng: &mut Rng, w: &World) -> Value {
    let (zt, et, zd, ed, ty) = TICKETS[rng.below(TICKETS.len())];
    let floor = 1 + rng.below(12);
    let room = 100 * floor + 1 + rng.below(30);
    let ext = 1000 + rng.below(9000);
    let mut body = json!({
        "type": ty,
        "title": format!("{floor}楼 {room} {zt} · {et} (room {room})"),
        "description": format!("报障人来电：{zd}。分机 {ext}。\nCaller reports: {ed}. Extension {ext}."),
        "channel": "phone",
        // Mostly a single user affected and no rush; now and then a wider, urgent fault.
        "impact": 1 + rng.weighted(&[5, 15, 50, 30]),
        "urgency": 1 + rng.weighted(&[5, 20, 50, 25]),
    });
    if let Some(u) = rng.pick(&w.end_users) {
        body["requester_id"] = json!(u);
    }
    if let Some(c) = rng.pick(&w.leaf_categories) {
        body["category_id"] = json!(c);
    }
    body
}

/// One iteration of `p`'s operation: one timed request, or for `action` a chain of them.
pub async fn once(p: &Prepared, w: &mut Worker) {
    let http = &p.http;
    match p.kind {
        OpKind::Create => {
            let body = create_body(&mut w.rng, &p.world);
            w.timed(0, http.post("tickets", &body)).await;
        }
        OpKind::Open => {
            let n = p.numbers[w.rng.below(p.numbers.len())].clone();
            w.timed(0, http.get(&format!("tickets/{n}"))).await;
        }
        OpKind::Queue => {
            let shape = p.shapes[w.turn % p.shapes.len()];
            let q = if shape == 4 {
                p.page2[w.rng.below(p.page2.len())].clone()
            } else {
                queue_params(shape, &mut w.rng, &p.world)
            };
            w.timed(shape, http.get("tickets").query(&q)).await;
        }
        OpKind::Search => {
            let term = &p.terms[w.turn % p.terms.len()];
            let part = if term.is_ascii() { 1 } else { 0 };
            w.timed(part, http.get("tickets").query(&[("q", term.as_str()), ("limit", "50")])).await;
        }
        OpKind::Action => action_chain(p, w).await,
        OpKind::Dashboard => {
            w.timed(0, http.page("console/dashboard", &p.cookie)).await;
        }
        OpKind::SlaReport => {
            w.timed(0, http.get("reports/sla").query(&p.fixed_query)).await;
        }
        OpKind::BreachingSoon => {
            w.timed(0, http.get("sla/breaching-soon").query(&p.fixed_query)).await;
        }
        OpKind::Impact => {
            let part = w.turn % p.cis.len();
            if let Some(id) = w.rng.pick(&p.cis[part]).copied() {
                let direction = if part < IMPACT_DOWN { "down" } else { "up" };
                let q = [("direction", direction), ("depth", "6")];
                w.timed(part, http.get(&format!("cis/{id}/impact")).query(&q)).await;
            }
        }
        OpKind::Ci => {
            if let Some(id) = w.rng.pick(&p.cis[0]).copied() {
                w.timed(0, http.page(&format!("cmdb/{id}"), &p.cookie)).await;
            }
        }
    }
    w.turn += 1;
}

async fn action_chain(p: &Prepared, w: &mut Worker) {
    let http = &p.http;
    let body = create_body(&mut w.rng, &p.world);
    let Some(b) = w.untimed("create (untimed)", http.post("tickets", &body)).await else { return };
    let Some(mut t) = w.read::<Answer>("create (untimed)", &b) else { return };
    let (group, member) = p.action_group;
    let mut steps: Vec<(usize, &str, Value)> = vec![(0, "dispatch", json!({ "group_id": group }))];
    if member {
        steps.push((1, "claim", json!({})));
    }
    steps.push((
        2,
        "resolve",
        json!({ "code": "solved", "notes": "已远程处理，用户确认恢复正常。Fixed remotely; the user confirms it works." }),
    ));
    steps.push((3, "close", json!({})));
    for (part, action, mut body) in steps {
        body["version"] = json!(t.version);
        let Some(b) = w.timed(part, http.post(&format!("tickets/{}/{action}", t.number), &body)).await else {
            return;
        };
        match w.read::<Answer>(action, &b) {
            Some(next) => t = next,
            None => return,
        }
    }
}
