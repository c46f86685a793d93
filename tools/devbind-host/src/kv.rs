//! The HAL key-value store, persisted in a text file: one `key hexvalue` line per key, sorted,
//! rewritten whole (through a temporary file and a rename) on every change, so a crash never
//! leaves half a file. Keys are printable ASCII without spaces, at most 64 bytes.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 64;
/// Longest value accepted.
pub const MAX_VALUE_LEN: usize = 4096;

/// A KV store backed by a file.
#[derive(Debug)]
pub struct KvStore {
    path: PathBuf,
    map: BTreeMap<String, Vec<u8>>,
}

/// Whether `key` may be stored.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_LEN && key.bytes().all(|b| b.is_ascii_graphic())
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

impl KvStore {
    /// Opens (reads) the store at `path`; a missing file is an empty store. Lines that do not
    /// parse are skipped with a log line.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        let mut map = BTreeMap::new();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                for (n, line) in text.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    let parsed = line
                        .split_once(' ')
                        .and_then(|(k, v)| Some((k, parse_hex(v.trim())?)))
                        .filter(|(k, _)| valid_key(k));
                    match parsed {
                        Some((k, v)) => {
                            map.insert(k.to_string(), v);
                        }
                        None => crate::hlog!(
                            "kv: {}:{}: not `key hexvalue`, skipped",
                            path.display(),
                            n + 1
                        ),
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(Self { path, map })
    }

    /// The file behind the store.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.map.get(key).map(Vec::as_slice)
    }

    /// Sets `key` and writes the file.
    pub fn set(&mut self, key: &str, value: &[u8]) -> io::Result<()> {
        if !valid_key(key) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad key"));
        }
        if value.len() > MAX_VALUE_LEN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "value too long",
            ));
        }
        let old = self.map.insert(key.to_string(), value.to_vec());
        if let Err(e) = self.save() {
            // Keep memory and file in agreement.
            match old {
                Some(v) => self.map.insert(key.to_string(), v),
                None => self.map.remove(key),
            };
            return Err(e);
        }
        Ok(())
    }

    /// Removes `key` and writes the file.
    pub fn remove(&mut self, key: &str) -> io::Result<()> {
        if self.map.remove(key).is_some() {
            self.save()?;
        }
        Ok(())
    }

    fn save(&self) -> io::Result<()> {
        let mut text = String::from("# devbind-host KV store: key hexvalue\n");
        for (k, v) in &self.map {
            text.push_str(k);
            text.push(' ');
            for b in v {
                text.push_str(&format!("{b:02x}"));
            }
            text.push('\n');
        }
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &self.path)
    }
}
