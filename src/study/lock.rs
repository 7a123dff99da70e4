//! The output-folder lock: one study writes to one folder at a time. A study creates
//! `<out>/.curvlab-study.lock` atomically (`O_CREAT | O_EXCL`, Rust's
//! [`std::fs::OpenOptions::create_new`]) holding its process id, and removes it when it ends. A
//! second study on the same folder finds the file and stops with "another curvlab study (pid N)
//! is writing to DIR". A lock left by a process that no longer exists (a study killed with
//! SIGKILL, a machine that lost power) is stale: the next study takes it over and says so.
//!
//! This is the classic lock-file protocol of mail spools and package managers (W. R. Stevens &
//! S. A. Rago, "Advanced Programming in the UNIX Environment", 3rd ed., §13.5 "single-instance
//! daemons", and the `O_EXCL` semantics of POSIX `open(2)`). Whether a pid is alive is read from
//! `/proc/<pid>` on Linux; where `/proc` does not exist every pid counts as alive (the message
//! then names the lock file to remove by hand).

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The lock file's name inside the output folder.
pub const LOCK_FILE: &str = ".curvlab-study.lock";

/// A held lock: the file is removed when this is dropped.
///
/// ```
/// use curvlab::study::lock::{StudyLock, LOCK_FILE};
/// let d = tempfile::tempdir().unwrap();
/// let lock = StudyLock::acquire(d.path()).unwrap();
/// assert!(d.path().join(LOCK_FILE).exists());
/// let e = StudyLock::acquire(d.path()).unwrap_err().to_string();
/// assert!(e.contains(": another curvlab study (pid "), "{e}");
/// drop(lock);
/// assert!(!d.path().join(LOCK_FILE).exists());
/// ```
#[derive(Debug)]
pub struct StudyLock {
    path: PathBuf,
}

/// What a lock attempt found.
enum Attempt {
    /// The lock is ours.
    Taken,
    /// Held by this pid (`None`: the file holds no readable pid).
    Held(Option<u32>),
}

impl StudyLock {
    /// Takes the lock of the output folder `out` (created if missing), taking over a stale lock
    /// (its pid no longer runs) with a note on stderr. An error when a live process holds it, or
    /// when the folder cannot be written (a failure while running, exit status 1).
    ///
    /// ```
    /// use curvlab::study::lock::{StudyLock, LOCK_FILE};
    /// let d = tempfile::tempdir().unwrap();
    /// // A pid that cannot exist (above Linux's pid_max of 2^22): a stale lock, taken over.
    /// std::fs::write(d.path().join(LOCK_FILE), "4294967295\n").unwrap();
    /// let lock = StudyLock::acquire(d.path()).unwrap();
    /// let pid = std::fs::read_to_string(d.path().join(LOCK_FILE)).unwrap();
    /// assert_eq!(pid.trim(), std::process::id().to_string());
    /// ```
    pub fn acquire(out: &Path) -> Result<Self> {
        std::fs::create_dir_all(out).map_err(|source| Error::Write {
            path: out.to_path_buf(),
            source,
        })?;
        let path = out.join(LOCK_FILE);
        // Two tries: the second after removing a stale lock (another study may win that race;
        // then it holds the lock and we report it).
        for _ in 0..2 {
            match try_create(&path)? {
                Attempt::Taken => return Ok(StudyLock { path }),
                Attempt::Held(Some(pid)) if !pid_alive(pid) => {
                    super::outputs::say(format_args!(
                        "note: taking over the stale lock {} of pid {pid}, which no longer runs",
                        path.display()
                    ));
                    let _ = std::fs::remove_file(&path);
                }
                Attempt::Held(pid) => return Err(held(out, &path, pid)),
            }
        }
        Err(held(out, &path, read_pid(&path)))
    }

    /// The lock file's path.
    ///
    /// ```
    /// let d = tempfile::tempdir().unwrap();
    /// let lock = curvlab::study::lock::StudyLock::acquire(d.path()).unwrap();
    /// assert!(lock.path().ends_with(curvlab::study::lock::LOCK_FILE));
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StudyLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Creates the lock file with our pid, or reports who holds it.
fn try_create(path: &Path) -> Result<Attempt> {
    let write_err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(mut f) => {
            writeln!(f, "{}", std::process::id()).map_err(write_err)?;
            f.sync_all().map_err(write_err)?;
            Ok(Attempt::Taken)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(Attempt::Held(read_pid(path)))
        }
        Err(e) => Err(write_err(e)),
    }
}

/// The pid in a lock file, if it holds one. A lock being written this instant may read empty:
/// it then counts as held by an unknown live process.
fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The error for a lock held by `pid`: an [`Error::Io`] naming the lock file (exit status 2).
fn held(out: &Path, path: &Path, pid: Option<u32>) -> Error {
    let who = pid.map_or_else(|| "pid unknown".to_string(), |p| format!("pid {p}"));
    Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!(
            "another curvlab study ({who}) is writing to {}; wait for it to end, or remove \
             this lock file if no such study runs",
            out.display()
        )),
    }
}

/// True unless `pid` is known not to run: on Linux, `/proc/<pid>` is absent (a reaped process).
///
/// ```
/// assert!(curvlab::study::lock::pid_alive(std::process::id()));
/// if std::path::Path::new("/proc/self").exists() {
///     assert!(!curvlab::study::lock::pid_alive(u32::MAX));
/// }
/// ```
pub fn pid_alive(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new("/proc").join(pid.to_string()).exists()
}
