//! What the load works with, discovered from the server before it starts (untimed): the
//! tenants, groups, categories and people to fill requests with, a pool of existing ticket
//! numbers, and page-2 cursors for the queue.

use serde::{Deserialize, Serialize};

use crate::http::{Failure, Http, parse, send};
use crate::rng::Rng;

#[derive(Deserialize)]
struct Items<T> {
    items: Vec<T>,
}

#[derive(Deserialize)]
struct Page<T> {
    items: Vec<T>,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
pub struct Me {
    pub id: i64,
    pub login: String,
    pub role: String,
}

#[derive(Deserialize)]
struct Tenant {
    id: i64,
    kind: String,
    active: bool,
}

#[derive(Deserialize, Clone)]
pub struct Group {
    pub id: i64,
    pub tier: i64,
    pub active: bool,
    pub members: Vec<i64>,
}

#[derive(Deserialize)]
struct Category {
    id: i64,
    parent_id: Option<i64>,
    active: bool,
}

#[derive(Deserialize)]
struct User {
    id: i64,
}

#[derive(Deserialize)]
pub struct TicketBrief {
    pub id: i64,
    pub number: String,
    pub created_at: String,
}

/// The organisation as the admin token sees it.
#[derive(Default)]
pub struct World {
    pub me_id: i64,
    /// Client tenants (all tenants when there are no client ones).
    pub tenants: Vec<i64>,
    /// The provider's own tenant, whose CIs (the core switches) the clients share.
    pub provider: Option<i64>,
    pub groups: Vec<Group>,
    /// Every active category (a queue filter takes sub-categories along).
    pub categories: Vec<i64>,
    /// Active categories without sub-categories, for new tickets.
    pub leaf_categories: Vec<i64>,
    pub end_users: Vec<i64>,
    /// Members of support groups other than the caller: the assignees of "my tickets" queues.
    pub assignees: Vec<i64>,
    /// The highest ticket id when the run started.
    pub max_ticket_id: i64,
}

/// What the JSON report says about the data the load ran on.
#[derive(Serialize)]
pub struct WorldFacts {
    pub max_ticket_id: i64,
    pub tenants: usize,
    pub groups: usize,
    pub categories: usize,
    pub end_users: usize,
    pub assignees: usize,
}

impl World {
    pub fn facts(&self) -> WorldFacts {
        WorldFacts {
            max_ticket_id: self.max_ticket_id,
            tenants: self.tenants.len(),
            groups: self.groups.len(),
            categories: self.categories.len(),
            end_users: self.end_users.len(),
            assignees: self.assignees.len(),
        }
    }

    /// The group the `action` chain dispatches to, and whether the caller may claim there: a
    /// group the caller belongs to (lowest tier first), else the first first-line group.
    pub fn action_group(&self) -> Option<(i64, bool)> {
        let mut active: Vec<&Group> = self.groups.iter().filter(|g| g.active).collect();
        active.sort_by_key(|g| (g.tier, g.id));
        if let Some(g) = active.iter().find(|g| g.members.contains(&self.me_id)) {
            return Some((g.id, true));
        }
        active.first().map(|g| (g.id, false))
    }
}

fn ctx(what: &str) -> impl Fn(Failure) -> String + '_ {
    move |f| format!("discovery: {what}: {f}")
}

async fn get<T: serde::de::DeserializeOwned>(http: &Http, path: &str, query: &[(&str, String)]) -> Result<T, String> {
    let body = send(http.get(path).query(query)).await.map_err(ctx(path))?;
    parse(&body).map_err(ctx(path))
}

#[derive(Deserialize)]
struct CiBrief {
    id: i64,
}

/// Up to `want` CIs of a class (by name, from a few places in the list).
pub async fn ci_pool(http: &Http, class: &str, tenant: Option<i64>, want: usize) -> Result<Vec<i64>, String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    while ids.len() < want {
        let mut q = vec![("class", class.to_string()), ("limit", "500".to_string())];
        if let Some(t) = tenant {
            q.push(("tenant_id", t.to_string()));
        }
        if let Some(c) = &cursor {
            q.push(("cursor", c.clone()));
        }
        let page: Page<CiBrief> = get(http, "cis", &q).await?;
        ids.extend(page.items.into_iter().map(|c| c.id));
        match page.next_cursor {
            Some(c) if ids.len() < want => cursor = Some(c),
            _ => break,
        }
    }
    ids.truncate(want);
    Ok(ids)
}

/// Reads the organisation and the ticket id range.
pub async fn discover(http: &Http, me: &Me) -> Result<World, String> {
    let mut w = World { me_id: me.id, ..World::default() };

    let tenants: Items<Tenant> = get(http, "tenants", &[]).await?;
    let active: Vec<&Tenant> = tenants.items.iter().filter(|t| t.active).collect();
    w.tenants = active.iter().filter(|t| t.kind == "client").map(|t| t.id).collect();
    w.provider = active.iter().find(|t| t.kind == "provider").map(|t| t.id);
    if w.tenants.is_empty() {
        w.tenants = active.iter().map(|t| t.id).collect();
    }

    let groups: Items<Group> = get(http, "groups", &[]).await?;
    w.groups = groups.items.into_iter().filter(|g| g.active).collect();
    let mut assignees: Vec<i64> =
        w.groups.iter().flat_map(|g| g.members.iter().copied()).filter(|&u| u != me.id).collect();
    assignees.sort_unstable();
    assignees.dedup();
    w.assignees = assignees;

    let cats: Items<Category> = get(http, "categories", &[]).await?;
    let cats: Vec<&Category> = cats.items.iter().filter(|c| c.active).collect();
    w.categories = cats.iter().map(|c| c.id).collect();
    w.leaf_categories = cats.iter().filter(|c| !cats.iter().any(|o| o.parent_id == Some(c.id))).map(|c| c.id).collect();

    let users: Items<User> =
        get(http, "users", &[("role", "end_user".to_string()), ("active", "true".to_string())]).await?;
    w.end_users = users.items.into_iter().map(|u| u.id).collect();

    let last: Page<TicketBrief> =
        get(http, "tickets", &[("sort", "-number".to_string()), ("limit", "1".to_string())]).await?;
    w.max_ticket_id = last.items.first().map(|t| t.id).unwrap_or(0);
    Ok(w)
}

/// Up to `want` existing ticket numbers from all over the history: pages of 200 starting at
/// random creation times between the oldest and the newest ticket.
pub async fn ticket_pool(http: &Http, rng: &mut Rng, want: usize) -> Result<Vec<String>, String> {
    let one = |sort: &str| vec![("sort", sort.to_string()), ("limit", "1".to_string())];
    let first: Page<TicketBrief> = get(http, "tickets", &one("created_at")).await?;
    let last: Page<TicketBrief> = get(http, "tickets", &one("-created_at")).await?;
    let (Some(first), Some(last)) = (first.items.first(), last.items.first()) else {
        return Ok(Vec::new());
    };
    let micros = |t: &str| t.parse::<jiff::Timestamp>().map(|t| t.as_microsecond()).unwrap_or(0);
    let (from, to) = (micros(&first.created_at), micros(&last.created_at));
    let mut numbers = Vec::new();
    let pages = want.div_ceil(200).max(1);
    for _ in 0..pages {
        let at = from + ((to - from).max(0) as f64 * rng.f64()) as i64;
        let at = jiff::Timestamp::from_microsecond(at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let page: Page<TicketBrief> = get(
            http,
            "tickets",
            &[("created_from", at.to_string()), ("sort", "created_at".to_string()), ("limit", "200".to_string())],
        )
        .await?;
        numbers.extend(page.items.into_iter().map(|t| t.number));
    }
    if numbers.len() < want {
        // A small store: the newest tickets fill the pool.
        let page: Page<TicketBrief> =
            get(http, "tickets", &[("sort", "-created_at".to_string()), ("limit", "200".to_string())]).await?;
        numbers.extend(page.items.into_iter().map(|t| t.number));
    }
    numbers.sort_unstable();
    numbers.dedup();
    numbers.truncate(want);
    Ok(numbers)
}

/// The first page of a queue query, if it has a second one: the parameters with its cursor.
pub async fn second_page(
    http: &Http,
    q: &[(&'static str, String)],
) -> Result<Option<Vec<(&'static str, String)>>, String> {
    let page: Page<serde_json::Value> = get(http, "tickets", q).await?;
    Ok(page.next_cursor.map(|c| {
        let mut q = q.to_vec();
        q.push(("cursor", c));
        q
    }))
}
