//! The demo's configuration estate: the provider's shared network (core switches, firewall,
//! router, SAN) and, for each client organisation, business services down to the servers,
//! virtual machines, access switches, PCs and printers they stand on — a few hundred CIs in
//! every shipped class, made through the CMDB's own store operations (history, audit, search).

use serde_json::{Map, Value, json};
use yunwei_cmdb::rules::CiStatus;
use yunwei_cmdb::rules::relations::RelationKind::{self, ConnectsTo, DependsOn, RunsOn, Uses};
use yunwei_cmdb::store::{cis, relations};
use yunwei_db::Tx;
use yunwei_kernel::permission::Actor;

use crate::Fallible;
use crate::rng::Rng;

/// What the tickets of the demo can name: per tenant, each end user's PC, and CIs by kind.
pub struct Estate {
    /// (user id, their PC).
    pub pcs: Vec<(i64, i64)>,
    pub tenants: Vec<ClientCis>,
    pub count: usize,
    /// The hardware that is also an asset: servers, PCs and printers.
    pub assets: Vec<AssetSeed>,
}

/// A CI that is also an asset, with what its asset record needs.
pub struct AssetSeed {
    pub ci_id: i64,
    pub tenant_id: i64,
    pub tag: String,
    pub name: String,
    pub model: String,
    pub serial: String,
    pub vendor: String,
    pub location_id: i64,
    pub user_id: Option<i64>,
    /// Price in yuan.
    pub cost: i64,
}

/// CIs of one client that the demo's tickets name.
pub struct ClientCis {
    pub tenant_id: i64,
    pub printers: Vec<i64>,
    pub access_switches: Vec<i64>,
    pub applications: Vec<i64>,
}

/// One client organisation's estate, named in its own words.
pub struct Client<'a> {
    pub tenant_id: i64,
    /// The two letters of its hostnames (`hs-app-01`).
    pub prefix: &'a str,
    /// Business services with the applications behind them: (service, owner, application,
    /// version, vendor, database engine).
    pub services: &'a [(&'a str, &'a str, &'a str, &'a str, &'a str, &'a str)],
    /// Its end users, who each get a PC.
    pub users: &'a [i64],
    /// Its data-centre location and its office locations (for PCs and printers).
    pub dc: i64,
    pub offices: &'a [i64],
    pub group: i64,
}

struct Maker<'a> {
    tx: &'a mut Tx,
    admin: &'a Actor,
    count: usize,
}

impl Maker<'_> {
    #[allow(clippy::too_many_arguments)]
    async fn ci(
        &mut self,
        tenant: i64,
        class: &str,
        name: &str,
        values: Value,
        location: Option<i64>,
        group: Option<i64>,
        user: Option<i64>,
    ) -> Fallible<i64> {
        let attributes: Map<String, Value> = values.as_object().cloned().unwrap_or_default();
        let input = cis::CiInput {
            tenant_id: Some(tenant),
            class: Some(class.into()),
            name: Some(name.into()),
            status: Some(CiStatus::InService),
            location_id: Some(location),
            owner_group_id: Some(group),
            user_id: Some(user),
            attributes,
        };
        self.count += 1;
        Ok(cis::create(self.tx, self.admin, input).await?.id)
    }

    async fn relate(&mut self, a: i64, kind: RelationKind, b: i64) -> Fallible {
        relations::add(self.tx, self.admin, a, kind, b).await?;
        Ok(())
    }
}

fn tag(building: u32, floor: u32, room: u32, seq: usize) -> String {
    format!("D{building:02}{floor:02}{room:02}-{seq:03}")
}

/// Builds the estate: the provider's shared core first, then each client's.
pub async fn build(
    tx: &mut Tx,
    admin: &Actor,
    provider: i64,
    network: i64,
    clients: &[Client<'_>],
) -> Fallible<Estate> {
    let mut rng = Rng::new(20261205);
    let mut estate_assets: Vec<AssetSeed> = Vec::new();
    let mut m = Maker { tx, admin, count: 0 };
    let net = |host: &str, serial: &str, model: &str, ip: &str, ports: i64| {
        json!({"hostname": host, "serial_number": serial, "model": model, "vendor": "华为 Huawei",
            "firmware": "V200R021C10", "management_ip": ip, "port_count": ports, "rack": "DC-1 A01",
            "warranty_end": "2028-12-31"})
    };
    let g = Some(network);
    let core1 = m
        .ci(
            provider,
            "switch",
            "核心交换机 Core switch 01",
            net("core-sw-01", "HW2102351", "CE6881-48S6CQ", "10.0.0.2", 54),
            None,
            g,
            None,
        )
        .await?;
    let core2 = m
        .ci(
            provider,
            "switch",
            "核心交换机 Core switch 02",
            net("core-sw-02", "HW2102352", "CE6881-48S6CQ", "10.0.0.3", 54),
            None,
            g,
            None,
        )
        .await?;
    let fw = m
        .ci(
            provider,
            "firewall",
            "出口防火墙 Edge firewall",
            net("edge-fw-01", "HW3300917", "USG6555F", "10.0.0.1", 16),
            None,
            g,
            None,
        )
        .await?;
    let rt = m
        .ci(
            provider,
            "router",
            "出口路由器 Edge router",
            net("edge-rt-01", "HW4409123", "NetEngine AR6280", "10.0.0.254", 8),
            None,
            g,
            None,
        )
        .await?;
    let san_values = json!({"serial_number": "SAN-77120", "model": "OceanStor 5310", "vendor": "华为 Huawei",
        "capacity_tb": 120, "management_ip": "10.0.1.10", "rack": "DC-1 A03", "warranty_end": "2027-03-31"});
    let san = m.ci(provider, "storage", "共享存储 Shared SAN", san_values, None, g, None).await?;
    m.relate(core1, ConnectsTo, fw).await?;
    m.relate(core2, ConnectsTo, fw).await?;
    m.relate(fw, ConnectsTo, rt).await?;
    m.relate(core1, ConnectsTo, core2).await?;
    m.relate(san, ConnectsTo, core1).await?;

    let mut estate = Estate { pcs: vec![], tenants: vec![], count: 0, assets: vec![] };
    let mut seed =
        |ci_id: i64, tenant_id: i64, name: String, v: &Value, location_id: i64, user_id: Option<i64>, cost: i64| {
            let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            estate_assets.push(AssetSeed {
                ci_id,
                tenant_id,
                tag: s("asset_tag"),
                name,
                model: s("model"),
                serial: s("serial_number"),
                vendor: s("vendor"),
                location_id,
                user_id,
                cost,
            });
        };
    for (ci_no, c) in clients.iter().enumerate() {
        let p = c.prefix;
        let building = 1 + ci_no as u32;
        let grp = Some(c.group);
        // Physical servers in the data centre, on the shared core and SAN.
        let mut servers = Vec::new();
        for i in 1..=6 {
            let values = json!({"hostname": format!("{p}-esx-{i:02}"), "serial_number": format!("{}{:05}", p.to_uppercase(), 81000 + i),
                "asset_tag": tag(building, 0, 1, i), "model": "PowerEdge R750", "vendor": "戴尔 Dell",
                "os": "linux", "os_version": "VMware ESXi 8.0", "patches": "8.0 U3b",
                "cpu_cores": 64, "memory_gb": 512, "ip_addresses": [format!("10.{}.1.{}", 10 + ci_no, 10 + i)],
                "rack": format!("DC-1 B0{}", 1 + i / 4), "warranty_end": format!("202{}-0{}-28", 6 + i % 3, 1 + i % 9)});
            let name = format!("虚拟化主机 ESXi host {i:02}");
            let s = m.ci(c.tenant_id, "server", &name, values.clone(), Some(c.dc), grp, None).await?;
            seed(s, c.tenant_id, name, &values, c.dc, None, 68_000);
            m.relate(s, ConnectsTo, if i % 2 == 0 { core2 } else { core1 }).await?;
            m.relate(s, Uses, san).await?;
            servers.push(s);
        }
        // Access switches per office floor, up to the core.
        let mut access = Vec::new();
        for (i, office) in c.offices.iter().enumerate() {
            let host = format!("{p}-acc-sw-{:02}", i + 1);
            let values = net(
                &host,
                &format!("HW21{}{:04}", ci_no, 500 + i),
                "S5735-L48T4X",
                &format!("10.{}.0.{}", 10 + ci_no, 20 + i),
                52,
            );
            let sw = m
                .ci(
                    c.tenant_id,
                    "switch",
                    &format!("接入交换机 Access switch {:02}", i + 1),
                    values,
                    Some(*office),
                    grp,
                    None,
                )
                .await?;
            m.relate(sw, ConnectsTo, core1).await?;
            access.push(sw);
        }
        // Services, applications, databases, middleware, on virtual machines.
        let mut apps = Vec::new();
        let mut vm_no = 0;
        for (i, (service, owner, app, version, vendor, engine)) in c.services.iter().enumerate() {
            let mut vm = async |m: &mut Maker<'_>, role: &str| -> Fallible<i64> {
                vm_no += 1;
                let host = servers[vm_no % servers.len()];
                let values = json!({"hostname": format!("{p}-{role}-{vm_no:02}"), "uuid": format!("4210{ci_no}{vm_no:03}-6f2e-4c1a-9d7e-0000000{vm_no:05}"),
                    "os": if role == "db" && *engine == "sqlserver" { "windows" } else { "linux" },
                    "os_version": if role == "db" && *engine == "sqlserver" { "Windows Server 2022" } else { "麒麟 Kylin V10 SP3" },
                    "cpu_cores": 8, "memory_gb": if role == "db" { 64 } else { 16 },
                    "ip_addresses": [format!("10.{}.2.{}", 10 + ci_no, vm_no)], "host": host});
                let v = m
                    .ci(
                        c.tenant_id,
                        "virtual_machine",
                        &format!("{p}-{role}-{vm_no:02}"),
                        values,
                        Some(c.dc),
                        grp,
                        None,
                    )
                    .await?;
                m.relate(v, RunsOn, host).await?;
                Ok(v)
            };
            let crit = ["high", "high", "medium", "low"][i % 4];
            let svc = m
                .ci(
                    c.tenant_id,
                    "business_service",
                    service,
                    json!({"criticality": crit, "business_owner": owner, "service_hours": "7×24"}),
                    None,
                    grp,
                    None,
                )
                .await?;
            let a = m
                .ci(c.tenant_id, "application", app, json!({"version": version, "vendor": vendor, "url": format!("https://{p}-app{i}.example.cn"), "criticality": crit}), None, grp, None)
                .await?;
            let web = vm(&mut m, "app").await?;
            let dbvm = vm(&mut m, "db").await?;
            let db = m
                .ci(c.tenant_id, "database", &format!("{app} 数据库 database"), json!({"engine": engine, "version": db_version(engine), "port": 1521 + i as i64, "instance": format!("{p}db{i}")}), Some(c.dc), grp, None)
                .await?;
            let mw = m
                .ci(
                    c.tenant_id,
                    "middleware",
                    &format!("{app} Tomcat"),
                    json!({"product": "tomcat", "version": "9.0.93", "port": 8080}),
                    Some(c.dc),
                    grp,
                    None,
                )
                .await?;
            m.relate(svc, DependsOn, a).await?;
            m.relate(a, RunsOn, web).await?;
            m.relate(a, Uses, db).await?;
            m.relate(a, DependsOn, mw).await?;
            m.relate(db, RunsOn, dbvm).await?;
            m.relate(mw, RunsOn, web).await?;
            apps.push(a);
        }
        // A PC for each end user and some more, and the printers of each floor.
        let models = ["ThinkCentre M90q", "OptiPlex 7010", "联想 开天 M740J", "HP EliteDesk 800"];
        for i in 0..60usize {
            let user = c.users.get(i).copied();
            let office = c.offices[i % c.offices.len()];
            let values = json!({"hostname": format!("{p}-pc-{:04}", i + 1), "serial_number": format!("PC{}{:06}", ci_no, 310000 + i),
                "asset_tag": tag(building, 1 + (i % c.offices.len()) as u32, 10 + (i % 7) as u32, i + 1),
                "model": rng.pick(&models), "vendor": "联想 Lenovo", "os": "windows", "os_version": "Windows 11 23H2",
                "ip_address": format!("10.{}.{}.{}", 10 + ci_no, 10 + i % c.offices.len(), 100 + i), "warranty_end": "2027-09-30"});
            let name = match user {
                Some(_) => format!("办公电脑 Office PC {:04}", i + 1),
                None => format!("公用电脑 Shared PC {:04}", i + 1),
            };
            let pc = m.ci(c.tenant_id, "pc", &name, values.clone(), Some(office), grp, user).await?;
            seed(pc, c.tenant_id, name, &values, office, user, 5_200);
            m.relate(pc, ConnectsTo, access[i % access.len()]).await?;
            if let Some(u) = user {
                estate.pcs.push((u, pc));
            }
        }
        let mut printers = Vec::new();
        for (i, office) in c.offices.iter().enumerate() {
            let values = json!({"serial_number": format!("CN{}B{:05}", ci_no, 7100 + i), "asset_tag": tag(building, 1 + i as u32, 1, 900 + i),
                "model": "HP LaserJet M406dn", "vendor": "惠普 HP", "ip_address": format!("10.{}.{}.250", 10 + ci_no, 10 + i), "color": i % 2 == 0});
            let name = format!("打印机 Printer {:02}", i + 1);
            let pr = m.ci(c.tenant_id, "printer", &name, values.clone(), Some(*office), grp, None).await?;
            seed(pr, c.tenant_id, name, &values, *office, None, 2_400);
            m.relate(pr, ConnectsTo, access[i % access.len()]).await?;
            printers.push(pr);
        }
        estate.tenants.push(ClientCis {
            tenant_id: c.tenant_id,
            printers,
            access_switches: access,
            applications: apps,
        });
    }
    estate.count = m.count;
    estate.assets = estate_assets;
    Ok(estate)
}

fn db_version(engine: &str) -> &'static str {
    match engine {
        "oracle" => "19c",
        "mysql" => "8.0.39",
        "sqlserver" => "2019",
        "kingbase" => "V8R6",
        "dameng" => "DM8",
        _ => "16",
    }
}
