//! Management clients: creation, bootstrap, listing, deletion and authentication.

use crate::secrets::random_secret;
use crate::{Caller, Directory, Reading};
use portti_core::model::ManagementClient;
use portti_core::permission::Permission;
use portti_core::{id, time, Error, Result};

/// What a new client may do.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    /// A name for operators.
    pub name: String,
    /// Namespace codes; empty means every namespace.
    pub namespaces: Vec<String>,
    /// Permissions; empty means every permission.
    pub permissions: Vec<Permission>,
    /// Where requests naming no namespace go.
    pub default_namespace: Option<String>,
}

impl Directory {
    /// Create a client; returns it with its secret, which is never shown again.
    pub async fn create_client(&self, new: NewClient) -> Result<(ManagementClient, String)> {
        let client = self.build_client(id::new_id(), new).await?;
        let secret = random_secret();
        let mut tx = self.write().await?;
        tx.insert_client(&client, &self.secret_key.hash(&secret)).await?;
        tx.commit().await?;
        Ok((client, secret))
    }

    async fn build_client(&self, id: String, new: NewClient) -> Result<ManagementClient> {
        let name = new.name.trim().to_string();
        if name.is_empty() {
            return Err(Error::bad("a client needs a name"));
        }
        let mut tx = self.read().await?;
        for code in new.namespaces.iter().chain(new.default_namespace.iter()) {
            if tx.namespace(code).await?.filter(|ns| &ns.code == code).is_none() {
                return Err(Error::bad(format!("namespace {code} does not exist")));
            }
        }
        let namespaces = (!new.namespaces.is_empty()).then_some(new.namespaces);
        let default_namespace = match (new.default_namespace, &namespaces) {
            (Some(d), Some(list)) if !list.contains(&d) => {
                return Err(Error::bad(format!(
                    "default namespace {d} is not one of the client's namespaces"
                )))
            }
            (Some(d), _) => d,
            (None, Some(list)) => list[0].clone(),
            (None, None) => crate::DEFAULT_NAMESPACE.to_string(),
        };
        let permissions = if new.permissions.is_empty() { Permission::ALL.to_vec() } else { new.permissions };
        Ok(ManagementClient {
            id,
            name,
            permissions,
            namespaces,
            default_namespace: Some(default_namespace),
            created: time::format_ms(time::now_ms()),
        })
    }

    /// Every client, oldest first.
    pub async fn list_clients(&self) -> Result<Vec<ManagementClient>> {
        self.read().await?.clients().await
    }

    /// Delete a client.
    pub async fn delete_client(&self, id: &str) -> Result<()> {
        let mut tx = self.write().await?;
        if !tx.delete_client(id).await? {
            return Err(Error::not_found("client", id));
        }
        tx.commit().await
    }

    /// Make sure a client with this id and secret exists with every permission on every
    /// namespace (idempotent; the secret is rotated to the given one).
    pub async fn bootstrap_client(&self, id: &str, secret: &str) -> Result<()> {
        if id.is_empty() || id.contains(':') || secret.is_empty() {
            return Err(Error::bad(
                "the bootstrap client id must be non-empty without ':', and the secret non-empty",
            ));
        }
        // Two nodes may bootstrap at once: the loser of the insert race updates instead.
        for _ in 0..2 {
            match self.upsert_bootstrap(id, secret).await {
                Err(Error::Conflict(_)) => continue,
                other => return other,
            }
        }
        self.upsert_bootstrap(id, secret).await
    }

    async fn upsert_bootstrap(&self, id: &str, secret: &str) -> Result<()> {
        let new = NewClient { name: "bootstrap".into(), ..Default::default() };
        let mut client = self.build_client(id.to_string(), new).await?;
        let hash = self.secret_key.hash(secret);
        let mut tx = self.write().await?;
        match tx.client(id).await? {
            Some((existing, _)) => {
                client.created = existing.created;
                client.name = existing.name;
                tx.update_client(&client, Some(&hash)).await?;
            }
            None => tx.insert_client(&client, &hash).await?,
        }
        tx.commit().await
    }

    /// On a directory with no client at all, create one with every permission and return
    /// its credentials (to be shown once); otherwise `None`.
    pub async fn first_client(&self) -> Result<Option<(ManagementClient, String)>> {
        if !self.read().await?.clients().await?.is_empty() {
            return Ok(None);
        }
        let new = NewClient { name: "initial administrator".into(), ..Default::default() };
        self.create_client(new).await.map(Some)
    }

    /// The caller these Basic credentials belong to; 401 for anything wrong. The client is
    /// read as a [`Reading`] reads it (looked up, on a store that batches lookups).
    pub async fn authenticate_client(&self, id: &str, secret: &str) -> Result<Caller> {
        self.authenticate_client_in(&mut self.reading().await?, id, secret).await
    }

    /// [`Directory::authenticate_client`], reading in `reading`.
    pub async fn authenticate_client_in(
        &self,
        reading: &mut Reading,
        id: &str,
        secret: &str,
    ) -> Result<Caller> {
        self.check_client(reading.client(id).await?, secret)
    }

    /// The caller `found` (a client and its secret's hash) stands for, if `secret` is its secret.
    fn check_client(&self, found: Option<(ManagementClient, String)>, secret: &str) -> Result<Caller> {
        let (client, hash) = match found {
            Some(found) => found,
            None => {
                let _ = self.secret_key.verify(secret, "");
                return Err(bad_credentials());
            }
        };
        if self.secret_key.verify(secret, &hash) {
            Ok(Caller::client(&client))
        } else {
            Err(bad_credentials())
        }
    }
}

fn bad_credentials() -> Error {
    Error::Unauthorized("invalid client credentials".into())
}
