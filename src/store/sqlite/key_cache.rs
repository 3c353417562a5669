//! Remembered key lookups for authentication, never staler than the database file.
//!
//! Every authenticated request looks its key up, and a remembered answer saves a SQLite read
//! transaction. An answer must not outlive a change, though: a key revoked or a plan changed, by
//! this server or by another process such as the CLI, counts from the very next request. So the
//! cache watches the database's files with inotify. SQLite writes every commit to the database's
//! files (the WAL in WAL mode) before the commit returns, and the kernel queues an inotify event
//! during that write; before answering, the cache reads that queue (one non-blocking `read`) and
//! forgets everything if anything changed. Without inotify (other systems, or a watch that cannot
//! be set up) there is no cache, and every lookup reads the database.

use std::collections::HashMap;
use std::path::Path;

use parking_lot::Mutex;

use crate::store::KeyAuth;

/// Past this many remembered keys the cache starts over, so that memory stays bounded.
const MAX_ENTRIES: usize = 10_000;

/// What the cache knows of a key hash.
pub enum Lookup {
    /// The key as the database had it, with nothing changed since.
    Hit(KeyAuth),
    /// Not known; read the database, then [`KeyCache::remember`] the answer with this generation.
    Miss(u64),
}

/// Key lookups, forgotten on any change to the database's files.
pub struct KeyCache {
    inner: Mutex<Inner>,
}

struct Inner {
    watcher: Watcher,
    /// Bumped whenever a change is seen; an answer read in an older generation is not kept.
    generation: u64,
    entries: HashMap<String, KeyAuth>,
}

impl KeyCache {
    /// A cache for the SQLite database at `path` (its WAL file must exist), or `None` where
    /// changes to it cannot be watched.
    pub fn new(path: &Path) -> Option<Self> {
        let watcher = Watcher::new(path)?;
        Some(Self {
            inner: Mutex::new(Inner {
                watcher,
                generation: 0,
                entries: HashMap::new(),
            }),
        })
    }

    /// The remembered lookup of `hash`, if the database has not changed since it was read.
    pub fn get(&self, hash: &str) -> Lookup {
        let mut inner = self.inner.lock();
        inner.forget_if_changed();
        match inner.entries.get(hash) {
            Some(key) => Lookup::Hit(key.clone()),
            None => Lookup::Miss(inner.generation),
        }
    }

    /// Remembers `key`, read from the database after [`KeyCache::get`] gave `generation`.
    ///
    /// The read may predate a change made meanwhile. If another lookup has already seen that
    /// change, the generation moved on and `key` is dropped here; if not, the change's event is
    /// still queued and the next [`KeyCache::get`] forgets `key` before answering with it.
    pub fn remember(&self, hash: &str, key: &KeyAuth, generation: u64) {
        let mut inner = self.inner.lock();
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
        }
        inner.entries.insert(hash.to_owned(), key.clone());
    }
}

impl Inner {
    fn forget_if_changed(&mut self) {
        if self.watcher.changed() {
            self.generation += 1;
            self.entries.clear();
        }
    }
}

#[cfg(target_os = "linux")]
use linux::Watcher;

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::OsString;
    use std::io::ErrorKind;
    use std::path::Path;

    use inotify::{EventMask, Inotify, WatchMask};

    /// An inotify instance watching the database file, its WAL, and their directory.
    pub struct Watcher {
        inotify: Inotify,
        /// The names of the database file and its WAL, for the directory's events.
        names: [OsString; 2],
        /// Set once a watched file was replaced, moved or removed: the watches no longer see
        /// its changes, so from then on every lookup counts as changed.
        blind: bool,
    }

    impl Watcher {
        pub fn new(path: &Path) -> Option<Self> {
            let name = path.file_name()?.to_owned();
            let mut wal_name = name.clone();
            wal_name.push("-wal");
            let wal = path.with_file_name(&wal_name);
            let inotify = Inotify::init().ok()?;
            let file_events = WatchMask::MODIFY | WatchMask::DELETE_SELF | WatchMask::MOVE_SELF;
            inotify.watches().add(path, file_events).ok()?;
            inotify.watches().add(&wal, file_events).ok()?;
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
            let dir_events = WatchMask::CREATE | WatchMask::MOVED_TO | WatchMask::MOVED_FROM;
            inotify
                .watches()
                .add(dir.unwrap_or(Path::new(".")), dir_events)
                .ok()?;
            Some(Self {
                inotify,
                names: [name, wal_name],
                blind: false,
            })
        }

        /// Whether the database's files changed since the last call; drains the queue.
        pub fn changed(&mut self) -> bool {
            let mut buffer = [0u8; 4096];
            let mut changed = self.blind;
            loop {
                let events = match self.inotify.read_events(&mut buffer) {
                    Ok(events) => events,
                    Err(err) if err.kind() == ErrorKind::WouldBlock => return changed,
                    // Cannot tell any more: assume a change, for good.
                    Err(_) => {
                        self.blind = true;
                        return true;
                    }
                };
                for event in events {
                    match event.name {
                        // Something else in the database's directory.
                        Some(name) if !self.names.iter().any(|n| n == name) => {}
                        // The database file or its WAL replaced by another file.
                        Some(_) => {
                            self.blind = true;
                            changed = true;
                        }
                        None => {
                            changed = true;
                            let gone =
                                EventMask::DELETE_SELF | EventMask::MOVE_SELF | EventMask::IGNORED;
                            if event.mask.intersects(gone) {
                                self.blind = true;
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
struct Watcher;

#[cfg(not(target_os = "linux"))]
impl Watcher {
    fn new(_path: &Path) -> Option<Self> {
        None
    }

    fn changed(&mut self) -> bool {
        true
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::auth::Scopes;
    use crate::store::Plan;

    fn key() -> KeyAuth {
        KeyAuth {
            key_id: "key_1".into(),
            user_id: "user_1".into(),
            scopes: Scopes::default(),
            plan: Plan::Business,
            last_used_at: None,
            revoked: false,
        }
    }

    fn append(path: &Path) {
        let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        file.write_all(b"x").unwrap();
    }

    fn is_hit(lookup: Lookup) -> bool {
        matches!(lookup, Lookup::Hit(_))
    }

    /// The generation of a lookup that must miss.
    fn miss(cache: &KeyCache) -> u64 {
        let Lookup::Miss(generation) = cache.get("h") else {
            panic!("expected a miss")
        };
        generation
    }

    /// A directory with an empty database file and WAL, and a cache watching them.
    struct Fixture {
        dir: tempfile::TempDir,
        db: std::path::PathBuf,
        wal: std::path::PathBuf,
        cache: KeyCache,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("app.db");
        let wal = dir.path().join("app.db-wal");
        std::fs::write(&db, b"").unwrap();
        std::fs::write(&wal, b"").unwrap();
        let cache = KeyCache::new(&db).unwrap();
        Fixture {
            dir,
            db,
            wal,
            cache,
        }
    }

    #[test]
    fn forgets_on_a_write_to_the_database_or_its_wal_and_only_then() {
        let Fixture {
            dir,
            db,
            wal,
            cache,
        } = fixture();
        let log = dir.path().join("server.log");
        std::fs::write(&log, b"").unwrap();
        let remember = || cache.remember("h", &key(), miss(&cache));

        remember();
        assert!(is_hit(cache.get("h")));
        append(&log); // a neighbour in the same directory
        assert!(is_hit(cache.get("h")));
        append(&wal);
        assert!(!is_hit(cache.get("h")));
        remember();
        append(&db);
        assert!(!is_hit(cache.get("h")));
    }

    #[test]
    fn an_answer_read_before_a_change_is_not_served() {
        let Fixture {
            dir: _dir,
            wal,
            cache,
            ..
        } = fixture(); // `_dir` keeps the directory until the end
        let generation = miss(&cache);
        append(&wal); // the database changes while the answer is being read
        cache.remember("h", &key(), generation);
        assert!(!is_hit(cache.get("h")));

        // The same, with the change seen by another lookup in between.
        let generation = miss(&cache);
        append(&wal);
        assert!(!is_hit(cache.get("other")));
        cache.remember("h", &key(), generation);
        assert!(!is_hit(cache.get("h")));
    }

    #[test]
    fn a_replaced_wal_turns_the_cache_off() {
        let Fixture {
            dir: _dir,
            wal,
            cache,
            ..
        } = fixture(); // `_dir` keeps the directory until the end
        std::fs::remove_file(&wal).unwrap();
        std::fs::write(&wal, b"").unwrap(); // a new file the watch does not see
        for _ in 0..3 {
            cache.remember("h", &key(), miss(&cache));
        }
        assert!(!is_hit(cache.get("h")));
    }
}
