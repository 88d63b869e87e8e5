use std::process::ExitCode;

/// See Cargo.toml: RSS stays flat through a large dispatch, where glibc's per-thread
/// arenas fragmented. Only the binary sets it; the library leaves the choice to its user.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    smp_aftercare::cli::main()
}
