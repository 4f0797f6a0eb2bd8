//! Password hashing with argon2id (PHC strings), off the async threads.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use portti_core::{Error, Result};

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
    /// Whether `password` matches any of the PHC strings, checked on a blocking thread.
    pub async fn matches_any(&self, password: String, hashes: Vec<String>) -> Result<bool> {
        if hashes.is_empty() {
            return Ok(false);
        }
        tokio::task::spawn_blocking(move || {
            hashes.iter().any(|h| {
                PasswordHash::new(h).is_ok_and(|parsed| {
                    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
                })
            })
        })
        .await
        .map_err(|e| Error::Internal(format!("password check failed: {e}")))
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
        assert!(!h.matches_any("other".into(), vec![a]).await.unwrap());
    }
}
