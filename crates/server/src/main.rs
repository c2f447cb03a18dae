//! `arobase-server`: parse the configuration, start the server, stop on SIGINT/SIGTERM; or, with
//! `import-communes`, load the commune list into the database and exit.

use std::process::ExitCode;

use clap::Parser;
use server::config::Command;
use server::storage::Storage;
use server::{communes, error_chain, shutdown_signal, telemetry, Config, Database, Server};

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    telemetry::init(config.log_format);
    if config.command == Some(Command::ImportCommunes) {
        return import_communes(&config).await;
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
