//! File descriptors: every connection holds one, so their limit bounds the connections.

use rlimit::Resource;

/// Descriptors kept back from connections for the listener, the database and its WAL (per
/// reader), the log and the runtime.
const RESERVED: u64 = 64;

/// Past this the default cap stops following the limit (an unlimited one, say).
const MOST_CONNECTIONS: u64 = 1 << 20;

/// Raises this process's soft limit on open files to its hard limit, which many systems set far
/// higher (1,024 soft against 524,288 hard is common); logs and carries on if it cannot.
pub fn raise_open_files_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open-file limit"),
        Err(err) => tracing::warn!(error = %err, "cannot raise the open-file limit"),
    }
}

/// The default connection cap: the open-file limit less a reserve, so that reaching the cap
/// never leaves `accept` or the database without a descriptor.
pub fn default_max_connections() -> usize {
    let limit = match Resource::NOFILE.get() {
        Ok((soft, _hard)) => soft,
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the open-file limit; assuming 1,024");
            1_024
        }
    };
    let cap = (limit - RESERVED.min(limit / 2)).min(MOST_CONNECTIONS);
    usize::try_from(cap).unwrap_or(usize::MAX)
}
