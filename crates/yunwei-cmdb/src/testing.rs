//! A small estate to test the CMDB against (feature `testing`): the provider with a shared
//! core switch, two client organisations, and one person of each kind.

use yunwei_db::Store;
use yunwei_kernel::permission::Actor;

pub struct World {
    pub admin: Actor,
    /// Configuration manager serving tenant A.
    pub config_a: Actor,
    /// Agent serving tenant A only.
    pub agent_a: Actor,
    /// Agent serving tenants A and B.
    pub agent_ab: Actor,
    /// Tenant A's own IT contact.
    pub client_it_a: Actor,
    pub user_a: Actor,
    pub user_b: Actor,
    pub provider: i64,
    pub tenant_a: i64,
    pub tenant_b: i64,
    pub group: i64,
    pub location_a: i64,
}

impl World {
    pub async fn build(store: &Store) -> World {
        use yunwei_org::{groups, locations, tenants, users};
        let mut txo = store.write().await.expect("begin");
        let tx = &mut txo;
        let new = |login: &str, role: &str| users::NewUser {
            login: login.into(),
            name: login.into(),
            role: role.into(),
            ..Default::default()
        };
        let admin_user = users::create(tx, None, new("admin", "admin")).await.expect("admin");
        let admin = yunwei_db::identity::actor(tx, &admin_user.user).await.expect("admin actor");
        let provider = tenants::provider(tx).await.expect("provider").id;
        let tenant = |code: &str| tenants::NewTenant { code: code.into(), name: code.into(), kind: "client".into() };
        let tenant_a = tenants::create(tx, Some(&admin), tenant("ACME")).await.expect("a").id;
        let tenant_b = tenants::create(tx, Some(&admin), tenant("GLOBEX")).await.expect("b").id;
        let group_input =
            groups::GroupInput { name: Some("机房运维 Data centre".into()), tier: Some(2), ..Default::default() };
        let group = groups::create(tx, &admin, group_input).await.expect("group").group.id;
        let mut actor_of = async |new: users::NewUser| {
            let u = users::create(tx, Some(&admin), new).await.expect("user");
            yunwei_db::identity::actor(tx, &u.user).await.expect("actor")
        };
        let config_a =
            actor_of(users::NewUser { served_tenants: vec![tenant_a], ..new("config.a", "config_manager") }).await;
        let agent_a = actor_of(users::NewUser { served_tenants: vec![tenant_a], ..new("agent.a", "agent") }).await;
        let agent_ab =
            actor_of(users::NewUser { served_tenants: vec![tenant_a, tenant_b], ..new("agent.ab", "agent") }).await;
        let client_it_a = actor_of(users::NewUser { tenant_id: Some(tenant_a), ..new("it.a", "client_it") }).await;
        let user_a = actor_of(users::NewUser { tenant_id: Some(tenant_a), ..new("user.a", "end_user") }).await;
        let user_b = actor_of(users::NewUser { tenant_id: Some(tenant_b), ..new("user.b", "end_user") }).await;
        let location_a = locations::create(
            tx,
            &admin,
            locations::LocationInput {
                tenant_id: Some(tenant_a),
                building: Some("数据中心 DC".into()),
                floor: Some("1".into()),
                room: Some("101".into()),
                ..Default::default()
            },
        )
        .await
        .expect("location")
        .id;
        txo.commit().await.expect("commit");
        World {
            admin,
            config_a,
            agent_a,
            agent_ab,
            client_it_a,
            user_a,
            user_b,
            provider,
            tenant_a,
            tenant_b,
            group,
            location_a,
        }
    }
}
