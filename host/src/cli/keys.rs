//! `baton keys create | revoke | list`.

use crate::store::{self, new_key, KeyRole, KeyRow};
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
        /// Create an operator key (host-wide status; no tenant data).
        #[arg(long)]
        operator: bool,
        /// The policies folder: an agent key's agent must be on the roster of the tenant's
        /// file there.
        #[arg(long, env = "BATON_POLICIES", default_value_os_t = super::default_policies())]
        policies: std::path::PathBuf,
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
    match cmd {
        Command::Create {
            tenant,
            role,
            agent,
            operator,
            policies,
            data,
        } => {
            let role = if operator {
                KeyRole::Operator
            } else {
                role.unwrap_or(KeyRole::Channel)
            };
            if role == KeyRole::Agent && agent.is_none() {
                anyhow::bail!(
                    "an agent key needs `--agent ID` (the agent's id in the tenant file)"
                );
            }
            if role != KeyRole::Agent && agent.is_some() {
                anyhow::bail!("`--agent` goes only with `--role agent`");
            }
            if role == KeyRole::Operator && tenant.is_some() {
                anyhow::bail!("an operator key belongs to no tenant");
            }
            if let Some(t) = &tenant {
                if !crate::config::is_valid_tenant_id(t) {
                    anyhow::bail!(
                        "`{t}` is not a tenant id (lowercase letters, digits, `-` and `_`)"
                    );
                }
            }
            if let (Some(t), Some(a)) = (&tenant, &agent) {
                check_roster(&policies, t, a)?;
            }
            let store = store::open(&data).await?;
            let key = new_key();
            store
                .insert_key(KeyRow {
                    id: key.id.clone(),
                    hash: key.hash,
                    tenant,
                    role,
                    agent_id: agent,
                    created_ms: jiff::Timestamp::now().as_millisecond(),
                    revoked_ms: None,
                })
                .await?;
            eprintln!(
                "created key {} ({}); it is shown only now:",
                key.id,
                role.as_str()
            );
            println!("{}", key.secret);
            Ok(ExitCode::SUCCESS)
        }
        Command::Revoke { id, data } => {
            let store = store::open(&data).await?;
            if store.revoke_key(&id).await? {
                eprintln!("revoked key {id}");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("error: no live key with id `{id}`");
                Ok(ExitCode::FAILURE)
            }
        }
        Command::List { tenant, data } => {
            let store = store::open(&data).await?;
            for k in store.keys(tenant.as_deref()).await? {
                println!(
                    "{}  {:<8} tenant={:<20} agent={:<12} {}",
                    k.id,
                    k.role.as_str(),
                    k.tenant.as_deref().unwrap_or("-"),
                    k.agent_id.as_deref().unwrap_or("-"),
                    if k.revoked_ms.is_some() {
                        "revoked"
                    } else {
                        "live"
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// An agent key is for an agent on the tenant's roster: the tenant file in `policies` must
/// load and list `agent` (the host refuses the key's requests once the agent leaves it).
fn check_roster(policies: &std::path::Path, tenant: &str, agent: &str) -> anyhow::Result<()> {
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
