//! `yunwei generate`: fills an empty installation with a large, realistic data set for the
//! benchmarks — client organisations, a provider's L1/L2/L3 groups and engineers, end users and
//! locations through the ordinary store operations, then tickets over several years with their
//! whole history (dispatch, claim, escalation, replies, notes, pauses, resolution, closure), SLA
//! clocks and firings derived by the same domain rules as live tickets, written in bulk.
//!
//! Volume grows over the years and follows the working week and working day; most old tickets
//! are closed, recent ones are spread over every state. Text is Chinese and English.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use jiff::{SignedDuration, Timestamp, ToSpan, tz::TimeZone};
use yunwei_db::Store;
use yunwei_db::Tx;
use yunwei_desk::rules::priority::PriorityMatrix;
use yunwei_desk::rules::sla::{Clock, ClockKind, ClockStatus, Targets};
use yunwei_desk::store::bulk::{self, HistoryClock, HistoryEvent, HistoryTicket, IdTable};
use yunwei_desk::store::categories;
use yunwei_desk::store::demo;
use yunwei_desk::store::matrix;
use yunwei_desk::store::sla;
use yunwei_desk::store::sla::PolicyRow;
use yunwei_kernel::calendar::Calendar;
use yunwei_kernel::permission::Actor;
use yunwei_org::groups;
use yunwei_org::locations;
use yunwei_org::tenants;
use yunwei_org::users;

use crate::Fallible;
use crate::rng::Rng;

pub const ADMIN_LOGIN: &str = "bench.admin";
pub const PASSWORD: &str = "bench-pass";

/// How much to generate.
#[derive(Debug, Clone)]
pub struct Scale {
    pub tickets: u64,
    pub years: u32,
    pub tenants: usize,
    pub users_per_tenant: usize,
    pub seed: u64,
    /// Configuration items and relationships between them.
    pub cis: u64,
    pub relationships: u64,
}

pub struct Summary {
    pub tickets: u64,
    pub events: u64,
    pub clocks: u64,
    pub users: usize,
    pub cis: u64,
    pub relationships: u64,
    pub seconds: f64,
}

/// The people and places tickets are made of.
struct Cast {
    admin: Actor,
    /// Per tenant: its id, end users and locations (with their responsible group).
    tenants: Vec<(i64, Vec<i64>, Vec<i64>)>,
    tenant_weights: Vec<f64>,
    /// L1 group and its agents.
    desk: (i64, Vec<i64>),
    /// L2 groups with their agents, by the category family they handle.
    second: Vec<(&'static str, i64, Vec<i64>)>,
    /// L3 group and its engineers.
    third: (i64, Vec<i64>),
    /// Leaf categories: (id, code).
    categories: Vec<(i64, String)>,
}

const CLIENTS: &[(&str, &str)] = &[
    ("华东医院", "East China Hospital"),
    ("星辰物流", "Stellar Logistics"),
    ("江南银行", "Jiangnan Bank"),
    ("滨海市政务中心", "Binhai Government Service Centre"),
    ("远航制造", "Yuanhang Manufacturing"),
    ("青禾大学", "Qinghe University"),
    ("金桥证券", "Golden Bridge Securities"),
    ("瑞丰保险", "Ruifeng Insurance"),
    ("蓝海零售", "Blue Ocean Retail"),
    ("北辰能源", "Beichen Energy"),
];

const SURNAMES: &[&str] =
    &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林"];
const GIVEN: &[&str] =
    &["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超"];
const EN_NAMES: &[&str] = &["Anna", "Mark", "Emily", "David", "Raj", "Sofia", "Tom", "Lena", "Omar", "Grace"];
const EN_SURNAMES: &[&str] = &["Berg", "Wood", "Chen", "Miller", "Patel", "Rossi", "Klein", "Novak", "Haddad", "Kim"];

/// Titles per leaf category code: a bilingual mix, as users write them.
const TITLES: &[(&str, &[&str])] = &[
    (
        "HW-PC",
        &["电脑开机蓝屏", "Laptop battery no longer charges", "笔记本风扇噪音很大", "PC will not boot after power cut"],
    ),
    ("HW-PRN", &["打印机卡纸，无法打印", "Printer prints blank pages", "网络打印机脱机", "打印机墨粉不足需要更换"]),
    (
        "HW-SRV",
        &["服务器风扇告警", "Server disk failure in rack B2", "服务器电源模块故障", "RAID controller battery warning"],
    ),
    ("HW-STO", &["存储阵列容量告警", "SAN path down on storage controller", "磁带库备份失败"]),
    ("HW-PER", &["显示器黑屏", "Docking station not detected", "键盘部分按键失灵", "扫描仪无法识别"]),
    (
        "SW-OS",
        &["Windows 更新后无法登录", "Blue screen after Windows update", "系统盘空间不足", "Clock out of sync on PC"],
    ),
    (
        "SW-OFF",
        &["Outlook 无法连接服务器", "Excel crashes when opening large files", "WPS 文档无法保存", "Word 文档打开乱码"],
    ),
    ("SW-APP", &["财务系统登录报错", "ERP report export times out", "HIS 系统开单缓慢", "OA 审批流程卡住"]),
    ("SW-AV", &["杀毒软件病毒库过期", "Antivirus definitions out of date", "终端发现可疑程序"]),
    (
        "NET-LAN",
        &["网口不通，无法上网", "Cannot reach the shared drive", "IP 地址冲突", "Switch port flapping on floor 3"],
    ),
    ("NET-WIFI", &["三楼无线网络频繁掉线", "Guest Wi-Fi portal does not load", "会议室无线信号弱"]),
    ("NET-VPN", &["VPN 连接后无法访问内网", "VPN connects but no intranet access", "VPN 客户端证书过期"]),
    (
        "NET-MAIL",
        &[
            "邮件发送被退回",
            "Mailbox full, cannot receive email",
            "邮箱密码过期无法登录",
            "Shared mailbox missing in Outlook",
        ],
    ),
    ("HUM-OP", &["误删了共享盘上的文件", "Deleted a folder by mistake", "误关闭了生产服务"]),
    ("HUM-CFG", &["默认打印机设置错误", "Wrong proxy settings on PC", "防火墙策略配置错误"]),
    (
        "HUM-ACC",
        &["忘记 OA 系统密码", "Account locked after password attempts", "域账号被锁定", "Reset password for HIS"],
    ),
    ("SYS-CRASH", &["业务系统宕机", "Application server crashed overnight", "中间件服务异常重启"]),
    ("SYS-PERF", &["OA 系统访问缓慢", "Web portal very slow at peak hours", "数据库查询响应慢"]),
    (
        "SYS-DB",
        &[
            "数据库备份作业失败",
            "Database backup job failed last night",
            "数据库表空间不足",
            "Replication lag on reporting DB",
        ],
    ),
    ("SYS-MW", &["消息队列堆积告警", "Tomcat thread pool exhausted", "Nginx 502 错误"]),
    (
        "SR-ACC",
        &["申请开通 VPN 账号", "New starter: accounts for Monday", "申请开通邮箱", "Access to the finance share"],
    ),
    (
        "SR-SW",
        &["申请安装 Visio", "Install Adobe Acrobat Pro", "申请安装 CAD 软件", "Upgrade WPS to the latest version"],
    ),
    ("SR-EQ", &["申请第二台显示器", "Request a second monitor", "申请更换笔记本电脑", "Need a headset for calls"]),
    ("SR-MOVE", &["会议室搬迁调整网络端口", "Move desk phone and PC to room 402", "部门搬迁需要重新布线"]),
];

const DETAILS: &[&str] = &[
    "从今天上午开始出现，重启后问题依旧。",
    "影响整个科室的日常工作，请尽快处理。",
    "Started this morning; a restart did not help.",
    "Several colleagues on the same floor see the same problem.",
    "错误提示：连接超时，请稍后重试。",
    "Error message: the operation timed out.",
    "昨天还正常，今天突然不行了。",
    "It happens every few minutes since the network change last week.",
];

const REPLIES: &[&str] = &[
    "您好，已收到，工程师正在处理。",
    "Hello, we have received your request and an engineer is on it.",
    "请问问题是否仍然存在？方便时请回电。",
    "Could you send a screenshot of the error?",
    "已远程连接检查，正在排查原因。",
    "We are checking the logs now.",
];

const NOTES: &[&str] = &[
    "初步判断为驱动问题，已重新安装。",
    "Looks like a cabling fault; spare cable on the way.",
    "已联系厂商，等待备件。",
    "Escalating: needs access to the core switch.",
    "日志显示磁盘 I/O 异常。",
];

const RESOLUTIONS: &[(&str, &str)] = &[
    ("solved", "已更换故障部件，测试正常。"),
    ("solved", "Reinstalled the driver; the user confirmed it works."),
    ("workaround", "临时切换到备用打印机，待厂商上门维修。"),
    ("user_guidance", "Showed the user how to reset the password in the portal."),
    ("solved", "清理了打印队列并重启打印服务。"),
    ("fulfilled", "已按申请完成开通和安装。"),
    ("no_fault_found", "Could not reproduce; monitoring for a week."),
];

/// Fills `store` at `scale`; refuses a store that already has tickets.
pub async fn run(store: &Store, scale: &Scale) -> Fallible<Summary> {
    let started = Instant::now();
    let mut tx = store.write().await?;
    if demo::has_tickets(&mut tx).await? {
        return Err("this installation already has tickets; generate into an empty data directory or database".into());
    }
    eprintln!("generate: organisations, groups, {} users …", scale.tenants * scale.users_per_tenant);
    let mut rng = Rng::new(scale.seed);
    let cast = cast(&mut tx, scale, &mut rng).await?;
    let matrix = matrix::get(&mut tx).await?;
    let policy = sla::list_policies(&mut tx, &cast.admin)
        .await?
        .into_iter()
        .find(|p| p.active && p.tenant_id.is_none() && p.ticket_type.is_none() && p.category_id.is_none())
        .ok_or("no default SLA policy")?;
    let calendar = sla::get_calendar(&mut tx, &cast.admin, policy.calendar_id).await?.calendar()?;
    tx.commit().await?;

    let now = Timestamp::now();
    let days = day_counts(scale, now, &mut rng);
    let bar = ProgressBar::new(scale.tickets);
    bar.set_style(
        ProgressStyle::with_template("generate: {bar:40} {pos}/{len} tickets  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let ctx = Context { cast: &cast, matrix: &matrix, policy: &policy, targets: policy.targets(), calendar, now };
    let mut summary = Summary { tickets: 0, events: 0, clocks: 0, users: 0, cis: 0, relationships: 0, seconds: 0.0 };
    let mut day_iter = days.into_iter().flat_map(|(day, n)| (0..n).map(move |i| (day, i, n)));
    const BATCH: usize = 5_000;
    loop {
        let slots: Vec<(Timestamp, u64, u64)> = day_iter.by_ref().take(BATCH).collect();
        if slots.is_empty() {
            break;
        }
        let mut tx = store.write().await?;
        let mut next_ticket = bulk::reserve_ids(&mut tx, IdTable::Tickets).await?;
        let mut next_clock = bulk::reserve_ids(&mut tx, IdTable::Clocks).await?;
        let mut batch = Vec::with_capacity(slots.len());
        for (day, i, n) in slots {
            let created = time_in_day(day, i, n, &mut rng);
            let mut t = ctx.ticket(created, &mut rng);
            t.id = next_ticket;
            next_ticket += 1;
            for c in &mut t.clocks {
                c.id = next_clock;
                next_clock += 1;
            }
            batch.push(t);
        }
        for prefix in ["INC", "REQ"] {
            let kind = if prefix == "INC" { "incident" } else { "request" };
            let count = batch.iter().filter(|t| t.ticket_type == kind).count() as i64;
            if count == 0 {
                continue;
            }
            let mut seq = bulk::reserve_numbers(&mut tx, prefix, count).await?;
            for t in batch.iter_mut().filter(|t| t.ticket_type == kind) {
                t.number = format!("{prefix}-{seq:06}");
                seq += 1;
            }
        }
        bulk::insert_history(&mut tx, &batch).await?;
        tx.commit().await?;
        summary.tickets += batch.len() as u64;
        summary.events += batch.iter().map(|t| t.events.len() as u64).sum::<u64>();
        summary.clocks += batch.iter().map(|t| t.clocks.len() as u64).sum::<u64>();
        bar.inc(batch.len() as u64);
    }
    bar.finish();
    eprintln!("generate: refreshing statistics …");
    let mut tx = store.write().await?;
    bulk::finish(&mut tx).await?;
    tx.commit().await?;
    summary.users = cast.tenants.iter().map(|(_, u, _)| u.len()).sum();
    eprintln!("generate: configuration estate, {} CIs …", scale.cis);
    let mut tx = store.write().await?;
    let provider = tenants::provider(&mut tx).await?.id;
    tx.commit().await?;
    let clients: Vec<crate::generate_cmdb::Client<'_>> = cast
        .tenants
        .iter()
        .map(|(tenant_id, users, locations)| crate::generate_cmdb::Client { tenant_id: *tenant_id, users, locations })
        .collect();
    let loaded = crate::generate_cmdb::run(store, provider, &clients, scale.cis, scale.relationships, &mut rng).await?;
    eprintln!("generate: {} tickets name a CI", loaded.ticket_links);
    summary.cis = loaded.cis;
    summary.relationships = loaded.relationships;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// How many tickets each day gets: growing over the years (a client base that grows), a
/// quarter of a weekday's on weekends. Days are local midnights in Asia/Shanghai.
fn day_counts(scale: &Scale, now: Timestamp, rng: &mut Rng) -> Vec<(Timestamp, u64)> {
    let tz = TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::UTC);
    let today = now.to_zoned(tz.clone()).date();
    let total_days = i64::from(scale.years) * 365;
    let mut days = Vec::with_capacity(total_days as usize);
    // Up to yesterday: no ticket is created later today, after now.
    for back in (1..=total_days).rev() {
        let Ok(date) = today.checked_sub(back.days()) else { continue };
        let Ok(midnight) = date.to_zoned(tz.clone()) else { continue };
        let age = back as f64 / total_days as f64;
        let weekend = matches!(date.weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday);
        let weight = (1.0 - 0.6 * age) * if weekend { 0.25 } else { 1.0 } * (0.85 + 0.3 * rng.unit());
        days.push((midnight.timestamp(), weight));
    }
    let sum: f64 = days.iter().map(|(_, w)| w).sum();
    let mut out = Vec::with_capacity(days.len());
    let (mut given, mut acc) = (0u64, 0.0);
    for (day, w) in days {
        acc += w / sum * scale.tickets as f64;
        let upto = (acc.round() as u64).min(scale.tickets);
        out.push((day, upto - given));
        given = upto;
    }
    if let Some(last) = out.last_mut() {
        last.1 += scale.tickets - given;
    }
    out
}

/// The `i`-th of `n` creation times on a day: mostly in working hours, in order.
fn time_in_day(day: Timestamp, i: u64, n: u64, rng: &mut Rng) -> Timestamp {
    // Spread evenly over the working day (08:00–18:30) with a few at night, keeping order.
    let frac = (i as f64 + rng.unit() * 0.9) / n.max(1) as f64;
    let secs = if frac < 0.9 {
        8.0 * 3600.0 + frac / 0.9 * 10.5 * 3600.0
    } else {
        18.5 * 3600.0 + (frac - 0.9) / 0.1 * 5.0 * 3600.0
    };
    day + SignedDuration::from_secs(secs as i64)
}

struct Context<'a> {
    cast: &'a Cast,
    matrix: &'a PriorityMatrix,
    policy: &'a PolicyRow,
    targets: Targets,
    calendar: Calendar,
    now: Timestamp,
}

/// A history being written: events appended in time order.
struct History {
    events: Vec<HistoryEvent>,
    at: Timestamp,
}

impl History {
    fn push(&mut self, kind: &str, actor: Option<i64>, public: bool, body: &str, data: serde_json::Value) {
        self.events.push(HistoryEvent {
            kind: kind.into(),
            actor_id: actor,
            public,
            body: body.into(),
            data: data.to_string(),
            created_at: self.at.as_microsecond(),
        });
    }

    /// Moves time on by an exponentially distributed amount (in minutes), never past `limit`.
    fn wait(&mut self, rng: &mut Rng, mean_minutes: f64, limit: Timestamp) -> bool {
        let next = self.at + SignedDuration::from_secs((rng.exponential(mean_minutes) * 60.0).max(30.0) as i64);
        if next >= limit {
            return false;
        }
        self.at = next;
        true
    }
}

/// How far a ticket's life has got by now.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    New,
    Assigned,
    InProgress,
    Resolved,
    Closed,
}

impl Context<'_> {
    fn ticket(&self, created: Timestamp, rng: &mut Rng) -> HistoryTicket {
        let cast = self.cast;
        let (tenant_id, requesters, locations) = &cast.tenants[rng.weighted(&cast.tenant_weights)];
        let requester = *rng.pick(requesters);
        let is_request = rng.chance(0.28);
        let (category_id, code) = loop {
            let (id, code) = rng.pick(&cast.categories);
            if code.starts_with("SR") == is_request {
                break (*id, code.as_str());
            }
        };
        let titles = TITLES.iter().find(|(c, _)| *c == code).map(|(_, t)| *t).unwrap_or(&["IT 故障 IT fault"]);
        let title = format!("{} #{}", rng.pick(titles), 100 + rng.below(900));
        let description = format!("{} {}", rng.pick(DETAILS), rng.pick(DETAILS));
        let impact = [1u8, 2, 2, 3, 3, 3, 3, 3][rng.below(8)];
        let urgency = [1u8, 2, 2, 3, 3, 3, 3, 3][rng.below(8)];
        let priority = self.matrix.priority(impact, urgency);
        let channel = ["web", "web", "web", "phone", "phone", "email", "email", "walk_in", "monitoring"][rng.below(9)];

        // How far it has got, by age: old tickets are almost all closed.
        let age_days = self.now.duration_since(created).as_secs_f64() / 86_400.0;
        let cancelled = rng.chance(0.03);
        let stage = if age_days > 14.0 {
            [(Stage::Closed, 0.975), (Stage::Resolved, 0.01), (Stage::InProgress, 0.015)]
        } else if age_days > 2.0 {
            [(Stage::Closed, 0.62), (Stage::Resolved, 0.2), (Stage::InProgress, 0.18)]
        } else {
            [(Stage::Resolved, 0.3), (Stage::InProgress, 0.45), (Stage::Assigned, 0.25)]
        };
        let mut stage = stage[rng.weighted(&stage.map(|(_, w)| w))].0;
        if age_days < 2.0 && stage == Stage::Assigned && rng.chance(0.3) {
            stage = Stage::New;
        }

        let mut t = HistoryTicket {
            ticket_type: if is_request { "request" } else { "incident" }.into(),
            tenant_id: *tenant_id,
            title,
            description,
            category_id: Some(category_id),
            channel: channel.into(),
            requester_id: requester,
            location_id: Some(*rng.pick(locations)),
            impact: i64::from(impact),
            urgency: i64::from(urgency),
            priority: i64::from(priority),
            status: "new".into(),
            sla_policy_id: Some(self.policy.id),
            created_by: if channel == "web" { requester } else { *rng.pick(&cast.desk.1) },
            created_at: created.as_microsecond(),
            ..Default::default()
        };
        let mut h = History { events: Vec::new(), at: created };
        let limit = self.now;
        h.push("created", Some(t.created_by), true, "", serde_json::json!({ "status": "new", "priority": priority }));

        // Response and resolution times by priority (minutes, wall clock).
        let p = usize::from(priority.clamp(1, 4)) - 1;
        let respond_mean = [8.0, 25.0, 60.0, 150.0][p];
        let work_mean = [90.0, 300.0, 900.0, 2400.0][p];
        let mut pauses: Vec<(Timestamp, Timestamp)> = Vec::new();
        let mut paused_since = None;
        let mut stop_resolution = None;

        let dispatcher = *rng.pick(&cast.desk.1);
        let family = code.split('-').next().unwrap_or("HW");
        let (group, agents) = if rng.chance(0.35) || family == "HUM" {
            (cast.desk.0, &cast.desk.1)
        } else {
            let (_, g, a) = cast.second.iter().find(|(f, _, _)| *f == family).unwrap_or(&cast.second[0]);
            (*g, a)
        };
        let mut reached = Stage::New;
        'life: {
            if stage == Stage::New || !h.wait(rng, respond_mean / 3.0, limit) {
                break 'life;
            }
            t.group_id = Some(group);
            t.assigned_at = Some(h.at.as_microsecond());
            t.status = "assigned".into();
            h.push(
                "dispatch",
                Some(dispatcher),
                false,
                "",
                serde_json::json!({ "group_id": group, "from": "new", "to": "assigned" }),
            );
            reached = Stage::Assigned;
            if stage == Stage::Assigned || !h.wait(rng, respond_mean, limit) {
                break 'life;
            }
            let mut assignee = *rng.pick(agents);
            t.assignee_id = Some(assignee);
            t.first_response_at = Some(h.at.as_microsecond());
            t.in_progress_at = Some(h.at.as_microsecond());
            t.status = "in_progress".into();
            h.push(
                "claim",
                Some(assignee),
                false,
                "",
                serde_json::json!({ "group_id": group, "assignee_id": assignee }),
            );
            reached = Stage::InProgress;
            if rng.chance(0.5) && h.wait(rng, 20.0, limit) {
                h.push("reply", Some(assignee), true, rng.pick::<&str>(REPLIES), serde_json::json!({}));
            }
            if rng.chance(0.4) && h.wait(rng, work_mean / 4.0, limit) {
                h.push("note", Some(assignee), false, rng.pick::<&str>(NOTES), serde_json::json!({}));
            }
            if rng.chance(0.12) && h.wait(rng, work_mean / 4.0, limit) {
                let (l3, engineers) = &cast.third;
                assignee = *rng.pick(engineers);
                t.group_id = Some(*l3);
                t.assignee_id = Some(assignee);
                h.push(
                    "escalate",
                    t.assignee_id,
                    false,
                    "需要三线支持 Needs L3",
                    serde_json::json!({ "group_id": l3, "assignee_id": assignee, "to_tier": 3 }),
                );
            }
            if rng.chance(0.15) && h.wait(rng, work_mean / 3.0, limit) {
                let reason = ["user", "vendor", "change"][rng.below(3)];
                let since = h.at;
                t.pending_reason = Some(reason.into());
                t.pending_at = Some(since.as_microsecond());
                t.status = "pending".into();
                h.push("suspend", Some(assignee), false, "", serde_json::json!({ "pending_reason": reason }));
                if !h.wait(rng, work_mean, limit) {
                    paused_since = Some(since);
                    break 'life;
                }
                pauses.push((since, h.at));
                t.pending_reason = None;
                t.status = "in_progress".into();
                h.push("resume", Some(assignee), false, "", serde_json::json!({}));
            }
            if stage == Stage::InProgress || !h.wait(rng, work_mean, limit) {
                break 'life;
            }
            let (code, notes) = if is_request {
                ("fulfilled", "已按申请完成。 Done as requested.")
            } else {
                *rng.pick(RESOLUTIONS)
            };
            t.resolution_code = Some(code.into());
            t.resolution_notes = Some(notes.into());
            t.resolved_at = Some(h.at.as_microsecond());
            t.status = "resolved".into();
            stop_resolution = Some(h.at);
            h.push("resolve", Some(assignee), true, notes, serde_json::json!({ "resolution_code": code }));
            reached = Stage::Resolved;
            if stage == Stage::Resolved || !h.wait(rng, 1440.0, limit) {
                break 'life;
            }
            t.closed_at = Some(h.at.as_microsecond());
            t.status = "closed".into();
            h.push("close", Some(requester), true, "", serde_json::json!({}));
            reached = Stage::Closed;
        }
        if cancelled && reached < Stage::Resolved && h.wait(rng, 60.0, limit) {
            t.status = "cancelled".into();
            t.pending_reason = None;
            t.cancelled_at = Some(h.at.as_microsecond());
            if let Some(since) = paused_since.take() {
                pauses.push((since, h.at));
            }
            stop_resolution = Some(h.at);
            h.push("cancel", Some(requester), true, "用户已自行解决 Resolved by the user", serde_json::json!({}));
        }
        t.updated_at = h.at.as_microsecond();

        // The clocks, derived by the domain exactly as sla::sync would have kept them.
        let ts = |m: Option<i64>| m.and_then(|v| Timestamp::from_microsecond(v).ok());
        let response_stop = ts(t.first_response_at).or(stop_resolution);
        for (kind, stop) in [(ClockKind::Response, response_stop), (ClockKind::Resolution, stop_resolution)] {
            let Some(target) = self.targets.get(kind, priority) else { continue };
            let mut clock = Clock::start(created, target);
            if kind == ClockKind::Resolution {
                clock.pauses = pauses.clone();
                clock.paused_since = paused_since;
            }
            clock.stopped_at = stop;
            t.clocks.push(self.clock(kind, &clock));
        }
        t.events = h.events;
        t
    }

    fn clock(&self, kind: ClockKind, clock: &Clock) -> HistoryClock {
        let view = clock.view(&self.calendar, self.now);
        let mut fired = Vec::new();
        let mut next = None;
        for p in self.policy.thresholds().into_iter().chain([100]) {
            match clock.threshold_at(&self.calendar, p) {
                Some(at) if at <= self.now => fired.push((i64::from(p), at.as_microsecond())),
                Some(at) if clock.is_running() => {
                    next = Some(next.map_or(at, |n: Timestamp| n.min(at)));
                }
                _ => {}
            }
        }
        let pauses: Vec<(i64, i64)> =
            clock.pauses.iter().map(|(a, b)| (a.as_microsecond(), b.as_microsecond())).collect();
        HistoryClock {
            id: 0,
            kind: kind.as_str().into(),
            policy_id: self.policy.id,
            target_secs: clock.target.as_secs(),
            started_at: clock.started_at.as_microsecond(),
            paused_since: clock.paused_since.map(|t| t.as_microsecond()),
            stopped_at: clock.stopped_at.map(|t| t.as_microsecond()),
            pauses: serde_json::to_string(&pauses).unwrap_or_else(|_| "[]".into()),
            due_at: view.due_at.map(|t| t.as_microsecond()),
            breached: view.status == ClockStatus::Breached,
            elapsed_secs: view.elapsed.as_secs(),
            next_fire_at: next.map(|t| t.as_microsecond()),
            fired,
        }
    }
}

async fn cast(tx: &mut Tx, scale: &Scale, rng: &mut Rng) -> Fallible<Cast> {
    let admin = users::create(
        tx,
        None,
        users::NewUser {
            login: ADMIN_LOGIN.into(),
            name: "压测管理员 Bench Admin".into(),
            role: "admin".into(),
            password: Some(yunwei_db::identity::HashedPassword::new(PASSWORD).await?),
            ..Default::default()
        },
    )
    .await?;
    let admin = yunwei_db::identity::actor(tx, &admin.user).await?;
    let a = Some(&admin);

    let mut tenant_ids = Vec::new();
    for i in 0..scale.tenants {
        let (zh, en) = CLIENTS[i % CLIENTS.len()];
        let round = i / CLIENTS.len();
        let suffix = if round == 0 { String::new() } else { format!(" {}", round + 1) };
        let new = tenants::NewTenant {
            code: format!("C{:03}", i + 1),
            name: format!("{zh} {en}{suffix}"),
            kind: "client".into(),
        };
        tenant_ids.push(tenants::create(tx, a, new).await?.id);
    }

    let group =
        |name: String, tier: i64| groups::GroupInput { name: Some(name), tier: Some(tier), ..Default::default() };
    let desk_group = groups::create(tx, &admin, group("服务台 Service Desk".into(), 1)).await?.group.id;
    let families = [
        ("HW", "硬件支持 Hardware"),
        ("SW", "应用支持 Applications"),
        ("NET", "网络 Network"),
        ("SYS", "系统 Systems"),
        ("SR", "请求履行 Fulfilment"),
    ];
    let mut second_groups = Vec::new();
    for (family, name) in families {
        second_groups.push((family, groups::create(tx, &admin, group(name.into(), 2)).await?.group.id));
    }
    let third_group = groups::create(tx, &admin, group("三线专家 L3 Specialists".into(), 3)).await?.group.id;

    let mut agent = 0usize;
    let mut make_staff =
        async |tx: &mut Tx, role: &str, group: i64, served: Vec<i64>, rng: &mut Rng| -> Fallible<i64> {
            agent += 1;
            let (name, locale) = person_name(rng);
            let new = users::NewUser {
                login: format!("agent{agent:03}"),
                name,
                role: role.into(),
                email: Some(format!("agent{agent:03}@ops.example.cn")),
                locale: Some(locale.into()),
                served_tenants: served,
                groups: vec![group],
                ..Default::default()
            };
            Ok(users::create(tx, Some(&admin), new).await?.user.id)
        };
    let half = |k: usize| -> Vec<i64> {
        tenant_ids.iter().enumerate().filter(|(i, _)| (i + k).is_multiple_of(2)).map(|(_, t)| *t).collect()
    };
    let mut desk_agents = Vec::new();
    make_staff(tx, "group_lead", desk_group, tenant_ids.clone(), rng).await?;
    for _ in 0..12 {
        desk_agents.push(make_staff(tx, "agent", desk_group, tenant_ids.clone(), rng).await?);
    }
    let mut second = Vec::new();
    for (k, (family, g)) in second_groups.into_iter().enumerate() {
        make_staff(tx, "group_lead", g, tenant_ids.clone(), rng).await?;
        let mut agents = Vec::new();
        for j in 0..6 {
            // Half of each group serves every client; the rest serve half of them.
            let served = if j % 2 == 0 { tenant_ids.clone() } else { half(k + j) };
            agents.push(make_staff(tx, "agent", g, served, rng).await?);
        }
        second.push((family, g, agents));
    }
    let mut third = Vec::new();
    for _ in 0..5 {
        third.push(make_staff(tx, "agent", third_group, tenant_ids.clone(), rng).await?);
    }

    let mut tenants_out = Vec::new();
    let mut weights = Vec::new();
    let mut user_no = 0;
    for (i, &tenant_id) in tenant_ids.iter().enumerate() {
        let mut places = Vec::new();
        for b in 0..4 {
            for floor in 1..=3 {
                let input = locations::LocationInput {
                    tenant_id: Some(tenant_id),
                    building: Some(["门诊楼 Clinic", "行政楼 Admin", "数据中心 DC", "仓库 Depot"][b].into()),
                    floor: Some(floor.to_string()),
                    room: Some(format!("{floor}{:02}", b + 1)),
                    responsible_group_id: Some(Some(desk_group)),
                    ..Default::default()
                };
                places.push(locations::create(tx, &admin, input).await?.id);
            }
        }
        let mut people = Vec::new();
        for _ in 0..scale.users_per_tenant {
            user_no += 1;
            let (name, locale) = person_name(rng);
            let new = users::NewUser {
                tenant_id: Some(tenant_id),
                login: format!("user{user_no:05}"),
                name,
                role: "end_user".into(),
                locale: Some(locale.into()),
                ..Default::default()
            };
            people.push(users::create(tx, a, new).await?.user.id);
        }
        tenants_out.push((tenant_id, people, places));
        // A few large clients and a long tail.
        weights.push(1.0 / (1.0 + i as f64).powf(0.8));
    }

    let all = categories::list(tx).await?;
    let leaves = all
        .iter()
        .filter(|c| c.active && !all.iter().any(|d| d.parent_id == Some(c.id)) && c.parent_id.is_some())
        .map(|c| (c.id, c.code.clone()))
        .collect();
    Ok(Cast {
        admin,
        tenants: tenants_out,
        tenant_weights: weights,
        desk: (desk_group, desk_agents),
        second,
        third: (third_group, third),
        categories: leaves,
    })
}

fn person_name(rng: &mut Rng) -> (String, &'static str) {
    if rng.chance(0.8) {
        (
            format!("{}{}{}", rng.pick(SURNAMES), rng.pick(GIVEN), if rng.chance(0.5) { *rng.pick(GIVEN) } else { "" }),
            "zh-CN",
        )
    } else {
        (format!("{} {}", rng.pick(EN_NAMES), rng.pick(EN_SURNAMES)), "en")
    }
}
