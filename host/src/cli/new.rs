//! `baton new policy NAME --lang rust|python|js`: a ready policy project (source with the
//! contract's types, a build script, a tenant file with self-tests, fixtures, a README), and
//! `baton build [DIR]`, which runs a project's build script.
//!
//! The WIT written into Python and JavaScript projects is the SDK's own
//! ([`baton_plugin_sdk::WIT`]), so a new project always speaks this host's contract.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What `baton new` makes.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// A policy project: source, build script, tenant file with self-tests, README.
    Policy(Args),
}

/// The policy's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust with `baton-plugin-sdk` (cargo, wasm32-wasip2).
    Rust,
    /// Python with componentize-py (installed on first build).
    Python,
    /// JavaScript with componentize-js (installed on first build; needs Node 18+).
    Js,
}

/// Which contract world the policy exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WorldArg {
    /// When to escalate (`baton:policy/trigger`).
    Trigger,
    /// To whom (`baton:policy/routing`).
    Routing,
}

/// Arguments of `baton new policy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policy's name (lowercase letters, digits and `-`): the crate, tenant and folder name.
    name: String,
    /// The language to write it in.
    #[arg(long, value_enum)]
    lang: Lang,
    /// The contract world to export.
    #[arg(long, value_enum, default_value_t = WorldArg::Trigger)]
    world: WorldArg,
    /// Where to create the project (default: `./NAME`); must not exist or be empty.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Rust only: use `baton-plugin-sdk` from this folder (default: write the SDK this
    /// `baton` carries into the project's `baton-plugin-sdk/`).
    #[arg(long)]
    sdk: Option<PathBuf>,
    /// Take the stock plugin from this folder instead of the copy built into `baton`: the
    /// tenant file pairs your policy with `skills-router.wasm` (for a trigger) or
    /// `standard-trigger.wasm` (for a routing policy).
    #[arg(long)]
    stock: Option<PathBuf>,
}

/// Arguments of `baton build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The policy project (made by `baton new policy`).
    #[arg(default_value = ".")]
    dir: PathBuf,
}

fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 40
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !name.ends_with('-')
}

/// The policy's source file, its build script and the language's name, for `args`.
fn template(args: &Args) -> (&'static str, &'static str, &'static str, &'static str) {
    match (args.lang, args.world) {
        (Lang::Python, WorldArg::Trigger) => (
            "policy.py",
            include_str!("new/trigger.py"),
            include_str!("new/build.py.sh"),
            "Python",
        ),
        (Lang::Python, WorldArg::Routing) => (
            "policy.py",
            include_str!("new/routing.py"),
            include_str!("new/build.py.sh"),
            "Python",
        ),
        (Lang::Js, WorldArg::Trigger) => (
            "policy.js",
            include_str!("new/trigger.js"),
            include_str!("new/build.js.sh"),
            "JavaScript",
        ),
        (Lang::Js, WorldArg::Routing) => (
            "policy.js",
            include_str!("new/routing.js"),
            include_str!("new/build.js.sh"),
            "JavaScript",
        ),
        (Lang::Rust, WorldArg::Trigger) => (
            "src/lib.rs",
            include_str!("new/trigger.rs"),
            include_str!("new/build.rs.sh"),
            "Rust",
        ),
        (Lang::Rust, WorldArg::Routing) => (
            "src/lib.rs",
            include_str!("new/routing.rs"),
            include_str!("new/build.rs.sh"),
            "Rust",
        ),
    }
}

/// What a Python or JavaScript tenant adds to its file (`[limits]`) and to its README.
fn scripted_limits(args: &Args) -> (&'static str, &'static str) {
    if args.lang == Lang::Rust {
        return ("", "");
    }
    (
        "# A Python or JavaScript policy carries its interpreter: it needs 13 MiB (Python) or\n\
         # 10 MiB (JavaScript) and ~2-3 ms to start a fresh instance; the defaults (16 MiB,\n\
         # 20 ms) leave it little headroom.\n\
         [limits]\nmemory_mib = 48\ndeadline_ms = 100\n",
        "\n\nThis tenant sets `memory_mib = 48` and `deadline_ms = 100`: the language's runtime\n\
         comes with every instance (13 MiB for Python, 10 MiB for JavaScript, ~2-3 ms to start).",
    )
}

/// The README's rows for the files only some projects have.
fn extra_files(args: &Args) -> &'static str {
    match args.lang {
        Lang::Rust if args.sdk.is_none() => {
            "| `Cargo.toml` | the crate, with `baton-plugin-sdk` by path |\n\
             | `baton-plugin-sdk/` | the SDK (the contract's types and WIT), as this `baton` carries it |\n"
        }
        Lang::Rust => "| `Cargo.toml` | the crate, with `baton-plugin-sdk` by path |\n",
        _ => {
            "| `wit/policy.wit` | the contract (`baton:policy@0.1.0`), from `baton-plugin-sdk` |\n\
              | `out/` | what the build makes (bindings, the component); not source |\n"
        }
    }
}

/// The files of a project, as `(relative path, text, executable)`.
fn files(args: &Args, sdk: &Path) -> Vec<(String, String, bool)> {
    let (world, stock) = match args.world {
        WorldArg::Trigger => ("trigger", "skills-router"),
        WorldArg::Routing => ("routing", "standard-trigger"),
    };
    let (source_name, source, build, language) = template(args);
    let ours = "../out/policy.wasm".to_string();
    let theirs = format!("plugins/{stock}.wasm");
    let (trigger_plugin, routing_plugin) = match args.world {
        WorldArg::Trigger => (ours, theirs),
        WorldArg::Routing => (theirs, ours),
    };
    let (limits, limits_note) = scripted_limits(args);
    let trigger_config = match args.world {
        WorldArg::Trigger => "\n[trigger.config]\nwords = [\"person\", \"human\", \"agent\"]\n",
        WorldArg::Routing => "",
    };
    let fill = |text: &str| {
        text.replace("{{name}}", &args.name)
            .replace("{{crate}}", &args.name.replace('-', "_"))
            .replace("{{world}}", world)
            .replace("{{language}}", language)
            .replace("{{source}}", source_name)
            .replace("{{sdk}}", &sdk.to_string_lossy())
            .replace("{{limits}}", limits)
            .replace("{{trigger_config}}", trigger_config)
            .replace("{{trigger_plugin}}", &trigger_plugin)
            .replace("{{routing_plugin}}", &routing_plugin)
            .replace("{{extra_files}}", extra_files(args))
            .replace("{{limits_note}}", limits_note)
    };
    let mut out = vec![
        (source_name.to_string(), fill(source), false),
        ("build".to_string(), fill(build), true),
        (
            format!("policies/{}.toml", args.name),
            fill(include_str!("new/tenant.toml")),
            false,
        ),
        (
            "fixtures.jsonl".to_string(),
            include_str!("new/fixtures.jsonl").to_string(),
            false,
        ),
        (
            "README.md".to_string(),
            fill(include_str!("new/README.md")),
            false,
        ),
        (
            ".gitignore".to_string(),
            "/out/\n/target/\n__pycache__/\n".to_string(),
            false,
        ),
    ];
    match args.lang {
        Lang::Rust => out.push((
            "Cargo.toml".into(),
            fill(include_str!("new/Cargo.toml.in")),
            false,
        )),
        _ => out.push((
            "wit/policy.wit".into(),
            baton_plugin_sdk::WIT.to_string(),
            false,
        )),
    }
    out
}

/// Write the project.
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    let Command::Policy(args) = command;
    if !valid_name(&args.name) {
        eprintln!(
            "error: `{}` is not a policy name: use lowercase letters, digits and `-`, starting with a letter (e.g. `vip-trigger`)",
            args.name
        );
        return Ok(ExitCode::FAILURE);
    }
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    if std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()) {
        eprintln!("error: `{}` exists and is not empty", dir.display());
        return Ok(ExitCode::FAILURE);
    }
    let sdk = match (&args.sdk, args.lang) {
        (Some(s), _) => std::path::absolute(s)?,
        (None, Lang::Rust) => PathBuf::from(VENDORED_SDK),
        (None, _) => PathBuf::new(),
    };
    let stock = match args.world {
        WorldArg::Trigger => "skills-router.wasm",
        WorldArg::Routing => "standard-trigger.wasm",
    };
    let bytes = match stock_plugin(args.stock.as_deref(), stock) {
        Ok(b) => b,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::FAILURE);
        }
    };
    if args.lang == Lang::Rust && args.sdk.is_none() {
        write_sdk(&dir.join(VENDORED_SDK))?;
    }
    let stock_dest = dir.join("policies/plugins").join(stock);
    std::fs::create_dir_all(dir.join("policies/plugins"))?;
    std::fs::write(&stock_dest, bytes)
        .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", stock_dest.display()))?;
    for (path, text, executable) in files(&args, &sdk) {
        let file = dir.join(&path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&file, text)
            .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", file.display()))?;
        if executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    println!(
        "created {} ({:?} {:?} policy)",
        dir.display(),
        args.lang,
        args.world
    );
    println!(
        "next: baton build {0} && baton test {0}/policies",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Where a Rust project keeps the SDK this `baton` carries, relative to the project.
const VENDORED_SDK: &str = "baton-plugin-sdk";

/// Write the SDK this `baton` carries into `dir` (a crate the project uses by path).
fn write_sdk(dir: &Path) -> anyhow::Result<()> {
    let manifest = crate::stock::sdk_manifest()
        .map_err(|e| anyhow::anyhow!("the SDK's manifest this `baton` carries is broken: {e}"))?;
    let files = crate::stock::SDK_FILES
        .iter()
        .copied()
        .chain([("Cargo.toml", manifest.as_str())]);
    for (path, text) in files {
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&file, text)
            .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", file.display()))?;
    }
    Ok(())
}

/// The stock plugin `file_name`: from `dir` when given, else the copy in this binary.
fn stock_plugin(dir: Option<&Path>, file_name: &str) -> Result<Vec<u8>, String> {
    if let Some(dir) = dir {
        let path = dir.join(file_name);
        return std::fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()));
    }
    let plugins = crate::stock::plugins().map_err(|e| e.to_string())?;
    plugins
        .iter()
        .find(|p| p.file_name == file_name)
        .map(|p| p.bytes.to_vec())
        .ok_or_else(|| format!("this `baton` carries no `{file_name}`"))
}

/// Run the project's build script.
pub async fn build(args: BuildArgs) -> anyhow::Result<ExitCode> {
    let script = args.dir.join("build");
    if !script.is_file() {
        eprintln!(
            "error: `{}` has no `build` script; is it a policy project made by `baton new policy`?",
            args.dir.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    let status = std::process::Command::new(&script)
        .status()
        .map_err(|e| anyhow::anyhow!("cannot run `{}`: {e}", script.display()))?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: `{}` failed ({status})", script.display());
        ExitCode::FAILURE
    })
}
