//! `hotline-ca`: the project's certificate authority on the command line (create the CA, issue node
//! certificates, revoke them, show what a certificate says).

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use sync_protocol::ca_dir::CaDir;
use sync_protocol::pki::{DEFAULT_NODE_CERT_DAYS, pem_to_cert_chain, read_peer_identity};
use time::OffsetDateTime;

#[derive(Parser)]
#[command(
    name = "hotline-ca",
    about = "Certificate authority of the 12345 hotline nodes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a CA (ca.pem, ca.key, empty crl.pem and deny.txt) in DIR.
    Init {
        #[arg(long)]
        dir: PathBuf,
    },
    /// Issue a node certificate: nodes/CODE.pem and nodes/CODE.key in DIR.
    Issue {
        #[arg(long)]
        dir: PathBuf,
        /// Node code (letters, digits, '-').
        #[arg(long)]
        node: String,
        /// Root unit of the subtree the node serves.
        #[arg(long)]
        scope: String,
        /// Validity in days.
        #[arg(long, default_value_t = DEFAULT_NODE_CERT_DAYS)]
        days: u32,
    },
    /// Issue a web (HTTPS) certificate for a node's pages: web/HOST.pem and web/HOST.key in DIR;
    /// point the node's `[https]` cert and key at them.
    Web {
        #[arg(long)]
        dir: PathBuf,
        /// A DNS name or IP address browsers use to reach the node (repeat for more).
        #[arg(long = "host", required = true)]
        hosts: Vec<String>,
        /// Validity in days.
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
    /// Revoke a certificate by serial; rewrites crl.pem and deny.txt.
    Revoke {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        serial: String,
    },
    /// Print the identity carried by a certificate PEM file.
    Show { file: PathBuf },
}

fn random16() -> [u8; 16] {
    rand::random()
}

fn run(cli: Cli) -> Result<(), String> {
    let now = OffsetDateTime::now_utc();
    match cli.command {
        Command::Init { dir } => {
            CaDir::init(&dir, now, random16()).map_err(|e| e.to_string())?;
            println!("CA created in {}", dir.display());
        }
        Command::Issue {
            dir,
            node,
            scope,
            days,
        } => {
            let ca = CaDir::open(&dir).map_err(|e| e.to_string())?;
            let files = ca
                .issue(&node, &scope, days, now, random16())
                .map_err(|e| e.to_string())?;
            println!(
                "issued {} scope={} serial={} not_after={}\n  cert {}\n  key  {}",
                files.record.node_code,
                files.record.scope_unit,
                files.record.serial,
                files.record.not_after,
                files.cert.display(),
                files.key.display()
            );
        }
        Command::Web { dir, hosts, days } => {
            let ca = CaDir::open(&dir).map_err(|e| e.to_string())?;
            let (cert, key) = ca
                .issue_web(&hosts, days, now, random16())
                .map_err(|e| e.to_string())?;
            println!(
                "issued web certificate for {}\n  cert {}\n  key  {}",
                hosts.join(", "),
                cert.display(),
                key.display()
            );
        }
        Command::Revoke { dir, serial } => {
            let ca = CaDir::open(&dir).map_err(|e| e.to_string())?;
            ca.revoke(&serial, now).map_err(|e| e.to_string())?;
            println!("revoked {serial}; wrote {}", dir.join("crl.pem").display());
        }
        Command::Show { file } => {
            let pem =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let chain = pem_to_cert_chain(&pem).map_err(|e| e.to_string())?;
            let first = chain
                .first()
                .ok_or_else(|| format!("{}: no certificate", file.display()))?;
            let id = read_peer_identity(first).map_err(|e| e.to_string())?;
            println!(
                "node={} scope={} serial={} not_after={}",
                id.node_code, id.scope_unit, id.serial, id.not_after
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hotline-ca: {e}");
            ExitCode::FAILURE
        }
    }
}
