//! Reading the user's files safely: only regular files (never a FIFO, a
//! device or a folder, which could block forever or never end), text read
//! whole only up to a size limit, streamed line by line otherwise with a
//! bounded line length, and a SHA-256 digest of the bytes read, so a saved
//! result can tell whether an input file changed.

use sha2::{Digest as _, Sha256};
use std::any::Any;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::SystemTime;

/// Largest text file read whole (saved summaries, comparisons and time
/// series, parsed into compact types): 256 MiB.
pub const MAX_TEXT_BYTES: u64 = 256 << 20;
/// Largest scenario file: 1 MiB (parsing with positions costs about 90
/// times the text; long sample lists and traces belong in CSV files).
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;
/// Largest `sweep.json` (its scenario and `--vary` values are parsed as
/// JSON values): 16 MiB.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;
/// Longest line of a file read line by line (CSV, `sweep.jsonl`): 16 MiB.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Opens `path` for reading if it is a regular file (a symbolic link to one
/// is followed). Anything else is refused before it is opened, since
/// opening a FIFO for reading waits for a writer.
///
/// # Errors
/// The system's error, or `InvalidInput` naming what the path is instead.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let kind = std::fs::metadata(path)?.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a folder"
        } else {
            "not a regular file (a device, FIFO or socket)"
        };
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {what}"),
        ));
    }
    let file = File::open(path)?;
    // The path could have been swapped between the check and the open.
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is not a regular file",
        ));
    }
    Ok(file)
}

/// Reads a regular file of at most [`MAX_TEXT_BYTES`] as UTF-8 text.
///
/// # Errors
/// As [`read_text_at_most`].
pub fn read_text(path: &Path) -> io::Result<String> {
    read_text_at_most(path, MAX_TEXT_BYTES)
}

/// Reads a regular file of at most `max` bytes as UTF-8 text.
///
/// # Errors
/// As [`open_regular`], `InvalidData` for a file that is too large or not
/// UTF-8 text.
pub fn read_text_at_most(path: &Path, max: u64) -> io::Result<String> {
    let file = open_regular(path)?;
    let mut text = String::new();
    let read = file.take(max + 1).read_to_string(&mut text)?;
    if read as u64 > max {
        let size = if max >= 1 << 20 {
            format!("{} MiB", max >> 20)
        } else {
            format!("{} KiB", max >> 10)
        };
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it is larger than {size}"),
        ));
    }
    Ok(text)
}

/// The SHA-256 digest of `bytes` as `sha256:<64 hex digits>`.
pub fn digest_bytes(bytes: &[u8]) -> String {
    digest_text(&Sha256::digest(bytes).into())
}

/// A SHA-256 digest as `sha256:<64 hex digits>`.
pub fn digest_text(bytes: &[u8; 32]) -> String {
    let mut text = String::with_capacity(71);
    text.push_str("sha256:");
    for b in bytes {
        text.push_str(&format!("{b:02x}"));
    }
    text
}

/// What identifies a file's content: its size and SHA-256 digest.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileDigest {
    /// Size in bytes.
    pub bytes: u64,
    /// `sha256:<64 hex digits>`.
    pub sha256: String,
}

impl From<(String, u64)> for FileDigest {
    fn from((sha256, bytes): (String, u64)) -> FileDigest {
        FileDigest { bytes, sha256 }
    }
}

/// A file a scenario reads (a trace, an empirical distribution's samples),
/// identified by its content so that a saved result can tell whether it
/// changed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputFile {
    /// The scenario field that names it, e.g. `producers.web.arrival.trace.csv`.
    pub field: String,
    /// The path as the scenario writes it.
    pub path: String,
    /// Its size and digest when the scenario was loaded.
    #[serde(flatten)]
    pub digest: FileDigest,
}

/// What tells that a file changed without reading it: its size and when
/// it was last modified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileStamp {
    /// Size in bytes.
    pub len: u64,
    /// Last modification, if the system records it.
    pub modified: Option<SystemTime>,
}

/// The stamp of the file at `path`.
///
/// # Errors
/// The system's error.
pub fn stamp(path: &Path) -> io::Result<FileStamp> {
    let meta = std::fs::metadata(path)?;
    Ok(FileStamp {
        len: meta.len(),
        modified: meta.modified().ok(),
    })
}

/// What was loaded from files, by kind, path and stamp, while someone
/// still holds it.
type Loaded = HashMap<(String, PathBuf, FileStamp), Weak<dyn Any + Send + Sync>>;

static LOADED: Mutex<Option<Loaded>> = Mutex::new(None);

/// Loads what `load` makes of the file at `path` once while it is in use:
/// another load of the same `kind` (which names what is made and how,
/// e.g. a column and scale) from the same unchanged file shares it. A sweep
/// validates every point's scenario up front, and points reading one file
/// then hold one copy of it, not one each.
///
/// # Errors
/// What `load` returns.
pub fn shared<T: Any + Send + Sync, E>(
    kind: &str,
    path: &Path,
    load: impl FnOnce() -> Result<T, E>,
) -> Result<Arc<T>, E> {
    let key = match (std::fs::canonicalize(path), stamp(path)) {
        (Ok(p), Ok(s)) => Some((kind.to_owned(), p, s)),
        _ => None,
    };
    let found = key.as_ref().and_then(|key| {
        let loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
        loaded
            .as_ref()
            .and_then(|l| l.get(key))
            .and_then(Weak::upgrade)
            .and_then(|any| any.downcast::<T>().ok())
    });
    if let Some(found) = found {
        return Ok(found);
    }
    let made = Arc::new(load()?);
    if let Some(key) = key {
        let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
        let map = loaded.get_or_insert_with(HashMap::new);
        map.retain(|_, w| w.strong_count() > 0);
        let any: Arc<dyn Any + Send + Sync> = made.clone();
        map.insert(key, Arc::downgrade(&any));
    }
    Ok(made)
}

/// A regular file read line by line, hashing what it reads.
pub struct Lines {
    reader: BufReader<Hashing<File>>,
    line: usize,
    newline: bool,
    buf: Vec<u8>,
}

/// Why a line could not be read.
#[derive(Debug)]
pub enum LineError {
    /// The system's error.
    Io(io::Error),
    /// The line is longer than [`MAX_LINE_BYTES`].
    TooLong,
    /// The line is not UTF-8 text.
    NotText,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineError::Io(e) => write!(f, "cannot read it ({e})"),
            LineError::TooLong => write!(f, "the line is longer than {} MiB", MAX_LINE_BYTES >> 20),
            LineError::NotText => write!(f, "the line is not UTF-8 text"),
        }
    }
}

impl Lines {
    /// Opens `path` (a regular file) for reading line by line.
    ///
    /// # Errors
    /// As [`open_regular`].
    pub fn open(path: &Path) -> io::Result<Lines> {
        let file = open_regular(path)?;
        Ok(Lines {
            reader: BufReader::with_capacity(1 << 16, Hashing::new(file)),
            line: 0,
            newline: false,
            buf: Vec::new(),
        })
    }

    /// The next line, without its `\n` or `\r\n`, and its 1-based number;
    /// `None` at the end of the file. A last line without its newline is
    /// returned like the others ([`Lines::newline`] tells).
    ///
    /// # Errors
    /// [`LineError`] for the line that failed, whose number
    /// [`Lines::line`] gives.
    pub fn next_line(&mut self) -> Option<Result<(usize, &str), LineError>> {
        self.buf.clear();
        let limit = MAX_LINE_BYTES as u64 + 2;
        let read = (&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.buf);
        match read {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => return Some(Err(LineError::Io(e))),
        }
        self.line += 1;
        self.newline = self.buf.last() == Some(&b'\n');
        if self.newline {
            self.buf.pop();
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
        }
        if self.buf.len() > MAX_LINE_BYTES {
            return Some(Err(LineError::TooLong));
        }
        match std::str::from_utf8(&self.buf) {
            Ok(text) => Some(Ok((self.line, text))),
            Err(_) => Some(Err(LineError::NotText)),
        }
    }

    /// Whether the last line read ended with a newline (a last line
    /// without one may be a write cut short).
    pub fn newline(&self) -> bool {
        self.newline
    }

    /// The number of the last line read (0 before the first).
    pub fn line(&self) -> usize {
        self.line
    }

    /// Reads what is left, so that [`Lines::digest`] covers the whole file.
    ///
    /// # Errors
    /// The system's error.
    pub fn finish(&mut self) -> io::Result<()> {
        io::copy(&mut self.reader, &mut io::sink()).map(|_| ())
    }

    /// The SHA-256 digest of the bytes read so far (after
    /// [`Lines::finish`]: of the whole file).
    pub fn digest(&self) -> String {
        digest_text(&self.reader.get_ref().hasher.clone().finalize().into())
    }

    /// The bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.reader.get_ref().bytes
    }
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R> Hashing<R> {
    fn new(inner: R) -> Hashing<R> {
        Hashing {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// The SHA-256 digest of a regular file's bytes.
///
/// # Errors
/// As [`open_regular`].
pub fn digest_file(path: &Path) -> io::Result<String> {
    let mut reader = Hashing::new(open_regular(path)?);
    io::copy(&mut reader, &mut io::sink())?;
    Ok(digest_text(&reader.hasher.finalize().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("mqsim-input-{}-{name}", std::process::id()))
    }

    #[test]
    fn refuses_folders_and_devices_before_opening_them() {
        let err = open_regular(&std::env::temp_dir()).unwrap_err();
        assert_eq!(err.to_string(), "it is a folder");
        let err = open_regular(Path::new("/dev/zero")).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn lines_are_bounded_and_hashed() {
        let path = tmp("lines");
        std::fs::write(&path, "a,b\r\n\nc").unwrap();
        let mut lines = Lines::open(&path).unwrap();
        let mut seen = Vec::new();
        while let Some(line) = lines.next_line() {
            let (n, text) = line.unwrap();
            seen.push((n, text.to_owned()));
        }
        assert_eq!(
            seen,
            [(1, "a,b".to_owned()), (2, String::new()), (3, "c".into())]
        );
        assert_eq!(lines.digest(), digest_file(&path).unwrap());
        // sha256 of "abc", from FIPS 180-2's examples.
        std::fs::write(&path, "abc").unwrap();
        assert_eq!(
            digest_file(&path).unwrap(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let long = vec![b'x'; MAX_LINE_BYTES + 10];
        std::fs::write(&path, &long).unwrap();
        let mut lines = Lines::open(&path).unwrap();
        assert!(matches!(lines.next_line(), Some(Err(LineError::TooLong))));
        std::fs::write(&path, b"\xff\xfe\n").unwrap();
        let mut lines = Lines::open(&path).unwrap();
        assert!(matches!(lines.next_line(), Some(Err(LineError::NotText))));
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn whole_text_has_a_size_limit() {
        let path = tmp("text");
        std::fs::write(&path, "hello").unwrap();
        assert_eq!(read_text(&path).unwrap(), "hello");
        let _ = std::fs::remove_file(&path);
    }
}
