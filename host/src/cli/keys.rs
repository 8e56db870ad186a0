//! `baton keys create | revoke | list`: the host-side face of the key rules the API shares
//! (`store::keys::create`, `list`, `revoke`); only here can an operator key be made.

use crate::store::keys::{self, Authority, CreateKey, KeyError, Tenants};
use crate::store::{self, KeyRole};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Key commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a key and print it once (only its hash is stored).
    Create {
        /// The tenant the key belongs to.
        #[arg(
            long,
            required_unless_present = "operator",
            conflicts_with = "operator"
        )]
        tenant: Option<String>,
        /// What the key may do.
        #[arg(
            long,
            value_enum,
            required_unless_present = "operator",
            conflicts_with = "operator"
        )]
        role: Option<KeyRole>,
        /// The agent an agent key belongs to.
        #[arg(long)]
        agent: Option<String>,
        /// Create an operator key (host-wide status and every tenant's keys; no tenant data).
        #[arg(long)]
        operator: bool,
        /// Make the key stop working after this long: seconds, or a number with `s`, `m`,
        /// `h` or `d` (`90d`); at most ten years. Default: it works until revoked.
        #[arg(long, value_parser = parse_expires_in)]
        expires_in: Option<u64>,
        /// The policies folder: an agent key's agent must be on the roster of the tenant's
        /// file there.
        #[arg(long, env = "BATON_POLICIES", default_value_os_t = super::default_policies())]
        policies: PathBuf,
        /// The data folder (or database URL).
        #[arg(long, env = "BATON_DATA", default_value = super::DEFAULT_DATA)]
        data: String,
    },
    /// Revoke a key by its id.
    Revoke {
        /// The key's id (the part after `bk_` up to the next `_`).
        id: String,
        /// The data folder (or database URL).
        #[arg(long, env = "BATON_DATA", default_value = super::DEFAULT_DATA)]
        data: String,
    },
    /// List keys (never their secrets).
    List {
        /// Only this tenant's.
        #[arg(long)]
        tenant: Option<String>,
        /// The data folder (or database URL).
        #[arg(long, env = "BATON_DATA", default_value = super::DEFAULT_DATA)]
        data: String,
    },
}

/// Run a key command.
pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    let now = jiff::Timestamp::now().as_millisecond();
    match cmd {
        Command::Create {
            tenant,
            role,
            agent,
            operator,
            expires_in,
            policies,
            data,
        } => {
            let req = CreateKey {
                role: if operator {
                    KeyRole::Operator
                } else {
                    role.unwrap_or(KeyRole::Channel)
                },
                tenant,
                agent_id: agent,
                expires_in_secs: expires_in,
            };
            // Refuse a bad request before touching (or creating) the store.
            keys::check(Authority::Host, &req).map_err(flag_error)?;
            let store = store::open(&data).await?;
            let made = keys::create(
                store.as_ref(),
                Authority::Host,
                &Folder(&policies),
                req,
                now,
            )
            .await
            .map_err(flag_error)?;
            eprintln!(
                "created key {} ({}{}); it is shown only now:",
                made.row.id,
                made.row.role.as_str(),
                made.row
                    .expires_ms
                    .map(|ms| format!(", expires {}", when(ms)))
                    .unwrap_or_default()
            );
            println!("{}", made.secret);
            Ok(ExitCode::SUCCESS)
        }
        Command::Revoke { id, data } => {
            let store = store::open(&data).await?;
            match keys::revoke(store.as_ref(), Authority::Host, &id, now).await {
                Ok(_) => {
                    eprintln!("revoked key {id}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(KeyError::NotFound(_)) => {
                    eprintln!("error: no live key with id `{id}`");
                    Ok(ExitCode::FAILURE)
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::List { tenant, data } => {
            let store = store::open(&data).await?;
            for k in keys::list(store.as_ref(), Authority::Host, tenant.as_deref()).await? {
                println!(
                    "{}  {:<8} tenant={:<20} agent={:<12} {:<7} expires={}",
                    k.id,
                    k.role.as_str(),
                    k.tenant.as_deref().unwrap_or("-"),
                    k.agent_id.as_deref().unwrap_or("-"),
                    k.state(now).as_str(),
                    k.expires_ms.map(when).unwrap_or_else(|| "never".into()),
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A time in ms since the epoch, as RFC 3339 to the second.
fn when(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms / 1000 * 1000)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| ms.to_string())
}

/// A refused request in the command's own words: its flags, not the API's field names.
fn flag_error(e: KeyError) -> anyhow::Error {
    match e {
        KeyError::Invalid { field, message } => {
            let flag = match field {
                "agent_id" => "--agent",
                "expires_in_secs" => "--expires-in",
                "role" => "--role",
                _ => "--tenant",
            };
            anyhow::anyhow!("{flag}: {message}")
        }
        other => other.into(),
    }
}

/// `--expires-in`: whole seconds, or a number with `s`, `m`, `h` or `d`, within the bounds
/// the API takes.
fn parse_expires_in(s: &str) -> Result<u64, String> {
    let (digits, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c),
        _ => (s, 's'),
    };
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return Err(format!("`{s}`: use seconds or a number with s, m, h or d")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}`: use seconds or a number with s, m, h or d"))?;
    match n.checked_mul(scale) {
        Some(secs) if (1..=keys::MAX_EXPIRES_IN_SECS).contains(&secs) => Ok(secs),
        _ => Err(format!(
            "`{s}` is outside 1 second to {} days",
            keys::MAX_EXPIRES_IN_SECS / 86_400
        )),
    }
}

/// Tenants as the policies folder has them: a tenant id must be well formed, and an agent
/// key's agent on the roster of the tenant's file there.
struct Folder<'a>(&'a Path);

impl Tenants for Folder<'_> {
    fn check(&self, tenant: &str, agent: Option<&str>) -> Result<(), KeyError> {
        if !crate::config::is_valid_tenant_id(tenant) {
            return Err(KeyError::Invalid {
                field: "tenant",
                message: format!(
                    "`{tenant}` is not a tenant id (lowercase letters, digits, `-` and `_`)"
                ),
            });
        }
        match agent {
            None => Ok(()),
            Some(a) => check_roster(self.0, tenant, a).map_err(|e| KeyError::Invalid {
                field: "agent_id",
                message: e.to_string(),
            }),
        }
    }
}

/// An agent key is for an agent on the tenant's roster: the tenant file in `policies` must
/// load and list `agent` (the host refuses the key's requests once the agent leaves it).
fn check_roster(policies: &Path, tenant: &str, agent: &str) -> anyhow::Result<()> {
    let file = policies.join(format!("{tenant}.toml"));
    let config = crate::config::load_file(&file).map_err(|d| {
        anyhow::anyhow!(
            "cannot check agent `{agent}` against tenant `{tenant}`'s roster: {}\n\
             (give the policies folder with `--policies DIR`)",
            d.to_string().trim_end()
        )
    })?;
    if config.agent(agent).is_some() {
        return Ok(());
    }
    let ids: Vec<&str> = config.agents.iter().map(|a| a.id.as_str()).collect();
    anyhow::bail!(
        "`{agent}` is not on the roster of `{}` (agents: {}); add them to the file first",
        file.display(),
        if ids.is_empty() {
            "none".to_string()
        } else {
            ids.join(", ")
        }
    )
}
