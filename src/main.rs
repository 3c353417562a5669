//! `linkedgrow`: the server and its admin commands.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    return_large_blocks_at_once();
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Makes glibc hand blocks of 1 MiB and more back to the system as soon as they are freed.
///
/// By default glibc maps large blocks separately only until one is freed, then raises that
/// threshold to the freed size: from then on argon2id's 19 MiB (one per password hashed or
/// checked) comes from per-thread heaps, which keep it. A burst of sign-ins left hundreds of MiB
/// resident for good; with a fixed threshold the memory goes back when each check ends.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn return_large_blocks_at_once() {
    // SAFETY: mallopt only sets an allocator parameter, and runs before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_at_once() {}
