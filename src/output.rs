//! Writing outputs all-or-nothing, and the lock that serialises runs.
//!
//! Each output is written to a temporary file beside its target, synced,
//! and only when every output of the run is written are they renamed over
//! their targets. A run that fails leaves the previous outputs as they were
//! and removes its temporary files; a run killed at any moment leaves each
//! target either old or new, complete (rename is atomic), and at most a
//! temporary file that the next run overwrites. A target whose bytes did not
//! change is not touched, so its mtime stays for CDNs and If-Modified-Since.

use crate::error::Error;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read};
use std::path::{Path, PathBuf};

/// What happened to one output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: u64,
    pub changed: bool,
}

struct Staged {
    /// Syncing the temporary file to disk, in the background while the
    /// next output is rendered.
    sync: Option<std::thread::JoinHandle<io::Result<()>>>,
    /// How that sync went, once it was waited for before the commit.
    synced: Option<io::Result<()>>,
    target: PathBuf,
    temp: PathBuf,
    bytes: u64,
    changed: bool,
}

/// Outputs written to temporary files, waiting for [`Staging::commit`].
/// Dropping it without committing removes the temporary files.
#[derive(Default)]
pub struct Staging {
    staged: Vec<Staged>,
    /// Indices of the outputs whose sync is still running, oldest first.
    syncing: std::collections::VecDeque<usize>,
    /// Changed outputs so far.
    changed: usize,
}

/// Beyond this many changed outputs, one `syncfs` per file system (Linux)
/// replaces a sync per file and per folder: a site with 20,000 category
/// feeds made 80,000 fsync calls, and the build grew faster than its input.
const SYNC_EACH_UP_TO: usize = if cfg!(target_os = "linux") {
    256
} else {
    usize::MAX
};

/// Syncs running at once: enough to overlap disk and CPU, and few enough
/// that a site with 100,000 category feeds does not start a thread per
/// file (it ran out of memory maps at 60,000).
const SYNCS_IN_FLIGHT: usize = 8;

fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.matinale-tmp"))
}

impl Staging {
    pub fn new() -> Staging {
        Staging::default()
    }

    /// Writes one output through `write` into a temporary file beside
    /// `target`, and returns its size.
    pub fn write<F>(&mut self, target: &Path, write: F) -> Result<u64, Error>
    where
        F: FnOnce(&mut BufWriter<File>) -> io::Result<()>,
    {
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|source| Error::Write {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        if target.is_dir() {
            return Err(Error::Write {
                path: target.to_path_buf(),
                source: io::Error::new(io::ErrorKind::IsADirectory, "a folder is in the way"),
            });
        }
        let temp = temp_path(target);
        let werr = |source| Error::Write {
            path: target.to_path_buf(),
            source,
        };
        let file = File::create(&temp).map_err(werr)?;
        // Registered before writing so that a failure below removes it.
        self.staged.push(Staged {
            sync: None,
            synced: None,
            target: target.to_path_buf(),
            temp: temp.clone(),
            bytes: 0,
            changed: true,
        });
        let mut w = BufWriter::with_capacity(1 << 16, file);
        write(&mut w).map_err(werr)?;
        let file = w.into_inner().map_err(|e| werr(e.into_error()))?;
        let bytes = file.metadata().map_err(werr)?.len();
        let changed = !same_bytes(&temp, target, bytes);
        let last = self.staged.last_mut().expect("pushed above");
        last.bytes = bytes;
        last.changed = changed;
        if changed {
            self.changed += 1;
        }
        if changed && self.changed <= SYNC_EACH_UP_TO {
            last.sync = Some(std::thread::spawn(move || file.sync_all()));
            self.syncing.push_back(self.staged.len() - 1);
            while self.syncing.len() > SYNCS_IN_FLIGHT {
                let oldest = self.syncing.pop_front().expect("more than the limit");
                let s = &mut self.staged[oldest];
                s.synced = s.sync.take().map(join_sync);
            }
        }
        Ok(bytes)
    }

    /// Outputs staged so far.
    pub fn len(&self) -> usize {
        self.staged.len()
    }

    pub fn is_empty(&self) -> bool {
        self.staged.is_empty()
    }

    /// Targets whose bytes the commit will change.
    pub fn changed(&self) -> impl Iterator<Item = &Path> {
        self.staged
            .iter()
            .filter(|s| s.changed)
            .map(|s| s.target.as_path())
    }

    /// Renames every changed output over its target; removes the others'
    /// temporary files.
    pub fn commit(mut self) -> Result<Vec<Written>, Error> {
        // Durable before visible: a crash after a rename must not leave a
        // target that is renamed but empty.
        for s in &mut self.staged {
            let result = match s.sync.take() {
                Some(sync) => Some(join_sync(sync)),
                None => s.synced.take(),
            };
            if let Some(Err(source)) = result {
                return Err(Error::Write {
                    path: s.target.clone(),
                    source,
                });
            }
        }
        let bulk = self.changed > SYNC_EACH_UP_TO;
        if bulk {
            let dirs = self.staged.iter().filter_map(|s| s.target.parent());
            sync_file_systems(dirs).map_err(|source| Error::Write {
                path: self.staged[0].target.clone(),
                source,
            })?;
        }
        let staged = std::mem::take(&mut self.staged);
        let mut written = Vec::with_capacity(staged.len());
        let mut dirs = std::collections::BTreeSet::new();
        let mut rest = staged.into_iter();
        while let Some(s) = rest.next() {
            let result = if s.changed {
                fs::rename(&s.temp, &s.target)
            } else {
                fs::remove_file(&s.temp)
            };
            if let Err(source) = result {
                for r in rest {
                    let _ = fs::remove_file(&r.temp);
                }
                let _ = fs::remove_file(&s.temp);
                return Err(Error::Write {
                    path: s.target,
                    source,
                });
            }
            if let Some(d) = s.target.parent() {
                dirs.insert(d.to_path_buf());
            }
            written.push(Written {
                path: s.target,
                bytes: s.bytes,
                changed: s.changed,
            });
        }
        // Make the renames themselves durable.
        if bulk {
            let _ = sync_file_systems(dirs.iter().map(PathBuf::as_path));
            return Ok(written);
        }
        for d in dirs {
            let d = if d.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                d
            };
            if let Ok(f) = File::open(&d) {
                let _ = f.sync_all();
            }
        }
        Ok(written)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        for s in &mut self.staged {
            if let Some(sync) = s.sync.take() {
                let _ = sync.join();
            }
            let _ = fs::remove_file(&s.temp);
        }
    }
}

/// `syncfs` on the file system of each of `dirs`, once per file system.
#[cfg(target_os = "linux")]
fn sync_file_systems<'a>(dirs: impl Iterator<Item = &'a Path>) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mut done = std::collections::BTreeSet::new();
    for d in dirs {
        let d = if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        };
        let dir = File::open(d)?;
        if done.insert(dir.metadata()?.dev()) {
            rustix::fs::syncfs(&dir)?;
        }
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn sync_file_systems<'a>(_dirs: impl Iterator<Item = &'a Path>) -> io::Result<()> {
    unreachable!("outputs are synced one by one where syncfs does not exist")
}

fn join_sync(sync: std::thread::JoinHandle<io::Result<()>>) -> io::Result<()> {
    sync.join()
        .unwrap_or_else(|_| Err(io::Error::other("syncing panicked")))
}

/// Whether the file at `b` holds exactly the `len` bytes of the file at `a`.
fn same_bytes(a: &Path, b: &Path, len: u64) -> bool {
    let Ok(meta) = fs::metadata(b) else {
        return false;
    };
    if !meta.is_file() || meta.len() != len {
        return false;
    }
    let (Ok(mut fa), Ok(mut fb)) = (File::open(a), File::open(b)) else {
        return false;
    };
    let mut ba = vec![0u8; 1 << 16];
    let mut bb = vec![0u8; 1 << 16];
    loop {
        let n = match fa.read(&mut ba) {
            Ok(n) => n,
            Err(_) => return false,
        };
        if n == 0 {
            return true;
        }
        if fb.read_exact(&mut bb[..n]).is_err() || ba[..n] != bb[..n] {
            return false;
        }
    }
}

/// Removes, from each sub-folder of `parent` not named in `keep`, the
/// `files` a run writes there, then the sub-folder if that left it empty.
/// Other files are never touched. Returns the files removed.
pub fn prune(
    parent: &Path,
    keep: &std::collections::BTreeSet<String>,
    files: &[&str],
) -> Result<Vec<PathBuf>, Error> {
    let mut removed = Vec::new();
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(removed);
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| !keep.contains(e.file_name().to_string_lossy().as_ref()))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        for f in files {
            let p = dir.join(f);
            if p.is_file() {
                fs::remove_file(&p).map_err(|source| Error::Write {
                    path: p.clone(),
                    source,
                })?;
                removed.push(p);
            }
        }
        // Fails, as it should, when the folder holds files of the user's.
        let _ = fs::remove_dir(&dir);
    }
    Ok(removed)
}

/// Held while a run works on a site; released when dropped.
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Takes the lock file at `path` (its folder created if needed). When
    /// another run holds it, calls `waiting` once and waits for it.
    pub fn acquire(path: &Path, waiting: impl FnOnce(&Path)) -> Result<RunLock, Error> {
        let path = path.to_path_buf();
        let lerr = |source| Error::Lock {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(lerr)?;
        }
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(lerr)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                waiting(&path);
                file.lock().map_err(lerr)?;
            }
            Err(fs::TryLockError::Error(e)) => return Err(lerr(e)),
        }
        Ok(RunLock { _file: file })
    }
}

/// Reports how much a writer wrote; used for size warnings.
pub fn human_size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn failed_run_leaves_old_outputs_and_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.xml");
        fs::write(&a, "old").unwrap();
        {
            let mut s = Staging::new();
            s.write(&a, |w| w.write_all(b"new")).unwrap();
            let err = s.write(&dir.path().join("b.xml"), |_| {
                Err(io::Error::other("disk full"))
            });
            assert!(err.is_err());
        }
        assert_eq!(fs::read_to_string(&a).unwrap(), "old");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.xml")]);
    }

    #[test]
    fn unchanged_outputs_are_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.xml");
        fs::write(&a, "same").unwrap();
        let mut s = Staging::new();
        s.write(&a, |w| w.write_all(b"same")).unwrap();
        s.write(&dir.path().join("sub/b.xml"), |w| w.write_all(b"b"))
            .unwrap();
        let w = s.commit().unwrap();
        assert_eq!(
            w.iter().map(|w| w.changed).collect::<Vec<_>>(),
            vec![false, true]
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("sub/b.xml")).unwrap(),
            "b"
        );
        assert!(!temp_path(&a).exists());
    }
}
