//! `arobase-server`: parse the configuration, start the server, stop on SIGINT/SIGTERM; or, with
//! `import-communes`, load the commune list into the database and exit (and likewise
//! `operator`, `backup`, `restore`, `new-epoch`).

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use server::config::{Command, OperatorCommand};
use server::storage::Storage;
use server::{
    communes, error_chain, operators, shutdown_signal, telemetry, Config, Database, Server,
};

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    telemetry::init(config.log_format);
    match &config.command {
        Some(Command::ImportCommunes) => return import_communes(&config).await,
        Some(Command::Operator { action }) => return operator(&config, action).await,
        Some(Command::Backup { to }) => return backup(&config, to).await,
        Some(Command::Restore { from, force }) => return restore(&config, from, *force).await,
        Some(Command::NewEpoch) => return new_epoch(&config).await,
        None => {}
    }
    let (addr, handle) = match Server::bind(&config).await {
        Ok(started) => started,
        Err(err) => {
            eprintln!("arobase-server: error: {}", error_chain(&err));
            return ExitCode::FAILURE;
        }
    };
    // On stdout, apart from the logs (stderr), so scripts can read the address.
    println!("Arobase listening on http://{addr}");
    // Second, never first: scripts read the address from the first line.
    if let Some(link) = handle.first_operator_link() {
        // Not `println!`: a script that read the address and closed the pipe must not make the
        // server panic on a broken pipe.
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "Premier opérateur : {link}").and_then(|()| stdout.flush());
        tracing::warn!(
            "no operator yet: open the « Premier opérateur » link printed on stdout in a browser \
             to enrol the first one (it works once; each start prints a new one until then)"
        );
    }
    match handle.run_until(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("arobase-server: error: {}", error_chain(&err));
            ExitCode::FAILURE
        }
    }
}

async fn import_communes(config: &Config) -> ExitCode {
    let storage = match Database::connect(&config.database_url).await {
        Ok(storage) => storage,
        Err(err) => {
            eprintln!("arobase-server: error: {}", error_chain(&err));
            return ExitCode::FAILURE;
        }
    };
    let result = communes::import(&storage, &config.communes).await;
    storage.close().await;
    match result {
        Ok(count) => {
            println!(
                "{count} communes imported from {}",
                config.communes.display()
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("arobase-server: error: {}", error_chain(&err));
            ExitCode::FAILURE
        }
    }
}

/// `operator add|list|remove`: stdout carries only what scripts read (the link, the list), the
/// rest goes to stderr.
async fn operator(config: &Config, action: &OperatorCommand) -> ExitCode {
    let storage = match Database::connect(&config.database_url).await {
        Ok(storage) => storage,
        Err(err) => {
            eprintln!("arobase-server: error: {}", error_chain(&err));
            return ExitCode::FAILURE;
        }
    };
    let result = match action {
        OperatorCommand::Add { name, email } => operators::add(
            &storage,
            name,
            email.as_deref(),
            &config.command_line_origin(),
        )
        .await
        .map(|(operator, url)| {
            eprintln!(
                "Operator n° {} « {} » added. Their one-time enrolment link (valid 7 \
                         days), to open in their browser:",
                operator.id, operator.name
            );
            println!("{url}");
        }),
        OperatorCommand::List => operators::list(&storage).await.map(|lines| {
            if lines.is_empty() {
                eprintln!("No operator yet.");
            }
            for line in lines {
                println!("{line}");
            }
        }),
        OperatorCommand::Remove { id } => operators::remove(&storage, *id).await.map(|operator| {
            eprintln!(
                "Operator n° {} « {} » removed: their browsers no longer reach the console.",
                operator.id, operator.name
            );
        }),
    };
    storage.close().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("arobase-server: error: {}", error_chain(&err));
            ExitCode::FAILURE
        }
    }
}

fn failed(err: &dyn std::error::Error) -> ExitCode {
    eprintln!("arobase-server: error: {}", error_chain(err));
    ExitCode::FAILURE
}

/// `backup --to FILE`: the file's path on stdout (what scripts read), the rest on stderr.
async fn backup(config: &Config, to: &Path) -> ExitCode {
    match server::backup::backup(&config.database_url, to).await {
        Ok(report) => {
            println!("{}", report.path.display());
            eprintln!(
                "Backup written: {} ({} bytes), database epoch {}.",
                report.path.display(),
                report.bytes,
                if report.epoch.is_empty() {
                    "none"
                } else {
                    &report.epoch
                }
            );
            ExitCode::SUCCESS
        }
        Err(err) => failed(&err),
    }
}

/// `restore --from FILE [--force]`: the new epoch on stdout.
async fn restore(config: &Config, from: &Path, force: bool) -> ExitCode {
    match server::backup::restore(&config.database_url, from, force).await {
        Ok(report) => {
            if let Some(replaced) = &report.replaced {
                eprintln!("The replaced database was moved to {}.", replaced.display());
            }
            eprintln!(
                "Restored from {}; new epoch (phones will re-send what the backup lacks):",
                from.display()
            );
            println!("{}", report.epoch.id);
            ExitCode::SUCCESS
        }
        Err(err) => failed(&err),
    }
}

/// `new-epoch`: the new epoch on stdout.
async fn new_epoch(config: &Config) -> ExitCode {
    let storage = match Database::connect(&config.database_url).await {
        Ok(storage) => storage,
        Err(err) => return failed(&err),
    };
    let result = server::backup::new_epoch(&storage).await;
    storage.close().await;
    match result {
        Ok(epoch) => {
            eprintln!("New epoch (phones will re-send what the database lacks):");
            println!("{}", epoch.id);
            ExitCode::SUCCESS
        }
        Err(err) => failed(&err),
    }
}
