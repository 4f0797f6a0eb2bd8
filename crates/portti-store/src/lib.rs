//! Portti's persistence: one async [`Store`] trait, implemented over sqlx for SQLite
//! (the embedded default) and PostgreSQL (several nodes on one database). Filters compile from the core's AST to parameterised SQL per backend.

mod copy;
mod postgres;
mod rows;
mod sql;
mod sqlite;

use async_trait::async_trait;
use portti_core::filter::{Filter, TextCase};
use portti_core::model::{
    ApiToken, Channel, CustomRole, EmailTemplate, Group, Invite, ManagementClient, Namespace, OidcClient,
    OutboxMessage, RefreshGrant, StrongIdentification, User, UserFacets, Verification, VerificationKind,
};
use portti_core::page::{Page, PageRequest};
use portti_core::Result;
use std::sync::Arc;

pub use copy::{copy_directory, CopyReport, TABLES};
pub use postgres::PgStore;
pub use sql::conn::Cell;
pub use sqlite::SqliteStore;

/// Which namespaces a query may see.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// Every namespace.
    All,
    /// Only these namespace codes.
    Namespaces(Vec<String>),
}

/// A list query: filter, namespace scope and page.
#[derive(Debug, Clone)]
pub struct Query {
    /// Parsed filter, if any.
    pub filter: Option<Filter>,
    /// Namespaces the caller may see.
    pub scope: Scope,
    /// Offset, size and order.
    pub page: PageRequest,
    /// How text compares.
    pub text_case: TextCase,
}

/// Connection-pool figures for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolStats {
    /// Open connections.
    pub size: u32,
    /// Idle connections.
    pub idle: u32,
}

/// Which outbox messages to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutboxFilter {
    /// Only this channel.
    pub channel: Option<Channel>,
    /// Only messages to this recipient (compared case-insensitively).
    pub recipient: Option<String>,
}

/// A delivery worker asking for due messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// Who claims (unique per running node).
    pub node: String,
    /// Only messages of these channels (the ones the node has a gateway for).
    pub channels: Vec<Channel>,
    /// The current instant (epoch ms): pending messages due by then, and claims expired by then.
    pub now_ms: i64,
    /// Until when the claim holds (epoch ms); after it another node may take the message.
    pub until_ms: i64,
    /// At most this many messages.
    pub limit: u32,
}

/// How one claimed delivery ended.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryOutcome {
    /// The gateway accepted the message at this instant (epoch ms).
    Sent {
        /// When.
        at_ms: i64,
    },
    /// It failed for now; try again at `at_ms`.
    Retry {
        /// The next attempt (epoch ms).
        at_ms: i64,
        /// Why it failed.
        error: String,
    },
    /// It failed for good.
    Failed {
        /// Why.
        error: String,
    },
}

/// The resources that carry a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revised {
    /// A user.
    User,
    /// A group.
    Group,
}

/// A directory store: hands out transactions.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A read-only transaction (a consistent snapshot).
    async fn read(&self) -> Result<Box<dyn Tx>>;
    /// A read-write transaction; nothing is visible to others until it commits.
    async fn write(&self) -> Result<Box<dyn Tx>>;
    /// Add one user in a durable transaction of its own, as far as the caller can tell: a
    /// store may write concurrent calls together (one statement and one commit for many),
    /// but a call fails only for its own user's fault (409 when its username or id is taken).
    async fn insert_one_user(&self, user: WholeUser) -> Result<()> {
        let mut tx = self.write().await?;
        tx.insert_users(vec![user]).await?;
        tx.commit().await
    }
    /// A management client and its secret hash, by id, read outside any transaction from a
    /// snapshot taken after the call (a store may answer concurrent lookups together).
    async fn lookup_client(&self, id: &str) -> Result<Option<(ManagementClient, String)>> {
        self.read().await?.client(id).await
    }
    /// A namespace by id or, failing that, by code, read as [`Store::lookup_client`] reads.
    async fn lookup_namespace(&self, id_or_code: &str) -> Result<Option<Namespace>> {
        self.read().await?.namespace(id_or_code).await
    }
    /// A user (not hidden) by id, read as [`Store::lookup_client`] reads.
    async fn lookup_user(&self, id: &str) -> Result<Option<User>> {
        self.read().await?.user(id).await
    }
    /// Whether single-row lookups ([`Store::lookup_client`], [`Store::lookup_user`]) cost
    /// less than reading the same rows in a read transaction the request opens anyway: where
    /// concurrent lookups are answered together (PostgreSQL), not where a read transaction
    /// costs next to nothing (SQLite).
    fn batches_lookups(&self) -> bool {
        false
    }
    /// How many bulk-import transactions are best written at once: one where writes are
    /// serialised anyway (SQLite), more where the database writes in parallel.
    fn bulk_writers(&self) -> usize {
        1
    }
    /// Whether the store answers.
    async fn ping(&self) -> Result<()>;
    /// Pool figures.
    fn stats(&self) -> PoolStats;
    /// Close every connection (at shutdown).
    async fn close(&self);
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}

/// One transaction over the directory. Dropping it without [`Tx::commit`] rolls it back.
#[async_trait]
pub trait Tx: Send {
    /// Make every change durable.
    async fn commit(self: Box<Self>) -> Result<()>;

    /// A server setting.
    async fn setting(&mut self, key: &str) -> Result<Option<String>>;
    /// Set a server setting.
    async fn put_setting(&mut self, key: &str, value: &str) -> Result<()>;
    /// The setting, first setting it to `value` unless it exists (also when another
    /// transaction sets it concurrently: the first one wins everywhere).
    async fn setting_or_insert(&mut self, key: &str, value: &str) -> Result<String>;

    /// Add a namespace (409 on a duplicate code).
    async fn insert_namespace(&mut self, ns: &Namespace) -> Result<()>;
    /// Replace a namespace's stored state.
    async fn update_namespace(&mut self, ns: &Namespace) -> Result<()>;
    /// Remove a namespace (409 while users or groups remain).
    async fn delete_namespace(&mut self, id: &str) -> Result<()>;
    /// A namespace by id or, failing that, by code.
    async fn namespace(&mut self, id_or_code: &str) -> Result<Option<Namespace>>;
    /// A page of namespaces.
    async fn find_namespaces(&mut self, query: &Query) -> Result<Page<Namespace>>;
    /// Users and groups in the namespace.
    async fn namespace_usage(&mut self, code: &str) -> Result<(u64, u64)>;

    /// Add a group, with its parents (409 on a duplicate name in the namespace).
    async fn insert_group(&mut self, group: &Group) -> Result<()>;
    /// Add a group without parents unless one with its name exists in its namespace
    /// (also when another transaction adds it concurrently); the group that exists after.
    async fn ensure_group(&mut self, group: &Group) -> Result<Group>;
    /// Replace a group's stored state and parents.
    async fn update_group(&mut self, group: &Group) -> Result<()>;
    /// Remove every group of a namespace (and their memberships).
    async fn delete_groups_of(&mut self, ns_code: &str) -> Result<()>;
    /// Remove a group and every membership in it.
    async fn delete_group(&mut self, id: &str) -> Result<()>;
    /// A group by id.
    async fn group(&mut self, id: &str) -> Result<Option<Group>>;
    /// A group by exact name within a namespace.
    async fn group_by_name(&mut self, ns_code: &str, name: &str) -> Result<Option<Group>>;
    /// A page of groups.
    async fn find_groups(&mut self, query: &Query) -> Result<Page<Group>>;
    /// Every group nested under `id`, transitively, without `id` itself.
    async fn group_descendants(&mut self, id: &str) -> Result<Vec<Group>>;

    /// Lock a user or group for a read-modify-write in this transaction (others wait) and
    /// check its revision; false when it is not there, or `expected` is given and differs.
    async fn lock_revision(&mut self, kind: Revised, id: &str, expected: Option<i64>) -> Result<bool>;

    /// Add a user with its memberships (409 on a duplicate username in the namespace).
    async fn insert_user(&mut self, user: &User, password_hash: Option<&str>) -> Result<()>;
    /// Replace a user's stored state and memberships.
    async fn update_user(&mut self, user: &User) -> Result<()>;
    /// Remove a user.
    async fn delete_user(&mut self, id: &str) -> Result<()>;
    /// A user by id.
    async fn user(&mut self, id: &str) -> Result<Option<User>>;
    /// A page of users.
    async fn find_users(&mut self, query: &Query) -> Result<Page<User>>;
    /// Whether the username (case-insensitively) is taken in the namespace.
    async fn username_taken(&mut self, ns_code: &str, username: &str) -> Result<bool>;

    /// What is kept beside a user's profile.
    async fn facets(&mut self, user_id: &str) -> Result<UserFacets>;
    /// Replace what is kept beside a user's profile.
    async fn put_facets(&mut self, user_id: &str, facets: &UserFacets) -> Result<()>;
    /// The user's password hash (PHC string), if it has a password.
    async fn password_hash(&mut self, user_id: &str) -> Result<Option<String>>;
    /// Set or clear the user's password hash.
    async fn set_password_hash(&mut self, user_id: &str, hash: Option<&str>) -> Result<()>;
    /// Hide a (soft-deleted) user from reads and lists; its username stays taken.
    async fn hide_user(&mut self, id: &str) -> Result<()>;
    /// Give a user's strong-identification history to another user id.
    async fn move_history(&mut self, from: &str, to: &str) -> Result<()>;

    /// Add a custom role (409 on a duplicate name in the namespace).
    async fn insert_role(&mut self, role: &CustomRole) -> Result<()>;
    /// Replace a custom role.
    async fn update_role(&mut self, role: &CustomRole) -> Result<()>;
    /// Remove a custom role.
    async fn delete_role(&mut self, id: &str) -> Result<()>;
    /// A custom role by id.
    async fn role(&mut self, id: &str) -> Result<Option<CustomRole>>;
    /// A page of custom roles.
    async fn find_roles(&mut self, query: &Query) -> Result<Page<CustomRole>>;
    /// The custom roles given to members of any of these groups.
    async fn roles_of_groups(&mut self, group_ids: &[String]) -> Result<Vec<CustomRole>>;

    /// Append a strong-identification history entry (its `id` and `time` set).
    async fn insert_strong_id(&mut self, user_id: &str, entry: &StrongIdentification) -> Result<()>;
    /// A page of a user's strong-identification history.
    async fn find_strong_ids(&mut self, user_id: &str, query: &Query) -> Result<Page<StrongIdentification>>;
    /// One history entry of a user.
    async fn strong_id(&mut self, user_id: &str, entry_id: &str) -> Result<Option<StrongIdentification>>;

    /// Add a management client with its secret's keyed hash.
    async fn insert_client(&mut self, client: &ManagementClient, secret_hash: &str) -> Result<()>;
    /// Replace a client's grants, and its secret hash when given.
    async fn update_client(&mut self, client: &ManagementClient, secret_hash: Option<&str>) -> Result<()>;
    /// Remove a client; false when there was none.
    async fn delete_client(&mut self, id: &str) -> Result<bool>;
    /// A client and its secret hash.
    async fn client(&mut self, id: &str) -> Result<Option<(ManagementClient, String)>>;
    /// Every client, oldest first.
    async fn clients(&mut self) -> Result<Vec<ManagementClient>>;

    /// Users with this username (case-insensitively), in one namespace or in all.
    async fn users_by_username(&mut self, username: &str, ns_code: Option<&str>) -> Result<Vec<User>>;

    /// Add an OIDC client with its secret's keyed hash.
    async fn insert_oidc_client(&mut self, client: &OidcClient, secret_hash: &str) -> Result<()>;
    /// An OIDC client and its secret hash.
    async fn oidc_client(&mut self, id: &str) -> Result<Option<(OidcClient, String)>>;
    /// Every OIDC client, oldest first.
    async fn oidc_clients(&mut self) -> Result<Vec<OidcClient>>;
    /// Remove an OIDC client; false when there was none.
    async fn delete_oidc_client(&mut self, id: &str) -> Result<bool>;

    /// Record a long-lived API token.
    async fn insert_api_token(&mut self, token: &ApiToken) -> Result<()>;
    /// An API token by id.
    async fn api_token(&mut self, id: &str) -> Result<Option<ApiToken>>;
    /// A client's API tokens, oldest first.
    async fn api_tokens(&mut self, client_id: &str) -> Result<Vec<ApiToken>>;
    /// Revoke an API token; false when there was none.
    async fn revoke_api_token(&mut self, id: &str) -> Result<bool>;

    /// Record a refresh token by its hash.
    async fn insert_refresh(&mut self, hash: &str, grant: &RefreshGrant) -> Result<()>;
    /// Use up a refresh token: remove it and return what it granted.
    async fn take_refresh(&mut self, hash: &str) -> Result<Option<RefreshGrant>>;

    /// Put a message in the outbox; it is delivered once this transaction commits.
    async fn enqueue_message(&mut self, msg: &OutboxMessage) -> Result<()>;
    /// Outbox messages in the order they were written (newest last).
    async fn outbox_messages(&mut self, filter: &OutboxFilter) -> Result<Vec<OutboxMessage>>;
    /// How many messages wait for delivery (pending or being sent).
    async fn outbox_backlog(&mut self) -> Result<u64>;
    /// Claim due messages for delivery: pending ones whose time has come and ones whose
    /// claim expired. Each is marked `sending` for `claim.node` and its attempt counted.
    /// Commit before delivering: other nodes then skip them (rows locked by a concurrent
    /// claim are skipped too, never waited for).
    async fn claim_messages(&mut self, claim: &Claim) -> Result<Vec<OutboxMessage>>;
    /// Record how a delivery that `node` claimed ended; false when the node no longer
    /// holds the claim (it expired and another node took the message).
    async fn record_delivery(&mut self, id: &str, node: &str, outcome: &DeliveryOutcome) -> Result<bool>;

    /// Record a verification secret sent to a user (by its hash).
    async fn insert_verification(&mut self, v: &Verification) -> Result<()>;
    /// The verification whose secret hashes to `hash`.
    async fn verification_by_hash(&mut self, hash: &str) -> Result<Option<Verification>>;
    /// A user's unused, unexpired verifications of one kind, newest first.
    async fn pending_verifications(
        &mut self,
        user_id: &str,
        kind: VerificationKind,
        now_ms: i64,
    ) -> Result<Vec<Verification>>;
    /// Mark a verification used at `at_ms`; false when it was used already (by a concurrent request).
    async fn spend_verification(&mut self, id: &str, at_ms: i64) -> Result<bool>;
    /// Forget the user's verifications that expired or were used before `forget_before_ms`
    /// and, when `unused_of` names a kind, the user's unused verifications of that kind (a
    /// new one replaces them).
    async fn discard_verifications(
        &mut self,
        user_id: &str,
        unused_of: Option<VerificationKind>,
        forget_before_ms: i64,
    ) -> Result<()>;
    /// Count an SMS verification attempt (a code sent or checked) of a user, forgetting the
    /// user's attempts older than `forget_before_ms`.
    async fn record_verification_attempt(
        &mut self,
        user_id: &str,
        at_ms: i64,
        forget_before_ms: i64,
    ) -> Result<()>;
    /// A user's SMS verification attempts since `since_ms`.
    async fn verification_attempts(&mut self, user_id: &str, since_ms: i64) -> Result<u64>;

    /// Record an invitation (by its token's hash).
    async fn insert_invite(&mut self, invite: &Invite) -> Result<()>;
    /// The invitation whose token hashes to `hash`.
    async fn invite_by_hash(&mut self, hash: &str) -> Result<Option<Invite>>;
    /// Mark an invitation used by the user it created; false when it was used already.
    async fn spend_invite(&mut self, id: &str, user_id: &str, at_ms: i64) -> Result<bool>;

    /// Add an email template with the namespaces it is visible in.
    async fn insert_email_template(&mut self, template: &EmailTemplate) -> Result<()>;
    /// Replace an email template and its namespaces.
    async fn update_email_template(&mut self, template: &EmailTemplate) -> Result<()>;
    /// Remove an email template; false when there was none.
    async fn delete_email_template(&mut self, id: &str) -> Result<bool>;
    /// An email template by id.
    async fn email_template(&mut self, id: &str) -> Result<Option<EmailTemplate>>;
    /// A page of email templates (the query's scope is not used); with `namespace_ids`,
    /// only templates visible in at least one of those namespaces (by id).
    async fn find_email_templates(
        &mut self,
        query: &Query,
        namespace_ids: Option<&[String]>,
    ) -> Result<Page<EmailTemplate>>;
    /// Every (not hidden) user who is a member of any of these groups, once, oldest first.
    async fn group_members(&mut self, group_ids: &[String]) -> Result<Vec<User>>;

    /// Rows in one of the [`TABLES`].
    async fn row_count(&mut self, table: &str) -> Result<u64>;
    /// A slice of one table's raw rows, in key order (for copying between stores).
    async fn dump(&mut self, table: &str, offset: u64, limit: u64) -> Result<Vec<Vec<Cell>>>;
    /// Insert raw rows produced by [`Tx::dump`] of the same table.
    async fn load(&mut self, table: &str, rows: &[Vec<Cell>]) -> Result<()>;

    // Bulk transfer of whole users (`portti import`, `portti export`).

    /// Add users with everything kept beside them, in few multi-row statements: the rows
    /// [`Tx::insert_user`], [`Tx::put_facets`] and [`Tx::insert_strong_id`] would write (a
    /// new revision of 1); each group gaining members has its revision raised once. Any
    /// conflict (a taken id or username) fails the whole call.
    async fn insert_users(&mut self, users: Vec<WholeUser>) -> Result<()>;
    /// `(id, namespace code)` of each of these user ids that exists, hidden users included.
    async fn user_namespaces(&mut self, ids: &[String]) -> Result<Vec<(String, String)>>;
    /// Which of these lowercased usernames are taken in the namespace.
    async fn taken_usernames(&mut self, ns_code: &str, lowered: &[String]) -> Result<Vec<String>>;
    /// After bulk inserts: bring the planner's statistics up to date where the backend does
    /// not on its own (PostgreSQL's `ANALYZE`; nothing on SQLite).
    async fn refresh_statistics(&mut self) -> Result<()>;
    /// Up to `limit` whole users of a namespace, hidden ones included, in the order of
    /// their lowercased usernames (which the namespace's unique index keeps), after `after`.
    async fn whole_users(&mut self, ns_code: &str, after: Option<&str>, limit: u32)
        -> Result<Vec<WholeUser>>;
}

/// Open the store a database URL names (`sqlite://…`), running its migrations.
pub async fn open(url: &str, options: &OpenOptions) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        return Ok(Arc::new(SqliteStore::open(url, options).await?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PgStore::open(url, options).await?));
    }
    Err(portti_core::Error::bad(format!(
        "unsupported database URL '{}': use sqlite://PATH or postgres://USER@HOST/DB",
        url.split(':').next().unwrap_or_default()
    )))
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Apply pending migrations (otherwise refuse an outdated schema).
    pub migrate: bool,
    /// Most connections for reading.
    pub max_connections: u32,
    /// Tuned for writing many rows (`portti import`, `portti migrate-store`): SQLite
    /// keeps a page cache of 512 MiB, so that the indexes of a million users are updated
    /// in memory, and checkpoints its WAL every 256 MiB rather than every 4 MiB.
    pub bulk_load: bool,
}

impl OpenOptions {
    /// The options of a process that writes many rows and little else.
    pub fn bulk_load() -> Self {
        OpenOptions { bulk_load: true, ..Default::default() }
    }
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { migrate: true, max_connections: 8, bulk_load: false }
    }
}

/// A user with everything kept beside its profile, as `portti export` reads it and
/// `portti import` writes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WholeUser {
    /// The profile; `memberOf` holds group ids.
    pub user: User,
    /// What is kept beside it.
    pub facets: UserFacets,
    /// The password hash (a PHC string or an imported form), if it has a password.
    pub password_hash: Option<String>,
    /// Soft-deleted and hidden from reads and lists.
    pub hidden: bool,
    /// The strong-identification history, oldest first, each entry with its `id` and `time`.
    pub history: Vec<StrongIdentification>,
}
