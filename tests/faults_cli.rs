//! Issue 19 findings that need the real binary: a closed stdout/stderr (`| head -1`) must not
//! panic (exit 101) nor stop the study before `runs.csv`.

use std::process::{Command, Stdio};

#[test]
fn a_closed_pipe_does_not_panic_the_study() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("s.toml");
    std::fs::write(
        &file,
        "name='pipe'\nseeds=[0,1,2,3]\n[[problems]]\nkind='ravine'\n[[methods]]\nkind='gd'\n\
         lr='optimal'\n[[methods]]\nkind='lbfgs'\n",
    )
    .unwrap();
    let out = d.path().join("out");
    // Both ends closed before the child writes anything: every write gets EPIPE.
    let mut child = Command::new(env!("CARGO_BIN_EXE_curvlab"))
        .arg("study")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--jobs")
        .arg("1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_ne!(status.code(), Some(101), "panicked on the closed pipe");
    assert_eq!(status.code(), Some(0));
    let csv = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 8, "header + 8 runs:\n{csv}");
}

#[test]
fn a_closed_stdout_does_not_panic_run_spectrum_or_list() {
    for args in [
        &["run", "--problem", "ravine", "--method", "lbfgs"][..],
        &["spectrum", "--problem", "ravine"][..],
        &["list"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_curvlab"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        drop(child.stderr.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}");
    }
}
