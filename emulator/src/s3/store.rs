//! Where S3 objects live: files under `<data-dir>/s3/<bucket>/<key>`, so the query engine (and a
//! curious user) can read them directly, plus a small SQLite index of what the files cannot hold:
//! ETags, content types, user metadata and checksums.
//!
//! The files are the truth: an object exists when its file does. Every write goes to a temporary
//! file under `<root>/.tmp` that is renamed into place once complete and verified, so `kill -9`
//! never leaves a torn object. Metadata rows remember the size and mtime of the file they
//! describe; a file changed behind Lakebox's back (or dropped in by hand) gets its ETag recomputed.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Directory (inside the S3 root) for files being written.
const TMP_DIR: &str = ".tmp";
/// Directory (inside the S3 root) for the parts of multipart uploads.
const UPLOADS_DIR: &str = ".uploads";

/// What Lakebox remembers about an object beyond its bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObjectMeta {
    /// The ETag without quotes: hex MD5, or `<hex>-<parts>` for multipart uploads.
    pub etag: String,
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<String>,
    /// `x-amz-meta-*`, keys without the prefix.
    #[serde(default)]
    pub user: BTreeMap<String, String>,
    /// Full-object checksums, base64 as in the `x-amz-checksum-*` headers, by algorithm name.
    #[serde(default)]
    pub checksums: BTreeMap<String, String>,
    /// Number of parts when the object was assembled by a multipart upload.
    pub parts: Option<u32>,
}

/// An object as listed or read: its metadata and the file's size and modification time.
#[derive(Debug, Clone)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    pub modified: SystemTime,
    pub meta: ObjectMeta,
}

/// A multipart upload in progress.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Upload {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    pub initiated: f64,
    pub meta: ObjectMeta,
    pub checksum_algorithm: Option<String>,
}

/// One uploaded part.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartInfo {
    pub number: i32,
    pub size: u64,
    pub etag: String,
    pub modified: f64,
    #[serde(default)]
    pub checksums: BTreeMap<String, String>,
}

/// Why a key cannot be stored as a file.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("object keys with empty, '.' or '..' segments cannot be stored by Lakebox (key '{0}')")]
    BadSegment(String),
    #[error("a segment of key '{0}' is longer than the 255 bytes a file name can have")]
    SegmentTooLong(String),
}

/// The S3 object store of one Lakebox.
pub struct ObjectStore {
    root: PathBuf,
    db: Mutex<Connection>,
    tmp_counter: AtomicU64,
    /// Serializes the short critical sections that change which objects exist (commit, delete,
    /// bucket deletion), so a conditional write's re-check and its rename are one step, a file and
    /// its metadata row always change together, and no commit races a directory being removed.
    commits: tokio::sync::Mutex<()>,
}

fn now_secs() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or_default()
}

fn mtime_nanos(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or_default()
}

impl ObjectStore {
    /// Opens the store rooted at `root` (objects) with its index at `index` (SQLite).
    pub fn open(root: &Path, index: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root.join(TMP_DIR))?;
        std::fs::create_dir_all(root.join(UPLOADS_DIR))?;
        // Whatever was being written when the process died is garbage now.
        for entry in std::fs::read_dir(root.join(TMP_DIR))? {
            let _ = std::fs::remove_file(entry?.path());
        }
        let conn = Connection::open(index)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, created REAL NOT NULL, region TEXT);
             CREATE TABLE IF NOT EXISTS objects (
                 bucket TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL,
                 meta TEXT NOT NULL, PRIMARY KEY (bucket, key));
             CREATE TABLE IF NOT EXISTS uploads (
                 upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS parts (
                 upload_id TEXT NOT NULL, number INTEGER NOT NULL, body TEXT NOT NULL,
                 PRIMARY KEY (upload_id, number));",
        )?;
        Ok(Self {
            root: root.to_path_buf(),
            db: Mutex::new(conn),
            tmp_counter: AtomicU64::new(0),
            commits: tokio::sync::Mutex::new(()),
        })
    }

    /// The directory objects live in (`<root>/<bucket>/<key>`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Holds off every other commit, delete and bucket deletion while the guard lives. Callers
    /// re-check their preconditions under it, then commit.
    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.commits.lock().await
    }

    /// A fresh path for a file being written.
    pub fn temp_path(&self) -> PathBuf {
        let n = self.tmp_counter.fetch_add(1, Ordering::Relaxed);
        self.root.join(TMP_DIR).join(format!("{}-{n}", uuid::Uuid::new_v4()))
    }

    // ---- buckets ----

    /// The directory of a bucket.
    pub fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join(bucket)
    }

    /// Whether a bucket exists.
    pub async fn bucket_exists(&self, bucket: &str) -> bool {
        tokio::fs::metadata(self.bucket_dir(bucket)).await.is_ok_and(|m| m.is_dir())
    }

    /// Creates a bucket; false if it exists.
    pub async fn create_bucket(&self, bucket: &str, region: Option<&str>) -> io::Result<bool> {
        match tokio::fs::create_dir(self.bucket_dir(bucket)).await {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(e),
        }
        self.db()
            .execute(
                "INSERT OR REPLACE INTO buckets (name, created, region) VALUES (?1, ?2, ?3)",
                params![bucket, now_secs(), region],
            )
            .map_err(io::Error::other)?;
        Ok(true)
    }

    /// The buckets, sorted by name, with creation time (seconds) and region.
    pub async fn buckets(&self) -> io::Result<Vec<(String, f64, Option<String>)>> {
        let mut names = Vec::new();
        let mut dir = tokio::fs::read_dir(&self.root).await?;
        while let Some(entry) = dir.next_entry().await? {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && entry.file_type().await?.is_dir() {
                let modified = entry.metadata().await?.modified().unwrap_or(UNIX_EPOCH);
                names.push((name, modified));
            }
        }
        names.sort();
        let db = self.db();
        let mut out = Vec::new();
        for (name, modified) in names {
            let row: Option<(f64, Option<String>)> = db
                .query_row("SELECT created, region FROM buckets WHERE name = ?1", [&name], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(io::Error::other)?;
            let (created, region) = row.unwrap_or((mtime_nanos(modified) as f64 / 1e9, None));
            out.push((name, created, region));
        }
        Ok(out)
    }

    /// Deletes an empty bucket. `Ok(false)` when it still holds objects (directory markers
    /// included) or uploads.
    pub async fn delete_bucket(&self, bucket: &str) -> io::Result<bool> {
        let _guard = self.lock().await;
        let dir = self.bucket_dir(bucket);
        let (has_uploads, has_markers): (bool, bool) = self
            .db()
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM uploads WHERE bucket = ?1),
                        EXISTS (SELECT 1 FROM objects WHERE bucket = ?1 AND key LIKE '%/')",
                [bucket],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(io::Error::other)?;
        if has_uploads || has_markers || contains_files(&dir)? {
            return Ok(false);
        }
        tokio::fs::remove_dir_all(&dir).await?;
        let db = self.db();
        db.execute("DELETE FROM buckets WHERE name = ?1", [bucket]).map_err(io::Error::other)?;
        db.execute("DELETE FROM objects WHERE bucket = ?1", [bucket]).map_err(io::Error::other)?;
        Ok(true)
    }

    // ---- objects ----

    /// The file of an object; refuses keys that are not plain relative paths.
    pub fn object_path(&self, bucket: &str, key: &str) -> Result<PathBuf, KeyError> {
        let mut path = self.bucket_dir(bucket);
        let body = key.strip_suffix('/').unwrap_or(key);
        for segment in body.split('/') {
            if segment.is_empty() || segment == "." || segment == ".." || segment.contains('\0') {
                return Err(KeyError::BadSegment(key.to_string()));
            }
            if segment.len() > 255 {
                return Err(KeyError::SegmentTooLong(key.to_string()));
            }
            path.push(segment);
        }
        Ok(path)
    }

    /// Moves a finished temporary file into place as an object and records its metadata.
    /// For a "directory marker" key (ending in `/`) the directory is created instead.
    /// Call it holding [`ObjectStore::lock`].
    pub async fn commit(&self, bucket: &str, key: &str, temp: &Path, meta: &ObjectMeta) -> io::Result<ObjectInfo> {
        let path = self.object_path(bucket, key).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let file_meta = if key.ends_with('/') {
            tokio::fs::create_dir_all(&path).await.map_err(conflict)?;
            let _ = tokio::fs::remove_file(temp).await;
            tokio::fs::metadata(&path).await?
        } else {
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent).await.map_err(conflict)?;
            }
            tokio::fs::rename(temp, &path).await.map_err(conflict)?;
            tokio::fs::metadata(&path).await?
        };
        let size = if key.ends_with('/') { 0 } else { file_meta.len() };
        let modified = file_meta.modified()?;
        self.db()
            .execute(
                "INSERT OR REPLACE INTO objects (bucket, key, size, mtime, meta) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![bucket, key, size as i64, mtime_nanos(modified), serde_json::to_string(meta)?],
            )
            .map_err(io::Error::other)?;
        Ok(ObjectInfo { key: key.to_string(), size, modified, meta: meta.clone() })
    }

    /// Reads an object's size, time and metadata; `None` if there is no such object.
    pub async fn head(&self, bucket: &str, key: &str) -> io::Result<Option<ObjectInfo>> {
        let Ok(path) = self.object_path(bucket, key) else { return Ok(None) };
        let file_meta = match tokio::fs::metadata(&path).await {
            Ok(m) => m,
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => return Ok(None),
            Err(e) => return Err(e),
        };
        let marker = key.ends_with('/');
        if file_meta.is_dir() != marker {
            return Ok(None);
        }
        let stored = self.stored_meta(bucket, key)?;
        if marker {
            // A directory is only an object if someone PUT the marker.
            return Ok(stored.map(|(_, _, meta)| ObjectInfo {
                key: key.to_string(),
                size: 0,
                modified: file_meta.modified().unwrap_or(UNIX_EPOCH),
                meta,
            }));
        }
        let modified = file_meta.modified()?;
        let meta = match stored {
            Some((size, mtime, meta)) if size == file_meta.len() as i64 && mtime == mtime_nanos(modified) => meta,
            _ => self.describe_foreign_file(bucket, key, &path, file_meta.len(), modified).await?,
        };
        Ok(Some(ObjectInfo { key: key.to_string(), size: file_meta.len(), modified, meta }))
    }

    fn stored_meta(&self, bucket: &str, key: &str) -> io::Result<Option<(i64, i64, ObjectMeta)>> {
        let row: Option<(i64, i64, String)> = self
            .db()
            .query_row("SELECT size, mtime, meta FROM objects WHERE bucket = ?1 AND key = ?2", [bucket, key], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
            .map_err(io::Error::other)?;
        row.map(|(size, mtime, meta)| Ok((size, mtime, serde_json::from_str(&meta)?))).transpose()
    }

    /// A file Lakebox did not write (or that changed under it): its ETag is its MD5, computed once.
    async fn describe_foreign_file(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
        size: u64,
        modified: SystemTime,
    ) -> io::Result<ObjectMeta> {
        let path = path.to_path_buf();
        let etag = tokio::task::spawn_blocking(move || md5_file(&path)).await.map_err(io::Error::other)??;
        self.remember_foreign(bucket, key, size, modified, etag)
    }

    fn remember_foreign(
        &self,
        bucket: &str,
        key: &str,
        size: u64,
        modified: SystemTime,
        etag: String,
    ) -> io::Result<ObjectMeta> {
        let meta = ObjectMeta { etag, ..Default::default() };
        self.db()
            .execute(
                "INSERT OR REPLACE INTO objects (bucket, key, size, mtime, meta) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![bucket, key, size as i64, mtime_nanos(modified), serde_json::to_string(&meta)?],
            )
            .map_err(io::Error::other)?;
        Ok(meta)
    }

    /// Deletes an object (a missing one is not an error, as in S3), and the directories it leaves
    /// empty. Call it holding [`ObjectStore::lock`].
    pub async fn delete(&self, bucket: &str, key: &str) -> io::Result<()> {
        let Ok(path) = self.object_path(bucket, key) else { return Ok(()) };
        let removed = if key.ends_with('/') {
            match tokio::fs::remove_dir(&path).await {
                Ok(()) => true,
                // A marker over a non-empty directory: the objects below stay, the marker goes.
                Err(_) => false,
            }
        } else {
            match tokio::fs::metadata(&path).await {
                Ok(m) if m.is_file() => {
                    tokio::fs::remove_file(&path).await?;
                    true
                }
                _ => false,
            }
        };
        self.db()
            .execute("DELETE FROM objects WHERE bucket = ?1 AND key = ?2", [bucket, key])
            .map_err(io::Error::other)?;
        if removed {
            let stop = self.bucket_dir(bucket);
            let mut dir = path.parent().map(Path::to_path_buf);
            while let Some(d) = dir {
                if d == stop || !d.starts_with(&stop) || self.is_marker(bucket, &stop, &d)? {
                    break;
                }
                if tokio::fs::remove_dir(&d).await.is_err() {
                    break;
                }
                dir = d.parent().map(Path::to_path_buf);
            }
        }
        Ok(())
    }

    fn is_marker(&self, bucket: &str, bucket_dir: &Path, dir: &Path) -> io::Result<bool> {
        let Ok(rel) = dir.strip_prefix(bucket_dir) else { return Ok(false) };
        let key = format!("{}/", rel.to_string_lossy());
        Ok(self.stored_meta(bucket, &key)?.is_some())
    }

    /// Every object of a bucket whose key starts with `prefix`, sorted by key (byte order, as S3).
    /// One directory walk and one index query, on a blocking thread, whatever the number of objects.
    pub async fn list(self: &std::sync::Arc<Self>, bucket: &str, prefix: &str) -> io::Result<Vec<ObjectInfo>> {
        let (this, bucket, prefix) = (self.clone(), bucket.to_string(), prefix.to_string());
        tokio::task::spawn_blocking(move || this.list_blocking(&bucket, &prefix)).await.map_err(io::Error::other)?
    }

    fn list_blocking(&self, bucket: &str, prefix: &str) -> io::Result<Vec<ObjectInfo>> {
        let files = walk(&self.bucket_dir(bucket), prefix)?;
        let mut rows: std::collections::HashMap<String, (i64, i64, ObjectMeta)> = {
            let db = self.db();
            let mut stmt = db
                .prepare_cached(
                    "SELECT key, size, mtime, meta FROM objects WHERE bucket = ?1 AND substr(key, 1, length(?2)) = ?2",
                )
                .map_err(io::Error::other)?;
            let mapped = stmt
                .query_map([bucket, prefix], |r| {
                    Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?))
                })
                .map_err(io::Error::other)?;
            let mut rows = std::collections::HashMap::new();
            for row in mapped {
                let (key, size, mtime, meta) = row.map_err(io::Error::other)?;
                rows.insert(key, (size, mtime, serde_json::from_str(&meta)?));
            }
            rows
        };
        let mut out = Vec::with_capacity(files.len());
        for (key, size, modified) in files {
            let meta = match rows.remove(&key) {
                Some((s, m, meta)) if s == size as i64 && m == mtime_nanos(modified) => meta,
                _ => {
                    let path =
                        self.object_path(bucket, &key).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                    self.remember_foreign(bucket, &key, size, modified, md5_file(&path)?)?
                }
            };
            out.push(ObjectInfo { key, size, modified, meta });
        }
        // Directory markers: objects only if someone PUT them, and still there.
        for (key, (_, mtime, meta)) in rows {
            if key.ends_with('/') && self.object_path(bucket, &key).is_ok_and(|p| p.is_dir()) {
                let modified = UNIX_EPOCH + std::time::Duration::from_nanos(mtime.max(0) as u64);
                out.push(ObjectInfo { key, size: 0, modified, meta });
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    // ---- multipart uploads ----

    /// Registers a new upload.
    pub fn create_upload(&self, upload: &Upload) -> io::Result<()> {
        std::fs::create_dir_all(self.upload_dir(&upload.upload_id))?;
        self.db()
            .execute(
                "INSERT INTO uploads (upload_id, bucket, key, body) VALUES (?1, ?2, ?3, ?4)",
                params![upload.upload_id, upload.bucket, upload.key, serde_json::to_string(upload)?],
            )
            .map_err(io::Error::other)?;
        Ok(())
    }

    /// An upload of `bucket`/`key` by id.
    pub fn upload(&self, bucket: &str, key: &str, upload_id: &str) -> io::Result<Option<Upload>> {
        let body: Option<String> = self
            .db()
            .query_row(
                "SELECT body FROM uploads WHERE upload_id = ?1 AND bucket = ?2 AND key = ?3",
                [upload_id, bucket, key],
                |r| r.get(0),
            )
            .optional()
            .map_err(io::Error::other)?;
        body.map(|b| serde_json::from_str(&b).map_err(io::Error::from)).transpose()
    }

    /// The uploads in progress in a bucket, sorted by key then initiation.
    pub fn uploads(&self, bucket: &str) -> io::Result<Vec<Upload>> {
        let db = self.db();
        let mut stmt = db.prepare_cached("SELECT body FROM uploads WHERE bucket = ?1").map_err(io::Error::other)?;
        let rows = stmt.query_map([bucket], |r| r.get::<_, String>(0)).map_err(io::Error::other)?;
        let mut out: Vec<Upload> = Vec::new();
        for row in rows {
            out.push(serde_json::from_str(&row.map_err(io::Error::other)?)?);
        }
        out.sort_by(|a, b| {
            (&a.key, a.initiated).partial_cmp(&(&b.key, b.initiated)).unwrap_or(std::cmp::Ordering::Equal)
        });
        Ok(out)
    }

    /// The directory holding an upload's parts.
    pub fn upload_dir(&self, upload_id: &str) -> PathBuf {
        self.root.join(UPLOADS_DIR).join(upload_id)
    }

    /// The file of one part.
    pub fn part_path(&self, upload_id: &str, number: i32) -> PathBuf {
        self.upload_dir(upload_id).join(number.to_string())
    }

    /// Moves a finished part into place and records it (replacing an earlier part with that number).
    pub async fn commit_part(&self, upload_id: &str, temp: &Path, part: &PartInfo) -> io::Result<()> {
        tokio::fs::rename(temp, self.part_path(upload_id, part.number)).await?;
        self.db()
            .execute(
                "INSERT OR REPLACE INTO parts (upload_id, number, body) VALUES (?1, ?2, ?3)",
                params![upload_id, part.number, serde_json::to_string(part)?],
            )
            .map_err(io::Error::other)?;
        Ok(())
    }

    /// The parts of an upload, by number.
    pub fn parts(&self, upload_id: &str) -> io::Result<Vec<PartInfo>> {
        let db = self.db();
        let mut stmt = db
            .prepare_cached("SELECT body FROM parts WHERE upload_id = ?1 ORDER BY number")
            .map_err(io::Error::other)?;
        let rows = stmt.query_map([upload_id], |r| r.get::<_, String>(0)).map_err(io::Error::other)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(serde_json::from_str(&row.map_err(io::Error::other)?)?);
        }
        Ok(out)
    }

    /// Forgets an upload and deletes its parts.
    pub async fn remove_upload(&self, upload_id: &str) -> io::Result<()> {
        {
            let db = self.db();
            db.execute("DELETE FROM parts WHERE upload_id = ?1", [upload_id]).map_err(io::Error::other)?;
            db.execute("DELETE FROM uploads WHERE upload_id = ?1", [upload_id]).map_err(io::Error::other)?;
        }
        match tokio::fs::remove_dir_all(self.upload_dir(upload_id)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Deletes every bucket, object and upload (the control API's reset).
    pub async fn reset(&self) -> io::Result<()> {
        let mut dir = tokio::fs::read_dir(&self.root).await?;
        while let Some(entry) = dir.next_entry().await? {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name != TMP_DIR && entry.file_type().await?.is_dir() {
                tokio::fs::remove_dir_all(entry.path()).await?;
            }
        }
        tokio::fs::create_dir_all(self.root.join(UPLOADS_DIR)).await?;
        self.db()
            .execute_batch("DELETE FROM buckets; DELETE FROM objects; DELETE FROM uploads; DELETE FROM parts;")
            .map_err(io::Error::other)
    }
}

/// A write that hit an existing file where a directory was needed, or the reverse.
fn conflict(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::NotADirectory
        | io::ErrorKind::IsADirectory
        | io::ErrorKind::AlreadyExists
        | io::ErrorKind::DirectoryNotEmpty => io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the key collides with another object: Lakebox stores objects as files, so an object 'a' and \
             objects under 'a/' cannot both exist",
        ),
        _ => e,
    }
}

fn contains_files(dir: &Path) -> io::Result<bool> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() || contains_files(&entry.path())? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The files under `root` whose key (path relative to `root`, `/`-separated) starts with `prefix`,
/// with size and mtime. Directories that cannot hold a matching key are not entered.
fn walk(root: &Path, prefix: &str) -> io::Result<Vec<(String, u64, SystemTime)>> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
            let key = format!("{rel}{name}");
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                let dir_key = format!("{key}/");
                if dir_key.starts_with(prefix) || prefix.starts_with(&dir_key) {
                    stack.push((entry.path(), dir_key));
                }
            } else if file_type.is_file() && key.starts_with(prefix) {
                let meta = entry.metadata()?;
                out.push((key, meta.len(), meta.modified().unwrap_or(UNIX_EPOCH)));
            }
        }
    }
    Ok(out)
}

fn md5_file(path: &Path) -> io::Result<String> {
    use s3s::crypto::Checksum as _;
    use std::io::Read as _;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = s3s::crypto::Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, ObjectStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::open(&dir.path().join("s3"), &dir.path().join("s3.sqlite")).unwrap();
        (dir, store)
    }

    #[test]
    fn keys_cannot_escape_their_bucket() {
        let (_dir, store) = store();
        let bucket_dir = store.bucket_dir("b");
        for bad in ["..", "../other/x", "a/../../x", "./x", "a//b", "/abs", "a/./b", "x/..", "nul\0"] {
            assert!(store.object_path("b", bad).is_err(), "{bad:?} was accepted");
        }
        for good in ["a", "a/b/c.parquet", "year=2024/month=03/part-0.csv", "dir/", "..a", "a..", "with space"] {
            let path = store.object_path("b", good).unwrap();
            assert!(path.starts_with(&bucket_dir), "{good:?} -> {path:?}");
        }
        assert!(store.object_path("b", &format!("{}/x", "s".repeat(256))).is_err());
    }
}
