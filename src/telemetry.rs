//! Structured logs with `tracing`: human-readable by default, JSON lines by config.
//! Logs go to stderr; every line inside a request carries that request's id (the
//! span opened by `tracing_actix_web`).

use tracing_subscriber::{fmt, EnvFilter};

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber once; later calls (tests) are ignored.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(quiet_libraries(&settings.level)))
        .unwrap_or_else(|_| EnvFilter::new(quiet_libraries("info")));
    // Colours only on a terminal: log files and collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let _ = match settings.format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

/// `log.level` with the job scheduler's own INFO lines ("Job creator created", once per
/// job, at every start) left out: our engine logs what it does. A level that names
/// `tokio_cron_scheduler` itself, or `RUST_LOG`, still decides.
fn quiet_libraries(level: &str) -> String {
    if level.contains("tokio_cron_scheduler") {
        level.to_string()
    } else {
        format!("{level},tokio_cron_scheduler=warn")
    }
}

#[cfg(test)]
mod tests {
    use super::quiet_libraries;

    #[test]
    fn the_scheduler_logs_warnings_only_unless_named() {
        assert_eq!(quiet_libraries("info"), "info,tokio_cron_scheduler=warn");
        assert_eq!(
            quiet_libraries("debug,tokio_cron_scheduler=info"),
            "debug,tokio_cron_scheduler=info"
        );
        assert!(tracing_subscriber::EnvFilter::try_new(quiet_libraries(
            "info,smp_aftercare=debug"
        ))
        .is_ok());
    }
}
