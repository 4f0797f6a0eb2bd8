//! Portti's operations, written once against the [`Store`] trait: every rule of the
//! directory and every authorisation decision lives here, none in the dialects.

mod access;
mod accounts;
mod caller;
mod clients;
mod facets;
mod groups;
mod invites;
mod jwt;
mod messaging;
mod migration;
mod namespaces;
mod outbox;
mod password;
mod passwords;
mod phone;
mod present;
mod records;
mod secrets;
mod signin;
mod strongid;
mod templates;
mod tokens;
mod transfer;
mod users;
mod verification;

pub use access::{Grants, RoleChanges};
pub use accounts::{
    Account, AccountChanges, AccountPage, AccountRole, AccountSearch, Membership, MembershipChange,
};
pub use caller::Caller;
pub use clients::NewClient;
pub use invites::{
    InvitePage, InviteRequest, InviteState, InviteSummary, Registration, RegistrationOutcome, INVITE_DAYS,
};
pub use messaging::sms_regions;
pub use password::HashCost;
pub use phone::{e164, same_number};
pub use portti_core as core;
pub use portti_store::{OutboxFilter, PoolStats, Store};
pub use records::{GroupEdit, GroupRecord, Member, MemberKind, UserEdit, UserRecord};
pub use tokens::{OAuthError, TokenResponse, TokenSettings, SCOPES};
pub use transfer::{BatchReport, Export, Import, ImportReader, LineError, ReadBatch};
pub use verification::{LinkOutcome, LinkRequest, SMS_CODE_MINUTES};

use portti_core::filter::Filter;
use portti_core::model;
use portti_core::page::PageRequest;
use portti_core::{Error, Result};
use portti_store::{Query, Tx};
use std::sync::Arc;

/// The code of the namespace every fresh directory has.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Settings of the service layer.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Password hashing cost.
    pub hash_cost: HashCost,
    /// Token issuer and lifetimes.
    pub tokens: TokenSettings,
}

/// The directory service: the operations every dialect and the CLI call.
pub struct Directory {
    store: Arc<dyn Store>,
    hasher: password::Hasher,
    secret_key: secrets::SecretKey,
    signer: jwt::Signer,
    tokens: TokenSettings,
    /// A hash of nothing, verified when a sign-in has no real hash, to take the same time.
    dummy_hash: String,
}

/// What a request that only reads reads with, from its authentication to its answer: one
/// read transaction, opened at its first read, so that it opens one transaction, not two
/// (see `Directory::reading`). On a store that answers single-row lookups together
/// (PostgreSQL), the caller's client and a user by id are looked up instead, and a request
/// that reads nothing else opens no transaction at all.
pub struct Reading {
    store: Arc<dyn Store>,
    tx: Option<Box<dyn Tx>>,
}

impl Reading {
    /// The read transaction, opened if it is not yet.
    pub(crate) async fn tx(&mut self) -> Result<&mut dyn Tx> {
        let tx = match self.tx.take() {
            Some(tx) => tx,
            None => self.store.read().await?,
        };
        Ok(self.tx.insert(tx).as_mut())
    }

    /// Whether a row is better looked up than read in the transaction.
    fn looks_up(&self) -> bool {
        self.tx.is_none() && self.store.batches_lookups()
    }

    /// A management client and its secret's hash, by id.
    pub(crate) async fn client(&mut self, id: &str) -> Result<Option<(model::ManagementClient, String)>> {
        if self.looks_up() {
            return self.store.lookup_client(id).await;
        }
        self.tx().await?.client(id).await
    }

    /// A user (not hidden) by id.
    pub(crate) async fn user(&mut self, id: &str) -> Result<Option<model::User>> {
        if self.looks_up() {
            return self.store.lookup_user(id).await;
        }
        self.tx().await?.user(id).await
    }
}

/// A list request as the dialects pass it: the raw filter text and the page.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    /// The filter expression, unparsed.
    pub filter: Option<String>,
    /// A filter already parsed (and translated) by the dialect; wins over `filter`.
    pub parsed: Option<Filter>,
    /// How the filter compares text.
    pub text_case: portti_core::filter::TextCase,
    /// Offset, size and order.
    pub page: PageRequest,
}

impl Directory {
    /// Prepare the directory on `store`: make sure the `default` namespace and the
    /// installation's secret key exist.
    pub async fn open(store: Arc<dyn Store>, config: Config) -> Result<Self> {
        let secret_key = secrets::SecretKey::load_or_create(store.as_ref()).await?;
        let signer = jwt::Signer::load_or_create(store.as_ref()).await?;
        let hasher = password::Hasher::new(config.hash_cost)?;
        let dummy_hash = hasher.hash(secrets::random_secret()).await?;
        let dir = Directory { store, hasher, secret_key, signer, tokens: config.tokens, dummy_hash };
        dir.ensure_default_namespace().await?;
        Ok(dir)
    }

    /// The store underneath (for health checks and metrics).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    async fn write(&self) -> Result<Box<dyn Tx>> {
        self.store.write().await
    }

    async fn read(&self) -> Result<Box<dyn Tx>> {
        self.store.read().await
    }

    /// Begin a [`Reading`].
    pub async fn reading(&self) -> Result<Reading> {
        Ok(Reading { store: self.store.clone(), tx: None })
    }
}

/// Parse a list request into a store query limited to what `caller` may see.
fn query(caller: &Caller, req: ListRequest) -> Result<Query> {
    let filter = match (req.parsed, req.filter.as_deref().map(str::trim)) {
        (Some(f), _) => Some(f),
        (None, None | Some("")) => None,
        (None, Some(text)) => Some(parse_filter(text)?),
    };
    Ok(Query { filter, scope: caller.scope(), page: req.page, text_case: req.text_case })
}

fn parse_filter(text: &str) -> Result<Filter> {
    portti_core::filter::parse(text).map_err(|e| Error::bad(e.to_string()))
}

/// Run `f` in a write transaction and commit when it succeeds.
macro_rules! in_write {
    ($dir:expr, |$tx:ident| $body:expr) => {{
        let mut $tx = $dir.write().await?;
        let out = $body;
        $tx.commit().await?;
        out
    }};
}
pub(crate) use in_write;
