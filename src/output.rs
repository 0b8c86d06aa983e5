//! Writing outputs all-or-nothing, and the lock that serialises runs.
//!
//! Each output is written to a temporary file beside its target, synced,
//! and only when every output of the run is written are they renamed over
//! their targets. A run that fails leaves the previous outputs as they were
//! and removes its temporary files; a run killed at any moment leaves each
//! target either old or new, complete (rename is atomic), and at most a
//! temporary file of its own. A target whose bytes did not change is not
//! touched, so its mtime stays for CDNs and If-Modified-Since.
//!
//! Temporary files are synced by a few background threads while the next
//! outputs are rendered. A fork of a staging writes outputs on another
//! thread; taken back, they are committed with the rest.
//!
//! Files are written only inside the folders the run was given (the
//! layout's), and never through a symbolic link: a temporary file is
//! created exclusively under a name no one can guess beforehand, every
//! folder between an output folder and a target must be a real folder
//! (matinale creates the missing ones), and a target that is a link is
//! refused, naming it. An output folder itself may be a link: the user
//! named it.

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
    /// How syncing the temporary file to disk went, once the [`Syncer`]
    /// said (before the commit).
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
    /// The folders outputs may be written in; empty: anywhere (a test
    /// send's outbox, unit tests).
    roots: Vec<PathBuf>,
    staged: Vec<Staged>,
    /// Syncs the outputs in the background while the next are rendered;
    /// started at the first output synced one by one.
    syncer: Option<Syncer>,
    /// Changed outputs so far.
    changed: usize,
    /// Folders already cleared of temporary files left by a killed run;
    /// shared with the stagings [`Staging::fork`] made, so that a folder
    /// is swept once, before either writes in it, and never under the
    /// other's feet.
    swept: std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<PathBuf>>>,
}

/// Beyond this many changed outputs, one `syncfs` per file system (Linux)
/// replaces a sync per file and per folder: a site with 20,000 category
/// feeds made 80,000 fsync calls, and the build grew faster than its input.
const SYNC_EACH_UP_TO: usize = if cfg!(target_os = "linux") {
    256
} else {
    usize::MAX
};

/// Syncs running or waiting at once: enough to overlap disk and CPU, and
/// few enough to bound the files held open and the threads.
const SYNCS_IN_FLIGHT: usize = 8;

/// A job of the [`Syncer`]: the staged output's index and its file.
type SyncJob = (usize, File);

/// What the [`Syncer`]'s threads and the staging share.
struct SyncQueue {
    state: std::sync::Mutex<SyncState>,
    /// Signalled when a job is queued or the queue closes.
    job_ready: std::sync::Condvar,
    /// Signalled when a sync is reported.
    report_ready: std::sync::Condvar,
}

struct SyncState {
    jobs: std::collections::VecDeque<SyncJob>,
    reports: Vec<(usize, io::Result<()>)>,
    closed: bool,
}

impl SyncQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, SyncState> {
        // A sync never panics holding the lock; were it to, the state is
        // still whole.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The threads' loop: sync the jobs until the queue closes.
    fn work(&self) {
        loop {
            let mut state = self.lock();
            let job = loop {
                if let Some(job) = state.jobs.pop_front() {
                    break job;
                }
                if state.closed {
                    return;
                }
                state = self
                    .job_ready
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            };
            drop(state);
            let (index, file) = job;
            let result = file.sync_all();
            drop(file);
            self.lock().reports.push((index, result));
            self.report_ready.notify_one();
        }
    }
}

/// Threads that sync temporary files: started as the syncs outrun them, up
/// to [`SYNCS_IN_FLIGHT`], and reused. A thread per file cost a `clone`
/// and a stack per output, on the thread that renders the next one.
///
/// The threads never allocate (the queues are sized when made, for the
/// most jobs ever pending): mimalloc gives a thread that allocates a heap
/// of its own, 2 MB of resident memory each.
struct Syncer {
    queue: std::sync::Arc<SyncQueue>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// Jobs sent and not yet reported.
    pending: usize,
}

impl Syncer {
    fn new() -> Syncer {
        // At most SYNCS_IN_FLIGHT + 1 jobs are pending (see `write`).
        let room = SYNCS_IN_FLIGHT + 1;
        Syncer {
            queue: std::sync::Arc::new(SyncQueue {
                state: std::sync::Mutex::new(SyncState {
                    jobs: std::collections::VecDeque::with_capacity(room),
                    reports: Vec::with_capacity(room),
                    closed: false,
                }),
                job_ready: std::sync::Condvar::new(),
                report_ready: std::sync::Condvar::new(),
            }),
            threads: Vec::new(),
            pending: 0,
        }
    }

    /// Syncs `file` in the background; a thread is started when every one
    /// is busy. When none can be started, the file is synced here and
    /// its report returned.
    fn start(&mut self, index: usize, file: File) -> Option<(usize, io::Result<()>)> {
        if self.pending >= self.threads.len() && self.threads.len() < SYNCS_IN_FLIGHT {
            let queue = self.queue.clone();
            // Unnamed: a named thread allocates as it starts.
            let spawned = std::thread::Builder::new().spawn(move || queue.work());
            if let Ok(thread) = spawned {
                self.threads.push(thread);
            }
        }
        if self.threads.is_empty() {
            return Some((index, file.sync_all()));
        }
        self.queue.lock().jobs.push_back((index, file));
        self.queue.job_ready.notify_one();
        self.pending += 1;
        None
    }

    /// The report of the next sync to end; `None` when none is pending.
    fn next(&mut self) -> Option<(usize, io::Result<()>)> {
        if self.pending == 0 {
            return None;
        }
        let mut state = self.queue.lock();
        loop {
            if let Some(report) = state.reports.pop() {
                self.pending -= 1;
                return Some(report);
            }
            state = self
                .queue
                .report_ready
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// Waits for every sync started, then lets the threads end.
    fn shut_down(&mut self) {
        while self.next().is_some() {}
        self.queue.lock().closed = true;
        self.queue.job_ready.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Suffix of every temporary file: hidden (a leading dot) and recognisable.
pub const TEMP_SUFFIX: &str = ".matinale-tmp";

/// A new temporary file beside `target`, created exclusively (never
/// through a link, never an existing file) under a name with 64 random
/// bits, so that no one can plant a file or link there beforehand.
fn create_temp(target: &Path) -> io::Result<(PathBuf, File)> {
    use std::hash::BuildHasher;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut last = None;
    for attempt in 0u32..16 {
        // std's hasher keys are drawn from the OS's random source.
        let random = std::collections::hash_map::RandomState::new().hash_one(attempt);
        let temp = target.with_file_name(format!(".{name}.{random:016x}{TEMP_SUFFIX}"));
        match File::options().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temporary name")))
}

/// Whether `name` is one of the temporary files [`create_temp`] makes
/// (or earlier releases made: `.NAME.matinale-tmp`).
fn is_temp_name(name: &str) -> bool {
    let Some(stem) = name
        .strip_prefix('.')
        .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
    else {
        return false;
    };
    match stem.rsplit_once('.') {
        Some((_, random)) if random.len() == 16 => random.bytes().all(|b| b.is_ascii_hexdigit()),
        _ => true,
    }
}

/// Removes the temporary files a killed run left in `dir`: regular files
/// only (a link is not matinale's), and only while the site's lock is
/// held, so none is another run's.
fn sweep(dir: &Path) {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        if is_temp_name(&name.to_string_lossy()) && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// The error for a symbolic link where matinale writes.
fn link_in_the_way(path: &Path) -> Error {
    Error::Link {
        path: path.to_path_buf(),
    }
}

/// Makes every folder from `root` down to `dir`, refusing a link or a
/// file on the way. `root` itself is created if missing, and may be a
/// link.
fn make_folders(root: &Path, dir: &Path) -> Result<(), Error> {
    let werr = |path: &Path, source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if !root.as_os_str().is_empty() {
        fs::create_dir_all(root).map_err(|e| werr(root, e))?;
    }
    let rel = dir.strip_prefix(root).map_err(|_| outside(dir))?;
    let mut at = root.to_path_buf();
    for c in rel.components() {
        match c {
            std::path::Component::Normal(n) => at.push(n),
            std::path::Component::CurDir => continue,
            _ => return Err(outside(dir)),
        }
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => return Err(link_in_the_way(&at)),
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(werr(
                    &at,
                    io::Error::new(io::ErrorKind::NotADirectory, "a file is in the way"),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::create_dir(&at) {
                Ok(()) => {}
                // Made meanwhile by a concurrent writer: check it again.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let m = fs::symlink_metadata(&at).map_err(|e| werr(&at, e))?;
                    if !m.is_dir() {
                        return Err(link_in_the_way(&at));
                    }
                }
                Err(e) => return Err(werr(&at, e)),
            },
            Err(e) => return Err(werr(&at, e)),
        }
    }
    Ok(())
}

fn outside(path: &Path) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source: io::Error::new(
            io::ErrorKind::PermissionDenied,
            "outside the folders this run writes in",
        ),
    }
}

impl Staging {
    /// Outputs that may go anywhere (a test send's outbox).
    pub fn new() -> Staging {
        Staging::default()
    }

    /// Outputs that must each lie inside one of `roots`.
    pub fn within(roots: Vec<PathBuf>) -> Staging {
        let mut staging = Staging::default();
        staging.roots = roots;
        staging
    }

    /// The folders up to `target` made (never through a link), and the
    /// target checked: not a folder, not a link.
    fn prepare(&self, target: &Path) -> Result<(), Error> {
        let parent = target.parent().unwrap_or(Path::new(""));
        if self.roots.is_empty() {
            if !parent.as_os_str().is_empty() {
                fs::create_dir_all(parent).map_err(|source| Error::Write {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
        } else {
            // The innermost root holding the target (the newsletter's
            // folder may sit inside the site's, each its own root).
            let root = self
                .roots
                .iter()
                .filter(|r| target.starts_with(r) && target != r.as_path())
                .max_by_key(|r| r.components().count())
                .ok_or_else(|| outside(target))?;
            make_folders(root, parent)?;
        }
        match fs::symlink_metadata(target) {
            Ok(m) if m.file_type().is_symlink() => Err(link_in_the_way(target)),
            Ok(m) if m.is_dir() => Err(Error::Write {
                path: target.to_path_buf(),
                source: io::Error::new(io::ErrorKind::IsADirectory, "a folder is in the way"),
            }),
            _ => Ok(()),
        }
    }

    /// Writes one output through `write` into a temporary file beside
    /// `target`, and returns its size.
    pub fn write<F>(&mut self, target: &Path, write: F) -> Result<u64, Error>
    where
        F: FnOnce(&mut BufWriter<File>) -> io::Result<()>,
    {
        self.prepare(target)?;
        let parent = target.parent().unwrap_or(Path::new("")).to_path_buf();
        if !self.roots.is_empty() {
            // Swept while the set is held: the other staging writes in
            // that folder only once the sweep is over.
            let mut swept = self
                .swept
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if swept.insert(parent.clone()) {
                sweep(&parent);
            }
        }
        let werr = |source| Error::Write {
            path: target.to_path_buf(),
            source,
        };
        let (temp, file) = create_temp(target).map_err(werr)?;
        // Registered before writing so that a failure below removes it.
        self.staged.push(Staged {
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
            let index = self.staged.len() - 1;
            let syncer = self.syncer.get_or_insert_with(Syncer::new);
            let mut done = syncer.start(index, file);
            while done.is_none() && syncer.pending > SYNCS_IN_FLIGHT {
                done = syncer.next();
            }
            if let Some((i, result)) = done {
                self.record_sync(i, result);
            }
        }
        Ok(bytes)
    }

    fn record_sync(&mut self, index: usize, result: io::Result<()>) {
        // A failure stays, whatever is reported after it.
        if let Some(s) = self.staged.get_mut(index) {
            if !matches!(s.synced, Some(Err(_))) {
                s.synced = Some(result);
            }
        }
    }

    /// A staging for outputs written on another thread while this one
    /// writes its own, within the same folders; [`Staging::absorb`] takes
    /// them back, to be committed with this one's.
    pub fn fork(&self) -> Staging {
        let mut fork = Staging::default();
        fork.roots = self.roots.clone();
        fork.swept = self.swept.clone();
        fork
    }

    /// Takes the outputs of `other` (a [`Staging::fork`] of this one),
    /// after this one's, once their syncs have ended.
    pub fn absorb(&mut self, mut other: Staging) {
        while let Some((i, result)) = other.syncer.as_mut().and_then(Syncer::next) {
            other.record_sync(i, result);
        }
        self.changed += other.changed;
        // Moved out: `other`'s drop removes no temporary file of them.
        self.staged.append(&mut other.staged);
    }

    /// Outputs staged so far.
    pub fn len(&self) -> usize {
        self.staged.len()
    }

    pub fn is_empty(&self) -> bool {
        self.staged.is_empty()
    }

    /// What `target` will be once committed: its new file when its bytes
    /// change, the file in place when they do not.
    pub fn committed_metadata(&self, target: &Path) -> Option<fs::Metadata> {
        let s = self.staged.iter().rev().find(|s| s.target == target)?;
        if s.changed {
            fs::symlink_metadata(&s.temp).ok()
        } else {
            fs::symlink_metadata(&s.target).ok()
        }
    }

    /// Every target staged.
    pub fn targets(&self) -> impl Iterator<Item = &Path> {
        self.staged.iter().map(|s| s.target.as_path())
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
        while let Some((i, result)) = self.syncer.as_mut().and_then(Syncer::next) {
            self.record_sync(i, result);
        }
        for s in &mut self.staged {
            if let Some(Err(source)) = s.synced.take() {
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
                let old: Vec<PathBuf> = std::iter::once(&s)
                    .chain(rest.as_slice())
                    .filter(|r| r.changed)
                    .map(|r| r.target.clone())
                    .collect();
                for r in rest {
                    let _ = fs::remove_file(&r.temp);
                }
                let _ = fs::remove_file(&s.temp);
                let new: Vec<PathBuf> = written
                    .into_iter()
                    .filter(|w: &Written| w.changed)
                    .map(|w| w.path)
                    .collect();
                if new.is_empty() {
                    return Err(Error::Write {
                        path: s.target,
                        source,
                    });
                }
                return Err(Error::PartialCommit {
                    path: s.target,
                    source,
                    new,
                    old,
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
        if let Some(syncer) = &mut self.syncer {
            syncer.shut_down();
        }
        for s in &self.staged {
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

/// What matinale wrote under the feeds' folder, kept in the state folder
/// so that a later run deletes only files of its own (never another
/// tool's file beside them).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    version: u32,
    /// Paths relative to the feeds' folder, in URL form.
    pub files: std::collections::BTreeSet<String>,
}

impl Manifest {
    const VERSION: u32 = 1;

    /// The manifest in `text`; `None` for one of another version or that
    /// does not parse, which deletes nothing.
    pub fn parse(text: &str) -> Option<Manifest> {
        serde_json::from_str::<Manifest>(text)
            .ok()
            .filter(|m| m.version == Manifest::VERSION)
    }

    pub fn to_json(&self) -> String {
        let m = Manifest {
            version: Manifest::VERSION,
            files: self.files.clone(),
        };
        let mut text = serde_json::to_string_pretty(&m).expect("a set of strings serialises");
        text.push('\n');
        text
    }
}

/// Deletes each of `files` (under `root`) that is a regular file reached
/// without a link, then its folder if that left it empty, up to `root`.
/// A link on the way is refused; a missing file is skipped. Returns the
/// files removed.
pub fn remove_files(root: &Path, files: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut removed = Vec::new();
    for path in files {
        let rel = path.strip_prefix(root).map_err(|_| outside(path))?;
        let mut at = root.to_path_buf();
        let mut parts = rel.components().peekable();
        while let Some(c) = parts.next() {
            let std::path::Component::Normal(n) = c else {
                return Err(outside(path));
            };
            at.push(n);
            let Ok(m) = fs::symlink_metadata(&at) else {
                break;
            };
            if m.file_type().is_symlink() {
                return Err(link_in_the_way(&at));
            }
            if parts.peek().is_none() && m.is_file() {
                fs::remove_file(&at).map_err(|source| Error::Write {
                    path: at.clone(),
                    source,
                })?;
                removed.push(at.clone());
                // Fails, as it should, when a folder holds other files.
                let mut dir = at.parent();
                while let Some(d) = dir.filter(|d| *d != root && d.starts_with(root)) {
                    if fs::remove_dir(d).is_err() {
                        break;
                    }
                    dir = d.parent();
                }
            }
        }
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
        let hidden: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(TEMP_SUFFIX))
            .collect();
        assert_eq!(hidden, Vec::<String>::new());
    }

    #[test]
    fn a_commit_stopped_midway_names_what_is_new_and_what_is_old() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a.xml"),
            dir.path().join("b.xml"),
            dir.path().join("c.xml"),
        );
        let mut s = Staging::within(vec![dir.path().to_path_buf()]);
        for t in [&a, &b, &c] {
            s.write(t, |w| w.write_all(b"new")).unwrap();
        }
        // Something takes b.xml's place between staging and commit.
        fs::create_dir(&b).unwrap();
        fs::write(b.join("in-the-way"), "x").unwrap();
        let err = s.commit().unwrap_err();
        let Error::PartialCommit { new, old, .. } = &err else {
            panic!("{err}");
        };
        assert_eq!((new, old), (&vec![a.clone()], &vec![b.clone(), c.clone()]));
        assert!(err.to_string().contains(&format!(
            "the run stopped midway: 1 output is new ({}), 2 still old ({}, {}); run again to complete it",
            a.display(),
            b.display(),
            c.display()
        )));
        assert_eq!(fs::read_to_string(&a).unwrap(), "new");
        assert!(!c.exists());
        let temps = fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(TEMP_SUFFIX)
            })
            .count();
        assert_eq!(temps, 0);
    }

    #[test]
    fn a_target_outside_the_folders_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Staging::within(vec![dir.path().join("public")]);
        let err = s
            .write(&dir.path().join("elsewhere/x.xml"), |w| w.write_all(b"x"))
            .unwrap_err();
        assert!(err
            .to_string()
            .contains("outside the folders this run writes in"));
    }

    #[test]
    fn many_outputs_are_synced_by_a_few_threads_and_all_committed() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Staging::within(vec![dir.path().to_path_buf()]);
        let targets: Vec<PathBuf> = (0..3 * SYNCS_IN_FLIGHT)
            .map(|i| dir.path().join(format!("d{}/f{i}.xml", i % 3)))
            .collect();
        for (i, t) in targets.iter().enumerate() {
            s.write(t, |w| write!(w, "output {i}")).unwrap();
            let syncer = s.syncer.as_ref().unwrap();
            assert!(syncer.threads.len() <= SYNCS_IN_FLIGHT);
            assert!(syncer.pending <= SYNCS_IN_FLIGHT);
        }
        let written = s.commit().unwrap();
        assert_eq!(written.len(), targets.len());
        for (i, t) in targets.iter().enumerate() {
            assert_eq!(fs::read_to_string(t).unwrap(), format!("output {i}"));
        }
    }

    #[test]
    fn a_sync_that_fails_names_its_output_and_nothing_is_committed() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.xml");
        let b = dir.path().join("b.xml");
        let mut s = Staging::within(vec![dir.path().to_path_buf()]);
        s.write(&a, |w| w.write_all(b"a")).unwrap();
        s.write(&b, |w| w.write_all(b"b")).unwrap();
        // A pipe cannot be synced (EINVAL): b's sync fails.
        let (_reader, writer) = std::io::pipe().unwrap();
        let pipe = File::from(std::os::fd::OwnedFd::from(writer));
        let syncer = s.syncer.as_mut().unwrap();
        if let Some((i, result)) = syncer.start(1, pipe) {
            s.record_sync(i, result);
        }
        let err = s.commit().unwrap_err();
        assert!(
            matches!(&err, Error::Write { path, .. } if *path == b),
            "{err}"
        );
        assert!(!a.exists() && !b.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_fork_writes_on_another_thread_and_commits_with_its_parent() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join(".old.xml.0123456789abcdef.matinale-tmp"), "killed").unwrap();
        fs::create_dir(d.join("sub")).unwrap();
        fs::write(d.join("sub/.x.0123456789abcdef.matinale-tmp"), "killed").unwrap();
        let mut s = Staging::within(vec![d.to_path_buf()]);
        let mut side = s.fork();
        std::thread::scope(|scope| {
            let writer = scope.spawn(|| {
                for i in 0..20 {
                    side.write(&d.join(format!("side-{i}.xml")), |w| write!(w, "side {i}"))
                        .unwrap();
                }
                side.write(&d.join("sub/side.xml"), |w| w.write_all(b"sub"))
                    .unwrap();
            });
            for i in 0..20 {
                s.write(&d.join(format!("main-{i}.xml")), |w| write!(w, "main {i}"))
                    .unwrap();
            }
            writer.join().unwrap();
        });
        s.absorb(side);
        assert_eq!(s.len(), 41);
        let written = s.commit().unwrap();
        // The parent's outputs first, then the fork's.
        assert_eq!(written[0].path, d.join("main-0.xml"));
        assert_eq!(written[40].path, d.join("sub/side.xml"));
        for i in 0..20 {
            let side = fs::read_to_string(d.join(format!("side-{i}.xml"))).unwrap();
            let main = fs::read_to_string(d.join(format!("main-{i}.xml"))).unwrap();
            assert_eq!((side, main), (format!("side {i}"), format!("main {i}")));
        }
        // Each folder swept once, before either wrote in it: only the
        // killed run's temporary files are gone.
        let temps = |dir: &Path| {
            fs::read_dir(dir)
                .unwrap()
                .filter(|e| is_temp_name(&e.as_ref().unwrap().file_name().to_string_lossy()))
                .count()
        };
        assert_eq!((temps(d), temps(&d.join("sub"))), (0, 0));
        assert_eq!(fs::read_dir(d).unwrap().count(), 41);
    }

    #[test]
    fn a_fork_that_fails_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let s = Staging::within(vec![d.to_path_buf()]);
        {
            let mut side = s.fork();
            side.write(&d.join("a.xml"), |w| w.write_all(b"a")).unwrap();
            let err = side.write(&d.join("b.xml"), |_| Err(io::Error::other("disk full")));
            assert!(err.is_err());
        }
        drop(s);
        assert_eq!(fs::read_dir(d).unwrap().count(), 0);
    }

    #[test]
    fn temporary_files_a_killed_run_left_are_swept_but_not_links() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join(".a.xml.0123456789abcdef.matinale-tmp"), "killed").unwrap();
        fs::write(d.join(".a.xml.matinale-tmp"), "an older release's").unwrap();
        fs::write(d.join(".a.xml.notmine"), "someone's").unwrap();
        std::os::unix::fs::symlink("/nowhere", d.join(".b.xml.fedcba9876543210.matinale-tmp"))
            .unwrap();
        let mut s = Staging::within(vec![d.to_path_buf()]);
        s.write(&d.join("a.xml"), |w| w.write_all(b"new")).unwrap();
        s.commit().unwrap();
        let mut names: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ".a.xml.notmine",
                ".b.xml.fedcba9876543210.matinale-tmp",
                "a.xml"
            ]
        );
    }
}
