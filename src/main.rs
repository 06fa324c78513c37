//! The `mqsim` binary: everything happens in the library's `cli` module.

fn main() -> std::process::ExitCode {
    mqsim::cli::main()
}
