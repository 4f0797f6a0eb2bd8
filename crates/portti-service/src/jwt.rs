//! Signed tokens: ES256 JWTs under a key kept in the store, so every node signs and
//! verifies with the same key, published as a JWK set.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use portti_core::{Error, Result};
use portti_store::Store;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, UnparsedPublicKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const KEY_SETTING: &str = "jwt_signing_key";

/// Signs and verifies the installation's tokens.
pub struct Signer {
    key: EcdsaKeyPair,
    kid: String,
    rng: SystemRandom,
}

impl Signer {
    /// The installation's signing key, created on first start (the first node to store one wins).
    pub async fn load_or_create(store: &dyn Store) -> Result<Self> {
        let rng = SystemRandom::new();
        let stored = store.read().await?.setting(KEY_SETTING).await?;
        let encoded = match stored {
            Some(k) => k,
            None => {
                let fresh = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| Error::Internal("cannot generate a signing key".into()))?;
                let mut tx = store.write().await?;
                let k = tx.setting_or_insert(KEY_SETTING, &URL_SAFE_NO_PAD.encode(fresh.as_ref())).await?;
                tx.commit().await?;
                k
            }
        };
        Self::from_pkcs8(&encoded, rng)
    }

    fn from_pkcs8(encoded: &str, rng: SystemRandom) -> Result<Self> {
        let damaged = || Error::Internal("the stored signing key is damaged".into());
        let der = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| damaged())?;
        let key = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng)
            .map_err(|_| damaged())?;
        let kid = portti_core::id::hex(&Sha256::digest(key.public_key().as_ref())[..8]);
        Ok(Signer { key, kid, rng })
    }

    /// A compact JWS of `claims`.
    pub fn sign(&self, claims: &Value) -> Result<String> {
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": self.kid});
        let input = format!("{}.{}", b64(&header), b64(claims));
        let sig = self
            .key
            .sign(&self.rng, input.as_bytes())
            .map_err(|_| Error::Internal("signing failed".into()))?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref())))
    }

    /// The claims of a token this installation signed; `None` for anything else
    /// (malformed, another key, a bad signature). Expiry is the caller's to check.
    pub fn verify(&self, token: &str) -> Option<Value> {
        let mut parts = token.split('.');
        let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
        if header["alg"] != "ES256" || header["kid"] != self.kid.as_str() {
            return None;
        }
        let sig = URL_SAFE_NO_PAD.decode(s).ok()?;
        let public =
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, self.key.public_key().as_ref());
        public.verify(format!("{h}.{c}").as_bytes(), &sig).ok()?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(c).ok()?).ok()
    }

    /// The public key as a JWK set (`jwks_uri`).
    pub fn jwks(&self) -> Value {
        let point = self.key.public_key().as_ref();
        json!({"keys": [{
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        }]})
    }
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> Signer {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        Signer::from_pkcs8(&URL_SAFE_NO_PAD.encode(doc.as_ref()), rng).unwrap()
    }

    #[test]
    fn signed_tokens_verify_and_tampered_or_foreign_ones_do_not() {
        let (a, b) = (signer(), signer());
        let token = a.sign(&json!({"sub": "x", "exp": 1})).unwrap();
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(a.verify(&token).unwrap()["sub"], "x");
        assert!(b.verify(&token).is_none(), "another key's token was accepted");
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        parts[1] = b64(&json!({"sub": "admin", "exp": 1}));
        assert!(a.verify(&parts.join(".")).is_none(), "a tampered token was accepted");
        assert!(a.verify("a.b").is_none() && a.verify("").is_none());
        assert_eq!(a.jwks()["keys"][0]["kty"], "EC");
    }
}
