//! The data directory: it must be writable, and a process that keeps SQLite files in it
//! has it to itself (two processes on one `moonlight.db` would fight over its one writer,
//! and each would think its embedded rooms its own).

use std::{
    fs::{File, OpenOptions, TryLockError},
    io::{Read as _, Seek as _, Write as _},
    path::Path,
};

use anyhow::Context;

/// The data directory, checked writable, and locked while this process keeps its SQLite
/// files there.
pub struct DataDir {
    /// Held for the life of the process: the kernel drops the lock when it exits, however
    /// it exits.
    _lock: Option<File>,
}

impl DataDir {
    /// Creates `path` if need be and checks it takes writes; with `exclusive`, locks it or
    /// says which process holds it.
    pub fn open(path: &Path, exclusive: bool) -> anyhow::Result<Self> {
        std::fs::create_dir_all(path)
            .with_context(|| format!("creating the data directory {}", path.display()))?;
        let probe = path.join(format!(".write-probe-{}", std::process::id()));
        File::create(&probe)
            .and_then(|_| std::fs::remove_file(&probe))
            .with_context(|| format!("the data directory {} is not writable", path.display()))?;
        let lock = if exclusive { Some(lock(path)?) } else { None };
        Ok(Self { _lock: lock })
    }
}

fn lock(dir: &Path) -> anyhow::Result<File> {
    let path = dir.join("moonlight.lock");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            anyhow::bail!(
                "another moonlight process (pid {}) is using the data directory {}: give each \
                 process its own --data-dir, or share PostgreSQL (--database-url) and Redis \
                 (--redis-url) between them",
                holder.trim(),
                dir.display()
            );
        }
        Err(TryLockError::Error(error)) => {
            return Err(error).with_context(|| format!("locking {}", path.display()));
        }
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::DataDir;

    #[test]
    fn one_process_at_a_time_holds_a_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDir::open(dir.path(), true).unwrap();
        // A second holder (another open file description, as another process has) is
        // refused, naming this process.
        let error = DataDir::open(dir.path(), true).err().unwrap().to_string();
        assert!(error.contains(&std::process::id().to_string()), "{error}");
        // Sharing is fine when neither keeps SQLite files there.
        DataDir::open(dir.path(), false).unwrap();
        drop(first);
        DataDir::open(dir.path(), true).unwrap();
    }
}
