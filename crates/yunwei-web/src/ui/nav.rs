//! The top navigation, assembled from the links each module contributes
//! ([`Module::nav`](crate::Module)): the links for staff (and those for the roles a link
//! names) first, then the administrators', then the portal's and those for everyone signed
//! in, each group in the order of the modules.

use std::sync::OnceLock;

use yunwei_kernel::permission::Role;

/// Who sees a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Staff who work tickets.
    Staff,
    /// Administrators.
    Admin,
    /// The people of a client organisation (end users and their IT contacts): pages of the
    /// portal that staff reach another way.
    Portal,
    /// Whoever has one of these roles, e.g. a permission's (`READ_CMDB.roles`), which may name
    /// client roles too; shown among the staff links.
    Roles(&'static [Role]),
    /// Everyone signed in.
    SignedIn,
}

impl Audience {
    fn shows(self, role: Role) -> bool {
        match self {
            Audience::Staff => role.is_staff(),
            Audience::Admin => role == Role::Admin,
            Audience::Portal => !role.is_staff(),
            Audience::Roles(roles) => roles.contains(&role),
            Audience::SignedIn => true,
        }
    }

    /// The group a link is shown in: staff, administrators, everyone.
    fn group(self) -> u8 {
        match self {
            Audience::Staff | Audience::Roles(_) => 0,
            Audience::Admin => 1,
            Audience::Portal | Audience::SignedIn => 2,
        }
    }
}

/// A link in the top navigation.
#[derive(Debug)]
pub struct NavLink {
    /// The name a page gives [`Ui::new`](super::view::Ui::new) to be marked as current.
    pub name: &'static str,
    pub href: &'static str,
    /// The translation key of its label.
    pub label: &'static str,
    /// The element id, for tests and styles; empty for none.
    pub id: &'static str,
    pub audience: Audience,
}

impl NavLink {
    pub const fn new(
        name: &'static str,
        href: &'static str,
        label: &'static str,
        id: &'static str,
        audience: Audience,
    ) -> Self {
        NavLink { name, href, label, id, audience }
    }
}

static LINKS: OnceLock<Vec<&'static NavLink>> = OnceLock::new();

/// Sets the links of the modules being served. The first call wins: one process serves one
/// set of modules.
pub fn install(links: Vec<&'static NavLink>) {
    let _ = LINKS.set(links);
}

/// The links a viewer with `role` sees (none when no one is signed in), in the order they
/// are shown.
pub fn visible(role: Option<Role>) -> Vec<&'static NavLink> {
    let Some(role) = role else { return Vec::new() };
    let all = LINKS.get().map(Vec::as_slice).unwrap_or_default();
    let mut shown: Vec<&'static NavLink> = all.iter().copied().filter(|l| l.audience.shows(role)).collect();
    shown.sort_by_key(|l| l.audience.group());
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    static A: [NavLink; 2] = [
        NavLink::new("queues", "/q", "nav.queues", "", Audience::Staff),
        NavLink::new("mine", "/m", "nav.my_tickets", "", Audience::SignedIn),
    ];
    static B: [NavLink; 4] = [
        NavLink::new("admin", "/a", "nav.admin", "nav-admin", Audience::Admin),
        NavLink::new("soon", "/s", "sla.nav.soon", "", Audience::Staff),
        NavLink::new("devices", "/d", "nav.devices", "", Audience::Portal),
        NavLink::new("cmdb", "/c", "cmdb.nav", "", Audience::Roles(&[Role::Agent, Role::ClientIt])),
    ];

    #[test]
    fn each_viewer_sees_the_links_of_their_audience_staff_first_then_admin_then_everyone() {
        install(A.iter().chain(B.iter()).collect());
        let names = |role| visible(role).iter().map(|l| l.name).collect::<Vec<_>>();
        assert_eq!(names(None), Vec::<&str>::new());
        assert_eq!(names(Some(Role::EndUser)), vec!["mine", "devices"]);
        assert_eq!(names(Some(Role::ClientIt)), vec!["cmdb", "mine", "devices"], "a role-named link for a client");
        assert_eq!(names(Some(Role::Agent)), vec!["queues", "soon", "cmdb", "mine"]);
        assert_eq!(names(Some(Role::GroupLead)), vec!["queues", "soon", "mine"], "not one of the roles named");
        assert_eq!(names(Some(Role::Admin)), vec!["queues", "soon", "admin", "mine"]);
    }
}
