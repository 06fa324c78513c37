//! The `mqsim` binary: the command line (clap definitions, commands, and
//! the mapping from errors to exit codes) on top of the `mqsim` library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
