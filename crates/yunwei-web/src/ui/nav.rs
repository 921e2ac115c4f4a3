//! The top navigation, assembled from the links each module contributes
//! ([`Module::nav`](crate::Module)): the links for staff first, then the administrators', then
//! those for everyone signed in, each group in the order of the modules.

use std::sync::OnceLock;

/// Who sees a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Staff who work tickets.
    Staff,
    /// Administrators.
    Admin,
    /// Everyone signed in.
    SignedIn,
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

/// The links a viewer sees, in the order they are shown.
pub fn visible(signed_in: bool, staff: bool, admin: bool) -> Vec<&'static NavLink> {
    if !signed_in {
        return Vec::new();
    }
    let all = LINKS.get().map(Vec::as_slice).unwrap_or_default();
    [(Audience::Staff, staff), (Audience::Admin, admin), (Audience::SignedIn, true)]
        .into_iter()
        .filter(|(_, shown)| *shown)
        .flat_map(|(audience, _)| all.iter().copied().filter(move |l| l.audience == audience))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    static A: [NavLink; 2] = [
        NavLink::new("queues", "/q", "nav.queues", "", Audience::Staff),
        NavLink::new("mine", "/m", "nav.my_tickets", "", Audience::SignedIn),
    ];
    static B: [NavLink; 2] = [
        NavLink::new("admin", "/a", "nav.admin", "nav-admin", Audience::Admin),
        NavLink::new("soon", "/s", "sla.nav.soon", "", Audience::Staff),
    ];

    #[test]
    fn each_viewer_sees_the_links_of_their_audience_staff_first_then_admin_then_everyone() {
        install(A.iter().chain(B.iter()).collect());
        let names =
            |signed_in, staff, admin| visible(signed_in, staff, admin).iter().map(|l| l.name).collect::<Vec<_>>();
        assert_eq!(names(false, false, false), Vec::<&str>::new());
        assert_eq!(names(true, false, false), vec!["mine"]);
        assert_eq!(names(true, true, false), vec!["queues", "soon", "mine"]);
        assert_eq!(names(true, true, true), vec!["queues", "soon", "admin", "mine"]);
    }
}
