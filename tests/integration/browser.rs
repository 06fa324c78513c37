//! report.html in a real browser: Debian's chromium, headless, renders each
//! report (run, sweep, compare) and the DOM must hold every chart's inline
//! SVG. `.ci/run` installs chromium; without it this test says so and
//! passes (set MQSIM_CHROMIUM to use another binary).

use crate::support;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{SMALL, ok, tmp, write};

/// The browser binary, if there is one.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MQSIM_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Runs headless chromium on `page` with `mode` (`--dump-dom` or
/// `--screenshot=…`) and returns stdout.
fn browse(browser: &Path, page: &Path, mode: &str, profile: &Path) -> String {
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let profile = format!("--user-data-dir={}", profile.display());
    let out = Command::new("timeout")
        .arg("120")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1100,3000",
            &profile,
            mode,
            &url,
        ])
        .output()
        .expect("chromium starts");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts the rendered DOM has each chart as an inline SVG with text.
fn check_dom(dom: &str, charts: &[String]) {
    assert!(
        dom.contains("<h1>mqsim "),
        "the page did not render: {}",
        &dom[..dom.len().min(300)]
    );
    for chart in charts {
        let at = dom
            .find(&format!("<figure id=\"chart-{chart}\">"))
            .unwrap_or_else(|| panic!("chart {chart} is not in the DOM"));
        let figure = &dom[at..at + dom[at..].find("</figure>").expect("figure closes")];
        assert!(
            figure.contains("<svg") && figure.contains("</svg>"),
            "{chart}: no SVG in the DOM"
        );
        assert!(figure.contains("<text"), "{chart}: the SVG has no labels");
    }
    assert_eq!(
        dom.matches("<svg").count(),
        charts.len(),
        "one SVG per chart"
    );
}

#[test]
fn every_chart_of_every_report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        // CI installs chromium (.ci/run): there, a missing browser is a
        // broken CI, not a reason to skip.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "no chromium on PATH with CI=true: .ci/run installs it (apt-get install chromium)"
        );
        // Written to stderr itself, past the harness's capture of
        // eprintln!, so the skip shows in the test summary.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED every_chart_of_every_report_renders_in_headless_chromium: no chromium on PATH \
             (apt-get install chromium, as .ci/run does, or set MQSIM_CHROMIUM)"
        );
        return;
    };
    let dir = tmp("browser");
    let file = write(&dir, "small.toml", SMALL);
    let (run, sweep, compare) = (dir.join("run"), dir.join("sweep"), dir.join("compare"));
    let partitioned = dir.join("partitioned");
    ok(&["run", &file, "--out", run.to_str().unwrap()]);
    ok(&[
        "run",
        "scenarios/hot-partition.toml",
        "--set",
        "horizon=\"60s\"",
        "--out",
        partitioned.to_str().unwrap(),
    ]);
    ok(&[
        "sweep",
        &file,
        "--out",
        sweep.to_str().unwrap(),
        "--vary",
        "groups.workers.workers=1..3",
        "--vary",
        "topic.capacity=100,400",
    ]);
    ok(&[
        "compare",
        &file,
        "scenarios/mm1.toml",
        "--set",
        "horizon=\"60s\"",
        "--set",
        "warmup=\"0s\"",
        "--out",
        compare.to_str().unwrap(),
    ]);
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let pages = [
        (
            run,
            names(&["topology", "depth", "age", "latency", "drops"]),
        ),
        (
            partitioned,
            // Its topic never fills: nothing dropped, no drops chart.
            names(&["topology", "depth", "age", "latency", "partitions"]),
        ),
        (
            sweep,
            names(&[
                "sweep-groups.workers.e2e.p99_s",
                "sweep-heatmap-groups.workers.e2e.p99_s",
                "sweep-groups.workers.dropped",
                "sweep-heatmap-groups.workers.dropped",
                "sweep-groups.workers.max_depth",
                "sweep-heatmap-groups.workers.max_depth",
            ]),
        ),
        (
            compare,
            names(&[
                "compare-latency",
                "compare-errors",
                "compare-depth",
                "compare-age",
                "compare-failures",
            ]),
        ),
    ];
    for (i, (folder, charts)) in pages.iter().enumerate() {
        let page = folder.join("report.html");
        let profile = dir.join(format!("profile-{i}"));
        std::fs::create_dir_all(&profile).unwrap();
        check_dom(&browse(&browser, &page, "--dump-dom", &profile), charts);
        let shot = folder.join("screenshot.png");
        browse(
            &browser,
            &page,
            &format!("--screenshot={}", shot.display()),
            &profile,
        );
        assert!(
            std::fs::metadata(&shot)
                .map(|m| m.len() > 10_000)
                .unwrap_or(false),
            "no screenshot of {}",
            page.display()
        );
        eprintln!("screenshot: {}", shot.display());
    }
}
