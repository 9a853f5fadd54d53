//! The `nhacviec` binary: everything happens in the library's `cli` module.

fn main() -> std::process::ExitCode {
    nhacviec::cli::main()
}
