//! A small estate to test asset management against (feature `testing`): the provider, two
//! client organisations with numbered locations, and one person of each kind.

use yunwei_db::Store;
use yunwei_kernel::permission::Actor;

pub struct World {
    pub admin: Actor,
    /// Asset manager serving tenant A.
    pub manager_a: Actor,
    /// Agent serving tenant A only.
    pub agent_a: Actor,
    /// Configuration manager serving tenant A.
    pub config_a: Actor,
    /// Tenant A's own IT contact.
    pub client_it_a: Actor,
    pub user_a: Actor,
    pub user_a2: Actor,
    pub user_b: Actor,
    pub provider: i64,
    pub tenant_a: i64,
    pub tenant_b: i64,
    /// Tenant A, building 1, floor 2, room 10.
    pub room_a: i64,
    /// Tenant A, building 1, floor 3, room 5.
    pub room_a2: i64,
    /// Tenant B, building 2, floor 1, room 1.
    pub room_b: i64,
}

impl World {
    pub async fn build(store: &Store) -> World {
        use yunwei_org::{locations, tenants, users};
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
        let mut actor_of = async |new: users::NewUser| {
            let u = users::create(tx, Some(&admin), new).await.expect("user");
            yunwei_db::identity::actor(tx, &u.user).await.expect("actor")
        };
        let manager_a =
            actor_of(users::NewUser { served_tenants: vec![tenant_a], ..new("assets.a", "asset_manager") }).await;
        let agent_a = actor_of(users::NewUser { served_tenants: vec![tenant_a], ..new("agent.a", "agent") }).await;
        let config_a =
            actor_of(users::NewUser { served_tenants: vec![tenant_a], ..new("config.a", "config_manager") }).await;
        let client_it_a = actor_of(users::NewUser { tenant_id: Some(tenant_a), ..new("it.a", "client_it") }).await;
        let user_a = actor_of(users::NewUser { tenant_id: Some(tenant_a), ..new("user.a", "end_user") }).await;
        let user_a2 = actor_of(users::NewUser { tenant_id: Some(tenant_a), ..new("user.a2", "end_user") }).await;
        let user_b = actor_of(users::NewUser { tenant_id: Some(tenant_b), ..new("user.b", "end_user") }).await;
        let mut place = async |tenant: i64, building: &str, floor: &str, room: &str| {
            let input = locations::LocationInput {
                tenant_id: Some(tenant),
                building: Some(building.into()),
                floor: Some(floor.into()),
                room: Some(room.into()),
                ..Default::default()
            };
            locations::create(tx, &admin, input).await.expect("location").id
        };
        let room_a = place(tenant_a, "1号楼", "2", "10").await;
        let room_a2 = place(tenant_a, "1号楼", "3", "5").await;
        let room_b = place(tenant_b, "2号楼", "1", "1").await;
        txo.commit().await.expect("commit");
        World {
            admin,
            manager_a,
            agent_a,
            config_a,
            client_it_a,
            user_a,
            user_a2,
            user_b,
            provider,
            tenant_a,
            tenant_b,
            room_a,
            room_a2,
            room_b,
        }
    }
}
