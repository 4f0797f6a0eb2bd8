//! Random secrets and their keyed hashes (HMAC-SHA256 under the installation's key).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use portti_core::{Error, Result};
use portti_store::Store;
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

const KEY_SETTING: &str = "secret_hash_key";

/// A new high-entropy secret: 32 random bytes, base64url (`[A-Za-z0-9_-]`, 43 characters).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The installation's key for hashing secrets, kept in the store so every node shares it.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    /// Read the key, creating it on first start.
    pub async fn load_or_create(store: &dyn Store) -> Result<Self> {
        if let Some(k) = store.read().await?.setting(KEY_SETTING).await? {
            return Self::decode(&k);
        }
        let mut tx = store.write().await?;
        let key = tx.setting_or_insert(KEY_SETTING, &random_secret()).await?;
        tx.commit().await?;
        Self::decode(&key)
    }

    fn decode(k: &str) -> Result<Self> {
        URL_SAFE_NO_PAD
            .decode(k)
            .map(SecretKey)
            .map_err(|_| Error::Internal("the stored secret key is damaged".into()))
    }

    /// The keyed hash of a secret, as hex.
    pub fn hash(&self, secret: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(secret.as_bytes());
        portti_core::id::hex(&mac.finalize().into_bytes())
    }

    /// Whether `secret` hashes to `stored`, compared in constant time.
    pub fn verify(&self, secret: &str, stored: &str) -> bool {
        self.hash(secret).as_bytes().ct_eq(stored.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_url_safe_and_hashes_verify() {
        let s = random_secret();
        assert_eq!(s.len(), 43);
        assert!(s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        let key = SecretKey(b"k".to_vec());
        let h = key.hash(&s);
        assert!(key.verify(&s, &h));
        assert!(!key.verify("other", &h));
        assert!(!SecretKey(b"k2".to_vec()).verify(&s, &h));
    }
}
