use std::process::ExitCode;

fn main() -> ExitCode {
    smp_aftercare::cli::main()
}
