//! Password hashing with argon2id (PHC strings), off the async threads; hashes imported
//! from other systems (argon2i, bcrypt, PBKDF2-SHA256/512) verify too, until replaced.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use portti_core::{Error, Result};
use ring::pbkdf2;
use std::num::NonZeroU32;

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for HashCost {
    /// OWASP's recommendation: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        HashCost { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 }
    }
}

/// Hashes passwords with the configured cost.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
}

impl Hasher {
    /// A hasher; invalid parameters are a configuration error.
    pub fn new(cost: HashCost) -> Result<Self> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| Error::bad(format!("invalid argon2 parameters: {e}")))?;
        Ok(Hasher { params })
    }

    /// The PHC string of `password`, computed on a blocking thread.
    pub async fn hash(&self, password: String) -> Result<String> {
        let params = self.params.clone();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
        })
        .await
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))?
    }
}

impl Hasher {
    /// Whether `password` matches any of the stored hashes (argon2id, or a form imported
    /// from another system), checked on a blocking thread.
    pub async fn matches_any(&self, password: String, hashes: Vec<String>) -> Result<bool> {
        if hashes.is_empty() {
            return Ok(false);
        }
        tokio::task::spawn_blocking(move || hashes.iter().any(|h| verify(password.as_bytes(), h)))
            .await
            .map_err(|e| Error::Internal(format!("password check failed: {e}")))
    }
}

/// Whether a stored hash should be replaced by an argon2id one the next time the
/// password is known (after a successful sign-in).
pub fn needs_rehash(hash: &str) -> bool {
    !hash.starts_with("$argon2id$")
}

/// Accept a hash from another system only in a form Portti can verify: argon2 (PHC),
/// bcrypt (`$2a$`, `$2b$`, `$2y$`), PBKDF2-SHA256/512 as Django or passlib write them.
pub fn check_hash_form(hash: &str) -> Result<()> {
    let refuse = |why: &str| {
        Err(Error::bad(format!(
            "passwordHash: {why}; accepted: argon2 PHC strings, bcrypt ($2a$, $2b$, $2y$), \
             PBKDF2-SHA256/512 (pbkdf2_sha256$..., $pbkdf2-sha256$..., $pbkdf2-sha512$...)"
        )))
    };
    match Scheme::parse(hash) {
        Some(Ok(_)) => Ok(()),
        Some(Err(why)) => refuse(why),
        None => refuse("unknown hash form"),
    }
}

/// Most PBKDF2 iterations an imported hash may ask for (each sign-in pays them).
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// Most memory (KiB) an imported argon2 hash may ask for.
const MAX_ARGON2_MEMORY_KIB: u32 = 1 << 20;

/// A stored hash, parsed.
enum Scheme<'a> {
    Argon2(PasswordHash<'a>),
    Bcrypt,
    Pbkdf2 { algorithm: pbkdf2::Algorithm, iterations: NonZeroU32, salt: Vec<u8>, derived: Vec<u8> },
}

impl<'a> Scheme<'a> {
    /// `None` when the form is unknown; `Some(Err)` when it is known but malformed.
    fn parse(hash: &'a str) -> Option<Result<Scheme<'a>, &'static str>> {
        if hash.starts_with("$argon2") {
            return Some(argon2_scheme(hash));
        }
        if ["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p)) {
            return Some(match hash.parse::<bcrypt::HashParts>() {
                Ok(_) => Ok(Scheme::Bcrypt),
                Err(_) => Err("malformed bcrypt hash"),
            });
        }
        let (algorithm, rest, django) = pbkdf2_prefix(hash)?;
        Some(pbkdf2_scheme(algorithm, rest, django))
    }
}

fn argon2_scheme(hash: &str) -> Result<Scheme<'_>, &'static str> {
    let parsed = PasswordHash::new(hash).map_err(|_| "malformed argon2 hash")?;
    if !["argon2id", "argon2i", "argon2d"].contains(&parsed.algorithm.as_str()) {
        return Err("unknown argon2 variant");
    }
    let params = Params::try_from(&parsed).map_err(|_| "bad argon2 parameters")?;
    if params.m_cost() > MAX_ARGON2_MEMORY_KIB || parsed.hash.is_none() {
        return Err("argon2 hash without output or with more than 1 GiB of memory");
    }
    Ok(Scheme::Argon2(parsed))
}

/// The algorithm of a PBKDF2 hash, the rest of the string, and whether it is Django's form.
fn pbkdf2_prefix(hash: &str) -> Option<(pbkdf2::Algorithm, &str, bool)> {
    let forms = [
        ("pbkdf2_sha256$", pbkdf2::PBKDF2_HMAC_SHA256, true),
        ("pbkdf2_sha512$", pbkdf2::PBKDF2_HMAC_SHA512, true),
        ("$pbkdf2-sha256$", pbkdf2::PBKDF2_HMAC_SHA256, false),
        ("$pbkdf2-sha512$", pbkdf2::PBKDF2_HMAC_SHA512, false),
    ];
    forms
        .into_iter()
        .find_map(|(prefix, alg, django)| hash.strip_prefix(prefix).map(|rest| (alg, rest, django)))
}

/// `iterations$salt$hash`: Django keeps the salt as text and the hash in padded base64;
/// passlib writes both in its adapted base64 (`.` for `+`, no padding), and the PHC
/// form of RustCrypto writes `i=N,l=LEN` for the iterations.
fn pbkdf2_scheme(
    algorithm: pbkdf2::Algorithm,
    rest: &str,
    django: bool,
) -> Result<Scheme<'static>, &'static str> {
    let malformed = "malformed PBKDF2 hash";
    let mut parts = rest.split('$');
    let (Some(rounds), Some(salt), Some(derived), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed);
    };
    let rounds = rounds.split(',').find_map(|p| p.strip_prefix("i=")).unwrap_or(rounds);
    let iterations = rounds.parse::<u32>().ok().and_then(NonZeroU32::new).ok_or(malformed)?;
    if iterations.get() > MAX_PBKDF2_ITERATIONS {
        return Err("PBKDF2 hash with more than 10,000,000 iterations");
    }
    let salt = if django { salt.as_bytes().to_vec() } else { adapted_base64(salt).ok_or(malformed)? };
    let derived = adapted_base64(derived).ok_or(malformed)?;
    if salt.is_empty() || derived.len() < 16 {
        return Err(malformed);
    }
    Ok(Scheme::Pbkdf2 { algorithm, iterations, salt, derived })
}

/// Standard base64 with or without padding, also in passlib's spelling (`.` for `+`).
fn adapted_base64(text: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    LENIENT.decode(text.replace('.', "+")).ok()
}

/// Whether `password` matches the stored `hash`, whatever its scheme.
fn verify(password: &[u8], hash: &str) -> bool {
    match Scheme::parse(hash) {
        Some(Ok(Scheme::Argon2(parsed))) => Argon2::default().verify_password(password, &parsed).is_ok(),
        Some(Ok(Scheme::Bcrypt)) => bcrypt::verify(password, hash).unwrap_or(false),
        Some(Ok(Scheme::Pbkdf2 { algorithm, iterations, salt, derived })) => {
            pbkdf2::verify(algorithm, iterations, &salt, password, &derived).is_ok()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_phc_argon2id_and_salted() {
        let h = Hasher::new(HashCost { memory_kib: 64, iterations: 1, parallelism: 1 }).unwrap();
        let a = h.hash("pw".into()).await.unwrap();
        let b = h.hash("pw".into()).await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_ne!(a, b);
        assert!(h.matches_any("pw".into(), vec!["junk".into(), b]).await.unwrap());
        assert!(!h.matches_any("other".into(), vec![a.clone()]).await.unwrap());
        assert!(!needs_rehash(&a));
    }

    /// Known answers: bcrypt's OpenBSD vector (also under `$2a$` and `$2y$`), the rest made
    /// by passlib (Django's and passlib's forms) and Python's hashlib (RustCrypto's PHC form).
    const FOREIGN: &[(&str, &str)] = &[
        ("$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie", "correctbatteryhorsestapler"),
        ("$2a$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie", "correctbatteryhorsestapler"),
        ("$2y$04$LxJURaopgQtPqcRnfFM7tesLOsmxknmE8nZPjm5EIfVE3u0ZsErfS", "Tr0ub4dor&3"),
        ("pbkdf2_sha256$1000$y0oAppBVZ6SO$6u/g2gbv+qOaS3rL8d76grhuTf6lQR0wCh4lNMWdBqs=", "Tr0ub4dor&3"),
        ("$pbkdf2-sha256$1000$urcWAoAwhrA2hvA.h1CKUQ$lgDT5gvmvx4XeZgIQt/5o53LwVNR.9LafNknfVBd.9w", "Tr0ub4dor&3"),
        (
            "$pbkdf2-sha512$1000$GoPw3htDKOV8T8kZ41wrxQ$wzV8yBooj8xLcKU7uI6HMUkgjpq8DbOZ6x6Or0ffeFAu/q5KDi7CbwzDDo0a5vAk2q/uJqNPHFo1hoF3gdN4wA",
            "Tr0ub4dor&3",
        ),
        ("$pbkdf2-sha256$i=1000,l=32$c2FsdHlzYWx0eXNhbHQxNg$/NtC+7QgWKV9vV19B/+K8nX37UYy+l4G32bMDyOv9w0", "Tr0ub4dor&3"),
        ("$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA", "password"),
    ];

    #[tokio::test]
    async fn foreign_hashes_verify_and_ask_for_a_rehash() {
        let h = Hasher::new(HashCost::default()).unwrap();
        for (hash, password) in FOREIGN {
            check_hash_form(hash).unwrap_or_else(|e| panic!("{hash}: {e}"));
            assert!(needs_rehash(hash), "{hash}");
            assert!(h.matches_any(password.to_string(), vec![hash.to_string()]).await.unwrap(), "{hash}");
            assert!(!h.matches_any("wrong".into(), vec![hash.to_string()]).await.unwrap(), "{hash}");
        }
    }

    #[test]
    fn unknown_and_malformed_forms_are_refused() {
        for bad in [
            "",
            "plaintext",
            "$1$salt$md5crypt",
            "sha1$salt$abc",
            "$2x$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
            "$2b$04$short",
            "pbkdf2_sha256$0$salt$y/HP0MqG9W9YsEjpb8L3c/7mJ23uYzpmtQ3o4+cnXrg=",
            "pbkdf2_sha256$10000$salt$not base64!",
            "pbkdf2_sha256$4000000000$salt$y/HP0MqG9W9YsEjpb8L3c/7mJ23uYzpmtQ3o4+cnXrg=",
            "$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw",
            "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ",
            "$argon2x$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA",
        ] {
            assert!(check_hash_form(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
