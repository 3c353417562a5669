//! Permissions an API key can hold: one [`Scope`] per action, and sets of them.

use std::fmt;

/// A permission a key can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    PostsRead,
    PostsWrite,
    PostsDelete,
    IdeasRead,
    IdeasWrite,
    AnalyticsRead,
    ProfileRead,
}

impl Scope {
    /// Every scope, in documentation order.
    pub const ALL: [Scope; 7] = [
        Scope::PostsRead,
        Scope::PostsWrite,
        Scope::PostsDelete,
        Scope::IdeasRead,
        Scope::IdeasWrite,
        Scope::AnalyticsRead,
        Scope::ProfileRead,
    ];

    /// The scope's wire name, e.g. `posts:read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::PostsRead => "posts:read",
            Scope::PostsWrite => "posts:write",
            Scope::PostsDelete => "posts:delete",
            Scope::IdeasRead => "ideas:read",
            Scope::IdeasWrite => "ideas:write",
            Scope::AnalyticsRead => "analytics:read",
            Scope::ProfileRead => "profile:read",
        }
    }

    /// The documented one-line description.
    pub fn description(self) -> &'static str {
        match self {
            Scope::PostsRead => "Read and list posts",
            Scope::PostsWrite => "Create and update posts",
            Scope::PostsDelete => "Delete posts",
            Scope::IdeasRead => "Read and list ideas",
            Scope::IdeasWrite => "Create and update ideas",
            Scope::AnalyticsRead => "Read analytics data",
            Scope::ProfileRead => "Read profile information",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Scope::ALL.iter().map(|s| s.as_str()).collect();
                format!("unknown scope {s:?}; known scopes: {}", known.join(" "))
            })
    }
}

/// A set of scopes, stored as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u8);

impl Scopes {
    /// Parses a list such as `posts:read,posts:write` (commas or spaces); at least one scope.
    pub fn parse_list(list: &str) -> Result<Self, String> {
        let mut scopes = Scopes::default();
        for name in list.split([',', ' ']).filter(|s| !s.is_empty()) {
            scopes.insert(name.parse()?);
        }
        if scopes.is_empty() {
            return Err("at least one scope is required".into());
        }
        Ok(scopes)
    }

    /// Adds a scope.
    pub fn insert(&mut self, scope: Scope) {
        self.0 |= scope.bit();
    }

    /// Whether the set holds `scope`.
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The scopes in documentation order.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// The wire names, in documentation order.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Scope::as_str).collect()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut scopes = Scopes::default();
        for scope in iter {
            scopes.insert(scope);
        }
        scopes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_reject_unknown_names() {
        let scopes = Scopes::parse_list("posts:read,posts:write").unwrap();
        assert_eq!(scopes.names(), ["posts:read", "posts:write"]);
        assert!(Scopes::parse_list("posts:read,posts:admin")
            .unwrap_err()
            .contains("posts:admin"));
        assert!(Scopes::parse_list("").is_err());
    }
}
