//! A small organisation to test the service desk against (feature `testing`).

use yunwei_db::identity::HashedPassword;
use yunwei_db::{Backend, Store};

/// A small organisation for tests: a provider with L1/L2/L3 groups and staff, two client
/// tenants with one end user each, and a location at tenant A that L1 is responsible for.
pub struct World {
    pub admin: yunwei_kernel::permission::Actor,
    /// L1 agent serving tenant A only.
    pub agent: yunwei_kernel::permission::Actor,
    /// L2 engineer serving tenants A and B.
    pub engineer: yunwei_kernel::permission::Actor,
    /// End user of tenant A.
    pub user_a: yunwei_kernel::permission::Actor,
    /// End user of tenant B.
    pub user_b: yunwei_kernel::permission::Actor,
    pub tenant_a: i64,
    pub tenant_b: i64,
    pub l1: i64,
    pub l2: i64,
    pub l3: i64,
    pub location_a: i64,
    pub category: i64,
}

impl World {
    pub async fn build(store: &Store) -> World {
        use crate::store::categories;
        use yunwei_org::groups;
        use yunwei_org::locations;
        use yunwei_org::tenants;
        use yunwei_org::users;
        let mut txo = store.write().await.expect("begin");
        let tx = &mut txo;
        categories::seed_defaults(tx).await.expect("seed categories");
        let category = categories::list(tx).await.expect("categories")[1].id;
        let admin_user = users::create(
            tx,
            None,
            users::NewUser {
                login: "admin".into(),
                name: "管理员 Admin".into(),
                role: "admin".into(),
                password: Some(HashedPassword::new("correct horse").await.expect("hash")),
                ..Default::default()
            },
        )
        .await
        .expect("admin");
        let admin = yunwei_db::identity::actor(tx, &admin_user.user).await.expect("admin actor");
        let tenant =
            |code: &str, name: &str| tenants::NewTenant { code: code.into(), name: name.into(), kind: "client".into() };
        let tenant_a = tenants::create(tx, Some(&admin), tenant("ACME", "艾克米 Acme")).await.expect("tenant a").id;
        let tenant_b = tenants::create(tx, Some(&admin), tenant("GLOBEX", "环球 Globex")).await.expect("tenant b").id;
        let group = |name: &str, tier: i64| groups::GroupInput {
            name: Some(name.into()),
            tier: Some(tier),
            ..Default::default()
        };
        let l1 = groups::create(tx, &admin, group("Service desk", 1)).await.expect("l1").group.id;
        let l2 = groups::create(tx, &admin, group("Desktop support", 2)).await.expect("l2").group.id;
        let l3 = groups::create(tx, &admin, group("Network engineering", 3)).await.expect("l3").group.id;
        let staff = |login: &str, role: &str, served: Vec<i64>, groups: Vec<i64>| users::NewUser {
            login: login.into(),
            name: login.into(),
            role: role.into(),
            served_tenants: served,
            groups,
            ..Default::default()
        };
        let mut actor_of = async |new: users::NewUser| {
            let u = users::create(tx, Some(&admin), new).await.expect("user");
            yunwei_db::identity::actor(tx, &u.user).await.expect("actor")
        };
        let agent = actor_of(staff("agent", "agent", vec![tenant_a], vec![l1])).await;
        let engineer = actor_of(staff("engineer", "agent", vec![tenant_a, tenant_b], vec![l2])).await;
        let end_user = |login: &str, tenant: i64| users::NewUser {
            tenant_id: Some(tenant),
            login: login.into(),
            name: login.into(),
            role: "end_user".into(),
            ..Default::default()
        };
        let user_a = actor_of(end_user("user.a", tenant_a)).await;
        let user_b = actor_of(end_user("user.b", tenant_b)).await;
        let location_a = locations::create(
            tx,
            &admin,
            locations::LocationInput {
                tenant_id: Some(tenant_a),
                building: Some("A座".into()),
                floor: Some("3".into()),
                room: Some("301".into()),
                responsible_group_id: Some(Some(l1)),
                ..Default::default()
            },
        )
        .await
        .expect("location")
        .id;
        txo.commit().await.expect("commit");
        World { admin, agent, engineer, user_a, user_b, tenant_a, tenant_b, l1, l2, l3, location_a, category }
    }
}

/// Makes a ticket look as if it predated the search index: its document removed and the
/// start-up backfill marker set to its id, as the migration that made the index leaves it.
pub async fn forget_search_document(tx: &mut yunwei_db::Tx, ticket_id: i64) -> yunwei_db::Result<()> {
    let sql = match tx.backend() {
        Backend::Sqlite => "DELETE FROM ticket_search WHERE rowid = $1",
        Backend::Postgres => "DELETE FROM ticket_search WHERE ticket_id = $1",
    };
    execute!(tx, sql, ticket_id)?;
    execute!(
        tx,
        "INSERT INTO settings (key, value, updated_at) VALUES ('search.backfill_to', $1, 0)",
        ticket_id.to_string()
    )?;
    Ok(())
}

/// Runs every queued job of the service desk that is due (the server's runner does this in the
/// background), and says what ran.
pub async fn run_jobs(store: &Store) -> yunwei_db::jobs::Ran {
    yunwei_db::jobs::run_due(store, crate::MODULE.job_kinds, "test-runner", 10_000).await.expect("jobs run")
}
