//! The range's posts with their figures, sorted on the server by the column the URL names
//! (`?sort=impressions&dir=asc`), so sorting works without a script and can be linked to.

use std::cmp::Ordering;

use crate::domain::analytics::Metrics;
use crate::store::Post;

use super::chart::grouped;
use super::percent;
use crate::web::render::local_time;

/// Characters of a post shown in the table.
const EXCERPT_CHARS: usize = 80;
/// Posts per page of the table: a year of a prolific account stays a page that renders fast.
pub const PAGE_ROWS: usize = 50;

/// What the table can be sorted by; the names are the URL's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Published,
    Impressions,
    Reached,
    Reactions,
    Comments,
    Reposts,
    Engagement,
}

impl Key {
    const ALL: [(Self, &'static str, &'static str); 7] = [
        (Self::Published, "published", "Published"),
        (Self::Impressions, "impressions", "Impressions"),
        (Self::Reached, "reached", "Members reached"),
        (Self::Reactions, "reactions", "Reactions"),
        (Self::Comments, "comments", "Comments"),
        (Self::Reposts, "reposts", "Reposts"),
        (Self::Engagement, "engagement", "Engagement rate"),
    ];
}

/// A column and a direction; newest first unless the URL says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    key: Key,
    descending: bool,
}

impl Sort {
    /// The URL's names of this order: (`sort`, `dir`).
    fn names(self) -> (&'static str, &'static str) {
        let name = Key::ALL
            .iter()
            .find(|(key, _, _)| *key == self.key)
            .map_or("published", |(_, name, _)| name);
        (name, if self.descending { "desc" } else { "asc" })
    }

    /// `sort` and `dir` from the URL; anything unknown falls back to the default.
    pub fn parse(sort: Option<&str>, dir: Option<&str>) -> Self {
        let key = Key::ALL
            .iter()
            .find(|(_, name, _)| Some(*name) == sort)
            .map_or(Key::Published, |(key, _, _)| *key);
        Self {
            key,
            descending: dir != Some("asc"),
        }
    }
}

/// A header cell: its link sorts by the column (the current one flips direction).
pub struct SortColumn {
    pub label: &'static str,
    pub href: String,
    /// `ascending` or `descending` on the column the table is sorted by.
    pub aria_sort: Option<&'static str>,
    /// ` ↑` or ` ↓` beside that column's name (hidden from screen readers, which say aria-sort).
    pub arrow: &'static str,
}

/// The header cells, each linking to `base` (the page with its range) sorted by it.
pub fn columns(base: &str, sort: Sort) -> Vec<SortColumn> {
    Key::ALL
        .iter()
        .map(|(key, name, label)| {
            let current = sort.key == *key;
            let dir = if current && sort.descending {
                "asc"
            } else {
                "desc"
            };
            SortColumn {
                label,
                href: format!("{base}&sort={name}&dir={dir}"),
                aria_sort: current.then_some(if sort.descending {
                    "descending"
                } else {
                    "ascending"
                }),
                arrow: match (current, sort.descending) {
                    (false, _) => "",
                    (true, true) => " ↓",
                    (true, false) => " ↑",
                },
            }
        })
        .collect()
}

/// One post of the range.
pub struct PostRow {
    pub id: String,
    pub excerpt: String,
    pub published: String,
    pub linkedin_url: Option<String>,
    pub figures: [String; 6],
}

fn compare(key: Key, a: &(Post, Metrics), b: &(Post, Metrics)) -> Ordering {
    let (pa, ma) = a;
    let (pb, mb) = b;
    match key {
        Key::Published => pa.published_at.cmp(&pb.published_at),
        Key::Impressions => ma.impressions.cmp(&mb.impressions),
        Key::Reached => ma.members_reached.cmp(&mb.members_reached),
        Key::Reactions => ma.reactions.cmp(&mb.reactions),
        Key::Comments => ma.comments.cmp(&mb.comments),
        Key::Reposts => ma.reposts.cmp(&mb.reposts),
        Key::Engagement => ma.engagement_rate().total_cmp(&mb.engagement_rate()),
    }
}

/// Links to the table's other pages, keeping the range and the order; `None` for one page.
pub struct Pager {
    pub page: usize,
    pub pages: usize,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// The pager of page `page` (1-based) of `pages`.
pub fn pager(base: &str, sort: Sort, page: usize, pages: usize) -> Option<Pager> {
    let (name, dir) = sort.names();
    let link = |n: usize| format!("{base}&sort={name}&dir={dir}&page={n}");
    (pages > 1).then(|| Pager {
        page,
        pages,
        previous: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
    })
}

/// Page `page` (1-based) of the rows in the asked order; ties newest first, then by id, so the
/// order is stable across pages.
pub fn rows(
    mut posts: Vec<(Post, Metrics)>,
    sort: Sort,
    tz: chrono_tz::Tz,
    page: usize,
) -> Vec<PostRow> {
    posts.sort_by(|a, b| {
        let primary = compare(sort.key, a, b);
        let primary = if sort.descending {
            primary.reverse()
        } else {
            primary
        };
        primary
            .then_with(|| b.0.published_at.cmp(&a.0.published_at))
            .then_with(|| a.0.id.to_string().cmp(&b.0.id.to_string()))
    });
    posts
        .into_iter()
        .skip((page.max(1) - 1) * PAGE_ROWS)
        .take(PAGE_ROWS)
        .map(|(post, m)| PostRow {
            id: post.id.to_string(),
            excerpt: crate::web::posts::excerpt(&post.fields.content, EXCERPT_CHARS),
            published: post
                .published_at
                .map(|at| local_time(at, tz))
                .unwrap_or_default(),
            linkedin_url: post
                .linkedin_urn
                .as_deref()
                .map(crate::api::posts::linkedin_url),
            figures: [
                grouped(m.impressions),
                grouped(m.members_reached),
                grouped(m.reactions),
                grouped(m.comments),
                grouped(m.reposts),
                percent(m.engagement_rate()),
            ],
        })
        .collect()
}
