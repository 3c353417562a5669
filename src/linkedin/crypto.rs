//! Access tokens at rest: sealed with ChaCha20-Poly1305 under the server's key, so a copy of the
//! database alone does not let anyone post as the members.
//!
//! The key is `LINKEDGROW_ENCRYPTION_KEY` (32 random bytes, standard padded base64, as
//! `openssl rand -base64 32` prints), or else a key file beside the database, created on first
//! start with mode 0600 in the same format. Instances that share a database share the key
//! through the variable.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};

use super::secret::REDACTED;

/// The key's length in bytes.
pub const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;
/// Marks the format of a sealed value, so that another scheme can be told apart later.
pub const SEALED_PREFIX: &str = "v1:";
const FORMAT_HINT: &str =
    "32 random bytes in standard base64 with padding, e.g. the output of `openssl rand -base64 32`";

/// The key that seals tokens; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; KEY_BYTES]);

/// Why the key could not be had; one line, never containing the key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// `LINKEDGROW_ENCRYPTION_KEY` is set but not a key.
    /// No file beside the database can hold the key (PostgreSQL), and the variable is unset.
    #[error(
        "set LINKEDGROW_ENCRYPTION_KEY ({FORMAT_HINT}): with PostgreSQL every instance must \
         seal LinkedIn tokens with the same key, so it is not kept in a file"
    )]
    Required,
    #[error("LINKEDGROW_ENCRYPTION_KEY must be {FORMAT_HINT}; {0}")]
    Env(String),
    /// The key file exists but does not hold a key.
    #[error("the key file {} must hold {FORMAT_HINT}; {reason}", path.display())]
    File { path: PathBuf, reason: String },
    /// The key file could not be read or created.
    #[error("could not read or create the key file {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// A sealed value that does not open: another key, or damaged or altered data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stored value could not be decrypted: it was sealed with another key, or altered")]
pub struct DecryptError;

impl Key {
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Self {
        Self(ChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    /// Parses the documented format; the error says what is wrong without repeating the value.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| "the value is not standard padded base64".to_owned())?;
        let bytes: [u8; KEY_BYTES] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("the value decodes to {} bytes, not 32", b.len()))?;
        Ok(Self(bytes))
    }

    /// The documented format, as written to the key file.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Seals `plaintext` with a fresh random nonce. `context` (for example the owner's user
    /// id) is authenticated, not stored: the value opens only with the same context, so a
    /// token copied onto another row does not decrypt there.
    pub fn seal(&self, plaintext: &str, context: &[u8]) -> String {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: context,
        };
        let sealed = self
            .cipher()
            .encrypt(&nonce, payload)
            .expect("ChaCha20-Poly1305 encrypts any message shorter than 256 GiB");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{SEALED_PREFIX}{}", STANDARD.encode(bytes))
    }

    /// Opens a value from [`Key::seal`] with the same `context`.
    pub fn open(&self, sealed: &str, context: &[u8]) -> Result<String, DecryptError> {
        let encoded = sealed.strip_prefix(SEALED_PREFIX).ok_or(DecryptError)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| DecryptError)?;
        if bytes.len() < NONCE_BYTES {
            return Err(DecryptError);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let payload = Payload {
            msg: ciphertext,
            aad: context,
        };
        let plaintext = self
            .cipher()
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| DecryptError)?;
        String::from_utf8(plaintext).map_err(|_| DecryptError)
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(&self.0.into())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Key").field(&REDACTED).finish()
    }
}

/// Where the key file of the database at `database` lives: beside it, named after it.
pub fn key_file_for(database: &Path) -> PathBuf {
    let mut name = database
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "linkedgrow".into());
    name.push(".key");
    database.with_file_name(name)
}

/// The key from `explicit` (the environment variable's value) if given, else from
/// `key_file`, creating that file with a new key if it does not exist. The flag says whether
/// a key was created, for the caller to log.
pub fn load_or_create_key(
    explicit: Option<&str>,
    key_file: Option<&Path>,
) -> Result<(Key, bool), KeyError> {
    if let Some(value) = explicit {
        return Key::from_base64(value)
            .map(|key| (key, false))
            .map_err(KeyError::Env);
    }
    let key_file = key_file.ok_or(KeyError::Required)?;
    let io_error = |source| KeyError::Io {
        path: key_file.to_owned(),
        source,
    };
    // Twice at most: a file another process created between our read and our create is read
    // the second time round.
    for _ in 0..2 {
        match fs::read_to_string(key_file) {
            Ok(text) => {
                let key = Key::from_base64(&text).map_err(|reason| KeyError::File {
                    path: key_file.to_owned(),
                    reason,
                })?;
                return Ok((key, false));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if let Some(key) = create_key_file(key_file).map_err(io_error)? {
                    return Ok((key, true));
                }
            }
            Err(e) => return Err(io_error(e)),
        }
    }
    Err(io_error(io::Error::other(
        "it appeared and disappeared while being read",
    )))
}

/// Writes a new key to a private temporary file, then links it into place, so that no reader
/// ever sees a partial file and two starting processes cannot both create one. `None` when
/// the file appeared meanwhile.
fn create_key_file(path: &Path) -> io::Result<Option<Key>> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let key = Key::generate();
    let temporary = dir.join(format!(
        ".linkedgrow-key-{}.tmp",
        uuid::Uuid::new_v4().simple()
    ));
    let written = write_private(&temporary, format!("{}\n", key.to_base64()).as_bytes())
        .and_then(|()| fs::hard_link(&temporary, path));
    let _ = fs::remove_file(&temporary);
    match written {
        Ok(()) => {
            // The new name must survive a crash: the database will hold tokens only it opens.
            fs::File::open(dir)?.sync_all()?;
            Ok(Some(key))
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
        Err(e) => Err(e),
    }
}

fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0VnA=";

    #[test]
    fn sealed_values_open_with_the_same_key_and_context() {
        let key = Key::generate();
        let sealed = key.seal("AQX-access-token", b"user-1");
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("AQX-access-token"));
        assert_eq!(key.open(&sealed, b"user-1").unwrap(), "AQX-access-token");
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let key = Key::generate();
        assert_ne!(key.seal("same", b""), key.seal("same", b""));
    }

    #[test]
    fn another_key_or_context_does_not_open() {
        let sealed = Key::generate().seal("token", b"user-1");
        assert_eq!(Key::generate().open(&sealed, b"user-1"), Err(DecryptError));
        let key = Key::generate();
        let sealed = key.seal("token", b"user-1");
        assert_eq!(key.open(&sealed, b"user-2"), Err(DecryptError));
    }

    #[test]
    fn any_altered_byte_is_refused() {
        let key = Key::generate();
        let sealed = key.seal("token", b"ctx");
        let bytes = STANDARD.decode(&sealed[3..]).unwrap();
        for i in 0..bytes.len() {
            let mut altered = bytes.clone();
            altered[i] ^= 0x01;
            let altered = format!("v1:{}", STANDARD.encode(altered));
            assert_eq!(key.open(&altered, b"ctx"), Err(DecryptError), "byte {i}");
        }
        let truncated = format!("v1:{}", STANDARD.encode(&bytes[..bytes.len() - 1]));
        assert_eq!(key.open(&truncated, b"ctx"), Err(DecryptError));
        for broken in ["", "v1:", "v1:!!!", "v2:AAAA", &sealed[3..]] {
            assert_eq!(key.open(broken, b"ctx"), Err(DecryptError), "{broken:?}");
        }
    }

    #[test]
    fn the_documented_format_is_accepted() {
        let (key, created) =
            load_or_create_key(Some(VALID), Some(Path::new("/nonexistent"))).unwrap();
        assert!(!created);
        assert_eq!(key.to_base64(), VALID);
        let generated = Key::generate().to_base64();
        assert_eq!(generated.len(), 44);
        assert!(Key::from_base64(&generated).is_ok());
    }

    #[test]
    fn bad_environment_values_are_refused_in_one_line_without_the_value() {
        let cases = [
            ("", "decodes to 0 bytes"),
            ("not base64 at all!", "not standard padded base64"),
            (
                "q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0VnA",
                "not standard padded base64",
            ),
            (
                "q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0VnA-",
                "not standard padded base64",
            ),
            (
                "-_-_EjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0VnA=",
                "not standard padded base64",
            ),
            ("q83vEjRWeJASNFZ4kBI0Vg==", "decodes to 16 bytes"),
            (
                "q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0VniQ",
                "decodes to 33 bytes",
            ),
            ("0123456789abcdef0123456789abcdef", "decodes to 24 bytes"),
        ];
        for (value, reason) in cases {
            let error =
                load_or_create_key(Some(value), Some(Path::new("/nonexistent"))).unwrap_err();
            let text = error.to_string();
            assert!(matches!(error, KeyError::Env(_)), "{value:?}");
            assert!(
                text.starts_with("LINKEDGROW_ENCRYPTION_KEY must be"),
                "{text}"
            );
            assert!(text.contains("openssl rand -base64 32"), "{text}");
            assert!(text.contains(reason), "{value:?}: {text}");
            assert!(!text.contains('\n'), "{text}");
            if !value.is_empty() {
                assert!(!text.contains(value), "{text}");
            }
        }
    }

    #[test]
    fn without_a_value_a_private_key_file_is_created_once_and_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_file_for(&dir.path().join("data").join("linkedgrow.db"));
        assert_eq!(path, dir.path().join("data").join("linkedgrow.db.key"));
        let (key, created) = load_or_create_key(None, Some(&path)).unwrap();
        assert!(created);
        let (again, created) = load_or_create_key(None, Some(&path)).unwrap();
        assert!(!created);
        assert_eq!(key, again);
        let contents = fs::read_to_string(&path).unwrap();
        assert_eq!(contents, format!("{}\n", key.to_base64()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![path.file_name().unwrap().to_owned()]);
    }

    #[test]
    fn the_variable_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.key");
        let (from_env, created) = load_or_create_key(Some(VALID), Some(&path)).unwrap();
        assert!(!created);
        assert!(!path.exists());
        assert_eq!(from_env.to_base64(), VALID);
    }

    #[test]
    fn a_damaged_key_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.key");
        fs::write(&path, "short\n").unwrap();
        let error = load_or_create_key(None, Some(&path)).unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, KeyError::File { .. }), "{text}");
        assert!(text.contains("db.key"), "{text}");
        assert!(!text.contains('\n'), "{text}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "short\n");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = Key::from_base64(VALID).unwrap();
        let shown = format!(
            "{key:?} {key:#?} {:?}",
            load_or_create_key(Some(VALID), Some(Path::new("x")))
        );
        assert!(!shown.contains(VALID), "{shown}");
        assert!(!shown.contains("q83v"), "{shown}");
        assert!(shown.contains(REDACTED));
    }
}
