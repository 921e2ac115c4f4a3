//! The demo data set behind `yunwei serve --demo`: a provider with L1/L2/L3 groups serving two
//! client organisations, bilingual users and locations, and a few hundred tickets over the
//! last month in every state.

use yunwei_db::Store;
use yunwei_db::Tx;
use yunwei_db::identity::HashedPassword;
use yunwei_desk::rules::sla::Targets;
use yunwei_desk::store::categories;
use yunwei_desk::store::demo;
use yunwei_desk::store::sla;
use yunwei_desk::store::tickets::{self, ActionRequest, NewTicket, TicketRef};
use yunwei_kernel::permission::Actor;
use yunwei_org::groups;
use yunwei_org::locations;
use yunwei_org::tenants;
use yunwei_org::users;

use crate::Fallible;
use crate::config::Settings;
use crate::estate::{self, Estate};
use crate::rng::Rng;

pub const PASSWORD: &str = "yunwei-demo";

/// What people report, by top-level category: a title and the description they write, in the
/// language they wrote it in.
const TITLES: &[(&str, &[(&str, &str)])] = &[
    (
        "HW",
        &[
            (
                "打印机卡纸，无法打印",
                "护士站的打印机每打一张就卡纸，已经按面板提示取出过两次纸，还是一样。上午要打很多检验单，比较急。",
            ),
            (
                "Laptop battery no longer charges",
                "My laptop shows \"plugged in, not charging\" and the battery is at 4 %. I tried another socket and restarted twice. It only runs while the charger is connected.",
            ),
            ("显示器黑屏", "今天开机后主机指示灯正常，但显示器一直黑屏，电源灯是橙色的。换了一根视频线也不行。"),
            (
                "Docking station not detected",
                "Since this morning my laptop no longer sees the docking station: no external screens, no network through the dock. USB-C directly to the monitor works.",
            ),
            ("键盘部分按键失灵", "键盘上 E、R、T 三个键按了没反应，其他键正常。没有洒过水。录入病历很受影响。"),
            (
                "Server fan alarm in rack B2",
                "The monitoring panel shows a fan failure alarm on the second server from the top in rack B2 since 02:10. Temperatures are still normal.",
            ),
        ],
    ),
    (
        "SW",
        &[
            (
                "Outlook 无法连接服务器",
                "Outlook 右下角一直显示\"正在尝试连接\"，收不到新邮件，网页版邮箱可以正常登录。重启电脑后还是一样。",
            ),
            (
                "Excel crashes when opening large files",
                "Excel closes without a message when I open the monthly stock file (about 80 MB). Smaller files open fine. It started after last week's update.",
            ),
            ("财务系统登录报错", "登录财务系统时提示\"证书已过期\"，无法进入。月底要做报销审核，请尽快处理。"),
            (
                "Antivirus definitions out of date",
                "The antivirus icon has been red for three days and says the definitions are out of date. \"Update now\" fails with a connection error.",
            ),
            (
                "WPS 文档无法保存",
                "编辑共享盘上的 WPS 文档时点保存提示\"文件被占用或只读\"，但没有其他人打开这个文件。另存到桌面可以。",
            ),
            (
                "ERP report export times out",
                "Exporting the quarterly sales report from the ERP stops after about a minute with \"gateway timeout\". Last quarter the same export worked.",
            ),
        ],
    ),
    (
        "NET",
        &[
            (
                "三楼无线网络频繁掉线",
                "三楼会议室和走廊的无线网络每隔十几分钟就断开一次，需要重新连接。手机和笔记本都这样，已经持续两天。",
            ),
            (
                "VPN connects but no intranet access",
                "The VPN client says connected, but no internal site opens and I cannot reach the file server. Internet access works. I am working from home today.",
            ),
            ("网速很慢，网页打不开", "从上午十点开始整个科室上网都很慢，内网系统还能用，外网网页基本打不开。"),
            (
                "Cannot reach the shared drive",
                "Drive S: shows a red cross and \"network path not found\". Colleagues in the same office can open it.",
            ),
            ("邮件发送被退回", "给外部客户发的邮件都被退回，退信里写着\"550 被拒绝\"。发给内部同事正常。"),
            (
                "IP address conflict on PC-0231",
                "Windows on PC-0231 warns about an IP address conflict and then loses the network every few minutes. The PC is at the registration desk.",
            ),
        ],
    ),
    (
        "HUM",
        &[
            (
                "误删了共享盘上的文件",
                "不小心把共享盘\"行政/2026合同\"文件夹里的三个合同删除了，大约是今天下午三点。能否从备份恢复？",
            ),
            (
                "Account locked after password attempts",
                "My account is locked after I mistyped my new password several times this morning. I cannot log in to the PC or e-mail.",
            ),
            ("忘记OA系统密码", "休假回来忘记了 OA 系统的密码，自助找回没有收到短信，请帮忙重置。"),
            (
                "Wrong printer set as default",
                "Everything I print goes to the printer on the first floor instead of the one in our office. I did not change anything.",
            ),
        ],
    ),
    (
        "SYS",
        &[
            ("OA系统访问缓慢", "OA 系统打开审批页面要等一分多钟，其他同事也反映很慢，从今天早上开始的。"),
            (
                "Database backup job failed last night",
                "The nightly backup job of the HIS database ended with an error at 01:37 (disk full on the backup target). No backup exists for last night.",
            ),
            (
                "中间件服务异常重启",
                "应用服务器上的中间件服务今天凌晨自动重启了三次，日志里有内存不足的报错，业务短暂中断。",
            ),
            (
                "Blue screen after Windows update",
                "After last night's Windows update the PC shows a blue screen (CRITICAL_PROCESS_DIED) at every start. Safe mode does not start either.",
            ),
        ],
    ),
    (
        "SR",
        &[
            (
                "申请开通VPN账号",
                "因下周开始居家办公，需要开通 VPN 账号，用于访问内网的 OA 和文件服务器。部门领导已同意。",
            ),
            (
                "New starter: laptop and accounts for Monday",
                "A new colleague joins Finance on Monday. Please prepare a laptop, an e-mail account and access to the finance system and the shared drive.",
            ),
            ("申请安装 Visio", "工作中需要绘制流程图，申请在我的电脑上安装 Visio，电脑编号 PC-0178。"),
            (
                "请为会议室搬迁调整网络端口",
                "下周三会议室从 2 楼搬到 4 楼 405，需要把投影和电话的网络端口一起调整过去。",
            ),
            (
                "Request a second monitor",
                "I work with the scheduling system and e-mail side by side all day. Could I get a second monitor for my desk in room 305?",
            ),
        ],
    ),
];

struct Cast {
    admin: Actor,
    desk: Vec<Actor>,
    desktop: Actor,
    network: Actor,
    dba: Actor,
    /// The service desk: first line, which fulfils service requests itself.
    l1: i64,
    l2_desktop: i64,
    l2_network: i64,
    /// The client whose SLA has on-site arrival targets.
    hospital: i64,
    users: Vec<(i64, Vec<Actor>, Vec<i64>)>,
}

/// Fills an installation without tickets with the demo data, then prints how to log in.
pub async fn ensure(store: &Store, settings: &Settings) -> Fallible {
    let mut tx = store.write().await?;
    if demo::has_tickets(&mut tx).await? {
        // Started again: the demo is there, so say again how to get in, with a fresh token
        // (a token is stored hashed, so the first one cannot be shown again).
        let token = match yunwei_org::users::by_login_unscoped(&mut tx, "admin").await {
            Ok(admin) => Some(yunwei_db::identity::create_token(&mut tx, None, admin.id, "demo").await?),
            Err(_) => None,
        };
        tx.commit().await?;
        eprintln!("Demo: this installation already has tickets, so no demo data was added.");
        if let Some(token) = token {
            welcome(settings, &token);
        }
        return Ok(());
    }
    eprintln!("Demo: generating bilingual demo data …");
    let cast = cast(&mut tx).await?;
    let estate = estate(&mut tx, &cast).await?;
    assets(&mut tx, &cast, &estate).await?;
    generate_tickets(&mut tx, &cast, &estate).await?;
    let token = yunwei_db::identity::create_token(&mut tx, None, cast.admin.user_id, "demo").await?;
    tx.commit().await?;
    welcome(settings, &token);
    Ok(())
}

/// How to log in to the demo, with an API token for the administrator.
fn welcome(settings: &Settings, token: &str) {
    eprintln!(
        "\nYunwei demo is ready (data in {place}).\n\
         Open http://{listen}/ in a browser and log in with one of these accounts.\n\
         Demo accounts, all with the password {PASSWORD}:\n\
         \x20 admin       administrator\n\
         \x20 wang.fang   service desk agent (L1)      emily.chen  service desk agent (L1)\n\
         \x20 liu.yang    service desk lead\n\
         \x20 li.qiang    desktop engineer (L2)        zhang.wei   network engineer (L2)\n\
         \x20 zhou.jie    configuration manager        lin.na      asset manager\n\
         \x20 chen.jing   end user at 华东医院 East China Hospital\n\
         \x20 anna.berg   end user at 星辰物流 Stellar Logistics\n\
         \x20 he.ping     IT contact at 星辰物流 Stellar Logistics (reads its CMDB)\n\
         API token for admin (make more with: yunwei token create LOGIN {store_flag}):\n\
         \x20 {token}\n\
         Try:\n\
         \x20 curl -H 'Authorization: Bearer {token}' 'http://{listen}/api/v1/tickets?status=open&sort=priority&limit=5'\n",
        place = if settings.database_url.starts_with("sqlite:") {
            settings.data_dir.display().to_string()
        } else {
            "the PostgreSQL database".to_string()
        },
        store_flag = if settings.database_url.starts_with("sqlite:") {
            format!("--data-dir {}", settings.data_dir.display())
        } else {
            "--database-url <the same URL>".to_string()
        },
        listen = settings.listen,
    );
}

async fn person(tx: &mut Tx, admin: Option<&Actor>, new: users::NewUser) -> Fallible<Actor> {
    let u = users::create(tx, admin, users::NewUser { password: Some(HashedPassword::new(PASSWORD).await?), ..new })
        .await?;
    Ok(yunwei_db::identity::actor(tx, &u.user).await?)
}

/// The hospital's own SLA, with on-site arrival (到场) targets, and each group's OLA — how long
/// (minutes, every priority) it may hold a ticket — all on the 5×8 calendar.
async fn agreements(tx: &mut Tx, admin: &Actor, hospital: i64, holds: &[(i64, i64)]) -> Fallible {
    let five = sla::list_calendars(tx, admin).await?.into_iter().find(|c| c.name.starts_with("5×8")).map(|c| c.id);
    let Some(calendar_id) = five else { return Ok(()) };
    let m = |mins: i64| Some(jiff::SignedDuration::from_mins(mins));
    let input = sla::PolicyInput {
        name: Some("华东医院 驻场服务 Hospital on-site".into()),
        tenant_id: Some(Some(hospital)),
        calendar_id: Some(calendar_id),
        targets: Some(Targets {
            response: [m(15), m(30), m(60), m(120)],
            resolution: [m(4 * 60), m(8 * 60), m(16 * 60), m(40 * 60)],
            on_site: [m(60), m(2 * 60), m(4 * 60), m(8 * 60)],
            ..Default::default()
        }),
        notify_next_tier: Some(true),
        ..Default::default()
    };
    sla::create_policy(tx, admin, input).await?;
    for (group, mins) in holds {
        let name = groups::get(tx, admin, *group).await?.group.name;
        let hold = Some(jiff::SignedDuration::from_mins(*mins));
        let input = sla::PolicyInput {
            name: Some(format!("OLA {name}")),
            group_id: Some(Some(*group)),
            calendar_id: Some(calendar_id),
            targets: Some(Targets { ola: [hold; 4], ..Default::default() }),
            ..Default::default()
        };
        sla::create_policy(tx, admin, input).await?;
    }
    Ok(())
}

async fn cast(tx: &mut Tx) -> Fallible<Cast> {
    let admin = person(
        tx,
        None,
        users::NewUser {
            login: "admin".into(),
            name: "系统管理员 Admin".into(),
            role: "admin".into(),
            ..Default::default()
        },
    )
    .await?;
    let a = Some(&admin);
    let tenant =
        |code: &str, name: &str| tenants::NewTenant { code: code.into(), name: name.into(), kind: "client".into() };
    let hosp = tenants::create(tx, a, tenant("HOSP", "华东医院 East China Hospital")).await?.id;
    let star = tenants::create(tx, a, tenant("STAR", "星辰物流 Stellar Logistics")).await?.id;
    let group = |name: &str, tier: i64, desc: &str| groups::GroupInput {
        name: Some(name.into()),
        tier: Some(tier),
        description: Some(desc.into()),
        ..Default::default()
    };
    let l1 = groups::create(tx, &admin, group("服务台 Service Desk", 1, "一线: 受理、派单、首问解决")).await?.group.id;
    let l2_desktop = groups::create(tx, &admin, group("桌面支持 Desktop Support", 2, "PC, printers, office software"))
        .await?
        .group
        .id;
    let l2_network = groups::create(tx, &admin, group("网络与系统 Network & Systems", 2, "LAN, Wi-Fi, VPN, servers"))
        .await?
        .group
        .id;
    let l3 =
        groups::create(tx, &admin, group("数据库与中间件 DBA & Middleware", 3, "三线: databases, middleware, vendors"))
            .await?
            .group
            .id;
    agreements(tx, &admin, hosp, &[(l1, 60), (l2_desktop, 8 * 60), (l2_network, 8 * 60), (l3, 16 * 60)]).await?;
    let staff = |login: &str, name: &str, role: &str, group: i64, locale: &str| users::NewUser {
        login: login.into(),
        name: name.into(),
        role: role.into(),
        email: Some(format!("{login}@ops.example.cn")),
        locale: Some(locale.into()),
        served_tenants: vec![hosp, star],
        groups: vec![group],
        ..Default::default()
    };
    let desk = vec![
        person(tx, a, staff("wang.fang", "王芳", "agent", l1, "zh-CN")).await?,
        person(tx, a, staff("emily.chen", "Emily Chen", "agent", l1, "en")).await?,
    ];
    person(tx, a, staff("liu.yang", "刘洋", "group_lead", l1, "zh-CN")).await?;
    let desktop = person(tx, a, staff("li.qiang", "李强", "agent", l2_desktop, "zh-CN")).await?;
    let network = person(tx, a, staff("zhang.wei", "张伟", "agent", l2_network, "zh-CN")).await?;
    let dba = person(tx, a, staff("david.miller", "David Miller", "agent", l3, "en")).await?;
    person(tx, a, staff("zhou.jie", "周杰", "config_manager", l2_network, "zh-CN")).await?;
    person(tx, a, staff("lin.na", "林娜", "asset_manager", l2_desktop, "zh-CN")).await?;

    let mut users_by_tenant = Vec::new();
    // (login, name, locale) of each tenant's end users.
    type People = &'static [(&'static str, &'static str, &'static str)];
    let people: [(i64, People); 2] = [
        (
            hosp,
            &[
                ("chen.jing", "陈静", "zh-CN"),
                ("zhao.lei", "赵磊", "zh-CN"),
                ("sun.li", "孙丽", "zh-CN"),
                ("mark.wood", "Mark Wood", "en"),
            ],
        ),
        (
            star,
            &[
                ("huang.min", "黄敏", "zh-CN"),
                ("anna.berg", "Anna Berg", "en"),
                ("zhou.tao", "周涛", "zh-CN"),
                ("raj.patel", "Raj Patel", "en"),
            ],
        ),
    ];
    for (tenant_id, list) in people {
        let mut actors = Vec::new();
        for (login, name, locale) in list {
            let new = users::NewUser {
                tenant_id: Some(tenant_id),
                login: (*login).into(),
                name: (*name).into(),
                role: "end_user".into(),
                email: Some(format!("{login}@client.example.cn")),
                locale: Some((*locale).into()),
                ..Default::default()
            };
            actors.push(person(tx, a, new).await?);
        }
        let mut locs = Vec::new();
        for (building, floor, room, group) in [
            // Numbered buildings and rooms, as the seeds' tags read them (楼号-楼层-房间):
            // the default tag rule makes D010105-001 for building 1, floor 1, room 05.
            ("1号门诊楼 Outpatient", "1", "05", l1),
            ("1号门诊楼 Outpatient", "3", "05", l2_desktop),
            ("2号住院楼 Inpatient ward", "5", "02", l2_desktop),
            ("3号楼 机房 Data centre", "B1", "01", l2_network),
        ] {
            let input = locations::LocationInput {
                tenant_id: Some(tenant_id),
                building: Some(if tenant_id == hosp {
                    building.into()
                } else {
                    building
                        .replace("1号门诊楼 Outpatient", "1号楼 总部 HQ")
                        .replace("2号住院楼 Inpatient ward", "2号楼 仓库 Warehouse")
                }),
                floor: Some(floor.into()),
                room: Some(room.into()),
                responsible_group_id: Some(Some(group)),
                ..Default::default()
            };
            locs.push(locations::create(tx, &admin, input).await?.id);
        }
        users_by_tenant.push((tenant_id, actors, locs));
    }
    let it = users::NewUser {
        tenant_id: Some(star),
        login: "he.ping".into(),
        name: "何平".into(),
        role: "client_it".into(),
        email: Some("he.ping@client.example.cn".into()),
        ..Default::default()
    };
    person(tx, a, it).await?;
    Ok(Cast { admin, desk, desktop, network, dba, l1, l2_desktop, l2_network, hospital: hosp, users: users_by_tenant })
}

/// The configuration estate of both clients and the provider's shared core.
async fn estate(tx: &mut Tx, cast: &Cast) -> Fallible<Estate> {
    let provider = tenants::provider(tx).await?.id;
    let hospital_services: &[(&str, &str, &str, &str, &str, &str)] = &[
        ("门诊挂号服务 Outpatient registration", "门诊部 王主任", "HIS 医院信息系统", "5.2", "东软 Neusoft", "oracle"),
        (
            "电子病历服务 Electronic medical records",
            "医务科 李科长",
            "EMR 电子病历",
            "3.8",
            "卫宁健康 Winning",
            "oracle",
        ),
        ("检验报告服务 Lab results", "检验科 赵主任", "LIS 检验信息系统", "2.6", "迪安 Dian", "sqlserver"),
        ("医学影像服务 Imaging (PACS)", "放射科 周主任", "PACS 影像归档", "7.1", "联影 United Imaging", "postgresql"),
        ("院内邮件 Hospital e-mail", "信息科 孙科长", "Coremail 邮件系统", "XT6", "Coremail", "mysql"),
    ];
    let logistics_services: &[(&str, &str, &str, &str, &str, &str)] = &[
        (
            "仓储管理服务 Warehouse management",
            "Operations, Anna Berg",
            "WMS 仓储管理系统",
            "11.4",
            "富勒 Flux",
            "mysql",
        ),
        ("运输调度服务 Transport dispatch", "调度中心 黄经理", "TMS 运输管理系统", "6.0", "oTMS", "postgresql"),
        ("财务结算服务 Finance & billing", "Finance, Raj Patel", "ERP 财务模块", "2023", "用友 Yonyou", "dameng"),
        ("客户门户 Customer portal", "市场部 周涛", "客户门户 Customer portal", "4.3", "自研 In-house", "kingbase"),
    ];
    let mut parts = Vec::new();
    for (tenant_id, people, locs) in &cast.users {
        let hospital = *tenant_id == cast.hospital;
        let users: Vec<i64> = people.iter().map(|p| p.user_id).collect();
        parts.push((*tenant_id, hospital, users, locs.clone()));
    }
    let clients: Vec<estate::Client<'_>> = parts
        .iter()
        .map(|(tenant_id, hospital, users, locs)| estate::Client {
            tenant_id: *tenant_id,
            prefix: if *hospital { "hs" } else { "st" },
            services: if *hospital { hospital_services } else { logistics_services },
            users,
            dc: locs[3],
            offices: &locs[..3],
            group: cast.l2_network,
        })
        .collect();
    let built = estate::build(tx, &cast.admin, provider, cast.l2_network, &clients).await?;
    eprintln!("Demo: {} configuration items in the CMDB.", built.count);
    Ok(built)
}

/// The hardware's asset records (tags by the seeds' rule, purchase, cost, warranty), some
/// spares in stock, one in repair and one retired, a few warranties ending within the month,
/// and a stock-take in progress at the hospital's outpatient building.
async fn assets(tx: &mut Tx, cast: &Cast, estate: &Estate) -> Fallible {
    use yunwei_assets::rules::lifecycle::AssetStatus;
    use yunwei_assets::store::{assets, stocktakes};
    let today = jiff::Zoned::now().date();
    let soon = |days: i64| today.checked_add(jiff::Span::new().days(days)).map(|d| d.to_string()).unwrap_or_default();
    let admin = &cast.admin;
    let mut made = Vec::new();
    for (i, a) in estate.assets.iter().enumerate() {
        let warranty = if i % 12 == 5 { soon(5 + (i as i64 % 20)) } else { format!("202{}-09-30", 7 + i % 2) };
        let input = assets::AssetInput {
            tenant_id: Some(a.tenant_id),
            tag: Some(a.tag.clone()),
            name: Some(a.name.clone()),
            model: Some(a.model.clone()),
            serial: Some(a.serial.clone()),
            status: Some(AssetStatus::Deployed),
            ci_id: Some(Some(a.ci_id)),
            user_id: Some(a.user_id),
            location_id: Some(Some(a.location_id)),
            purchase_date: Some(Some(format!("2023-{:02}-15", 1 + i % 12))),
            cost_cents: Some(Some(a.cost * 100)),
            currency: Some("CNY".into()),
            vendor: Some(a.vendor.clone()),
            contract_number: Some(format!("HT-2023-{:03}", 1 + i % 40)),
            warranty_end: Some(Some(warranty)),
            contract_end: Some(None),
        };
        let asset = assets::create(tx, admin, input).await?;
        if i % 25 == 7 {
            assets::transition(tx, admin, asset.id, asset.version, AssetStatus::InRepair).await?;
        }
        made.push(asset);
    }
    // Spare monitors in stock at each client, and a retired one.
    for (tenant_id, _, locs) in &cast.users {
        for n in 0..6 {
            let input = assets::AssetInput {
                tenant_id: Some(*tenant_id),
                tag: Some(format!("D{:02}0101-{:03}", if *tenant_id == cast.hospital { 1 } else { 2 }, 500 + n)),
                name: Some(format!("备用显示器 Spare monitor {}", n + 1)),
                model: Some("Dell P2423".into()),
                serial: Some(format!("MON{tenant_id}{n:04}")),
                status: Some(if n == 5 { AssetStatus::Deployed } else { AssetStatus::InStock }),
                location_id: Some(Some(locs[0])),
                purchase_date: Some(Some("2024-03-01".into())),
                cost_cents: Some(Some(129_900)),
                currency: Some("CNY".into()),
                vendor: Some("戴尔 Dell".into()),
                warranty_end: Some(Some("2027-03-01".into())),
                ..Default::default()
            };
            let a = assets::create(tx, admin, input).await?;
            if n == 5 {
                assets::transition(tx, admin, a.id, a.version, AssetStatus::Retired).await?;
            }
        }
    }
    // A stock-take in progress: most of the outpatient building's assets found, one found in
    // another room, one unknown tag.
    let (hospital, _, locs) = cast.users.iter().find(|(t, ..)| *t == cast.hospital).ok_or("no hospital")?;
    let take = stocktakes::start(tx, admin, *hospital, Some(locs[0])).await?;
    let here: Vec<&assets::Asset> =
        made.iter().filter(|a| a.tenant_id == *hospital && a.location_id == Some(locs[0])).collect();
    for (i, a) in here.iter().enumerate().take(here.len().saturating_sub(4)) {
        let at = if i == 2 { Some(locs[1]) } else { Some(locs[0]) };
        stocktakes::scan(tx, admin, take.stock_take.id, &a.tag, at).await?;
    }
    stocktakes::scan(tx, admin, take.stock_take.id, "D019999-001", Some(locs[0])).await?;
    eprintln!("Demo: {} assets, a stock-take in progress.", made.len() + 12);
    Ok(())
}

async fn step(tx: &mut Tx, actor: &Actor, t: &tickets::Ticket, req: ActionRequest) -> Fallible<tickets::Ticket> {
    Ok(tickets::act(tx, actor, &TicketRef::Id(t.id), t.version, req).await?)
}

async fn generate_tickets(tx: &mut Tx, cast: &Cast, estate: &Estate) -> Fallible {
    let mut rng = Rng::new(20261122);
    let cats = categories::list(tx).await?;
    let channels = ["web", "web", "phone", "email", "phone", "walk_in", "api"];
    const DAY: i64 = 86_400_000_000;
    for _i in 0..320 {
        let (tenant_id, people, locs) = rng.pick(&cast.users);
        let requester = rng.pick(people);
        let (top, titles) = rng.pick(TITLES);
        let (title, description) = rng.pick(titles);
        let parent = cats.iter().find(|c| c.code == *top).map(|c| c.id);
        let subs: Vec<i64> = cats.iter().filter(|c| c.parent_id == parent).map(|c| c.id).collect();
        let category = if subs.is_empty() { parent } else { Some(*rng.pick(&subs)) };
        let channel = *rng.pick(&channels);
        let by_desk = channel != "web";
        let desk = rng.pick(&cast.desk);
        // The CIs it is about: the requester's own PC for hardware, and for staff also the
        // printer, access switch or application the fault is on.
        let pc = estate.pcs.iter().find(|(u, _)| *u == requester.user_id).map(|(_, pc)| *pc);
        let own = estate.tenants.iter().find(|c| c.tenant_id == *tenant_id);
        let affected_cis = match (*top, own) {
            ("HW", Some(c)) if by_desk && title.contains("打印") => vec![*rng.pick(&c.printers)],
            ("HW", _) => pc.into_iter().collect(),
            ("NET", Some(c)) if by_desk => vec![*rng.pick(&c.access_switches)],
            ("SW" | "SYS", Some(c)) if by_desk && rng.below(2) == 0 => vec![*rng.pick(&c.applications)],
            _ => vec![],
        };
        let new = NewTicket {
            ticket_type: if *top == "SR" { "request".into() } else { "incident".into() },
            title: (*title).into(),
            description: Some((*description).into()),
            category_id: category,
            channel: channel.into(),
            requester_id: Some(requester.user_id),
            tenant_id: Some(*tenant_id),
            location_id: if rng.below(3) == 0 { Some(*rng.pick(locs)) } else { None },
            impact: Some(1 + rng.below(4) as i64).map(|v| if v == 1 && rng.below(3) > 0 { 2 } else { v }),
            urgency: Some(1 + rng.below(4) as i64),
            affected_cis,
            ..Default::default()
        };
        let mut t = tickets::create(tx, if by_desk { desk } else { requester }, new).await?;
        // How far this ticket gets: most old tickets are closed, recent ones still open.
        let age_days = rng.below(30) as i64;
        let target = match (age_days, rng.below(100)) {
            (_, r) if r < 5 => "cancelled",
            (0..=2, r) if r < 40 => "new",
            (0..=4, r) if r < 60 => "assigned",
            (0..=6, r) if r < 75 => "in_progress",
            (0..=8, r) if r < 85 => "pending",
            (_, r) if r < 30 => "resolved",
            _ => "closed",
        };
        // Service requests stay with the desk, so its agents have their own work and the
        // group's queue has some waiting when they log in.
        let (group, engineer) = match *top {
            "NET" | "SYS" => (cast.l2_network, &cast.network),
            "SR" => (cast.l1, desk),
            _ => (cast.l2_desktop, &cast.desktop),
        };
        if target == "cancelled" {
            t = step(tx, desk, &t, ActionRequest::Cancel { reason: "用户已自行解决 Resolved by the user".into() })
                .await?;
        } else if target != "new" {
            if t.status.as_str() != "new" && t.group_id != Some(group) {
                t = step(
                    tx,
                    desk,
                    &t,
                    ActionRequest::Transfer {
                        group_id: group,
                        assignee_id: None,
                        reason: "按类别转派 by category".into(),
                    },
                )
                .await?;
            } else if t.status.as_str() == "new" {
                t = step(tx, desk, &t, ActionRequest::Dispatch { group_id: group, assignee_id: None }).await?;
            }
            if target != "assigned" {
                t = step(tx, engineer, &t, ActionRequest::Claim).await?;
                // At the hospital the desktop engineer goes on site, mostly.
                if t.tenant_id == cast.hospital && group == cast.l2_desktop && rng.below(4) > 0 {
                    t = step(tx, engineer, &t, ActionRequest::Arrive).await?;
                }
                if rng.below(3) == 0 {
                    tickets::comment(
                        tx,
                        engineer,
                        &TicketRef::Id(t.id),
                        "已远程查看，正在处理。Looking into it remotely.",
                        true,
                    )
                    .await?;
                }
                if target == "pending" {
                    let reason = *rng.pick(&["user", "vendor", "change"]);
                    t = step(
                        tx,
                        engineer,
                        &t,
                        ActionRequest::Suspend {
                            reason: reason.into(),
                            note: Some("等待反馈 Waiting for feedback".into()),
                        },
                    )
                    .await?;
                }
                if matches!(target, "resolved" | "closed") {
                    if *top == "SYS" && rng.below(2) == 0 {
                        t = step(
                            tx,
                            engineer,
                            &t,
                            ActionRequest::Escalate {
                                group_id: None,
                                assignee_id: None,
                                reason: "需要三线支持 Needs L3".into(),
                            },
                        )
                        .await?;
                        t = step(tx, &cast.dba, &t, ActionRequest::Claim).await?;
                    }
                    let who = if t.assignee_id == Some(cast.dba.user_id) { &cast.dba } else { engineer };
                    let code = if *top == "SR" {
                        "fulfilled"
                    } else {
                        *rng.pick(&["solved", "solved", "workaround", "user_guidance"])
                    };
                    t = step(
                        tx,
                        who,
                        &t,
                        ActionRequest::Resolve {
                            code: code.into(),
                            notes: "已处理完毕，请确认。Fixed, please confirm.".into(),
                        },
                    )
                    .await?;
                    if target == "closed" {
                        t = step(tx, requester, &t, ActionRequest::Close).await?;
                    }
                }
            }
        }
        // Spread the history over working hours in the past: minutes to respond, hours to
        // resolve, a day or two for the requester to confirm.
        const MINUTE: i64 = 60_000_000;
        let now = yunwei_db::now_micros();
        let start = now - age_days * DAY - (rng.below(10 * 60) as i64 + 30) * MINUTE;
        let mut at = start;
        let mut times = Vec::new();
        for k in 0..demo::event_count(tx, t.id).await? {
            if k > 0 {
                let gap = match rng.below(10) {
                    0..=4 => 5 + rng.below(40),
                    5..=7 => 60 + rng.below(240),
                    _ => 600 + rng.below(1800),
                };
                at += gap as i64 * MINUTE;
            }
            times.push(at);
        }
        // A history that would run into the future is squeezed into the time there was.
        let last = *times.last().unwrap_or(&start);
        if last >= now {
            let room = (now - MINUTE - start).max(1) as i128;
            let span = (last - start).max(1) as i128;
            for t in &mut times {
                *t = start + ((*t - start) as i128 * room / span) as i64;
            }
        }
        demo::rewrite_history(tx, t.id, &times).await?;
        yunwei_desk::store::sla::rebuild_from_timeline(tx, t.id).await?;
    }
    Ok(())
}
