//! The progress bar of long commands: drawn on a terminal's stderr,
//! hidden when stderr is not a terminal (CI logs, pipes).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar counting `len` points, labelled `what`.
pub fn bar(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    let style =
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} points  {elapsed} (eta {eta})")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(what.to_owned());
    bar
}

/// A bar over simulated time, for `run` and `compare`: it follows
/// `progress` (simulated nanoseconds summed over replications, as
/// [`mqsim::experiment::Experiment::run_watched`] adds them) towards
/// `total_ns`, redrawn a few times a second by a thread of its own, until
/// the watch is dropped. Nothing is drawn unless stderr is a terminal.
pub struct Watch {
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watch {
    /// Watches `progress` towards `total_ns`, labelled `what`.
    pub fn start(
        what: &str,
        total_ns: u64,
        progress: std::sync::Arc<std::sync::atomic::AtomicU64>,
    ) -> Watch {
        use std::io::IsTerminal;
        use std::sync::atomic::{AtomicBool, Ordering};
        let done = std::sync::Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() || total_ns == 0 {
            return Watch { done, thread: None };
        }
        let bar = ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{msg} [{bar:40}] {percent}% of the simulated time  {elapsed} (eta {eta})",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(what.to_owned());
        let stop = done.clone();
        let thread = std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let covered = progress.load(Ordering::Relaxed).min(total_ns);
                bar.set_position(covered * 1000 / total_ns);
                std::thread::park_timeout(std::time::Duration::from_millis(200));
            }
            bar.finish_and_clear();
        });
        Watch {
            done,
            thread: Some(thread),
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}
