//! `serve` and `worker`: the long-running commands, their demo clock and the start-up
//! lines that tell an operator where the service listens and where the console is.

use std::sync::Arc;

use clap::Args;

use super::{runtime, Failure};
use crate::app::{Application, MetricsServer, Worker};
use crate::clock::{AcceleratedClock, SharedClock, SystemClock};
use crate::config::Settings;
use crate::service::Services;

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Serve the API only; another process (`worker`, or an external cron running
    /// `jobs run-once`) sends the reminders.
    #[arg(long)]
    pub no_scheduler: bool,
    #[command(flatten)]
    pub clock: ClockArgs,
}

#[derive(Debug, Args, Default)]
pub struct ClockArgs {
    /// Demo mode: start the service's clock at this instant (RFC 3339)...
    #[arg(long, value_name = "RFC3339", requires = "clock_speed")]
    pub clock_start: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// ...and run it this many times faster than real time (e.g. 3600: an hour a second).
    #[arg(long, value_name = "N", requires = "clock_start")]
    pub clock_speed: Option<f64>,
}

fn clock_of(args: &ClockArgs) -> Result<SharedClock, Failure> {
    match (args.clock_start, args.clock_speed) {
        (Some(start), Some(speed)) => {
            if !(speed.is_finite() && speed > 0.0 && speed <= 1_000_000.0) {
                return Err(Failure::config(
                    "--clock-speed must be between 0 and 1000000",
                ));
            }
            tracing::warn!(start = %start, speed, "demo clock: time runs from the given start, faster than real time");
            Ok(Arc::new(AcceleratedClock::new(
                start.with_timezone(&chrono::Utc),
                speed,
            )))
        }
        _ => Ok(Arc::new(SystemClock)),
    }
}

/// On a demo clock a day passes in minutes: wake the engine every second so no
/// morning is skipped between ticks.
fn demo_ticks(settings: &mut Settings, args: &ClockArgs) {
    if args.clock_speed.is_some() {
        settings.jobs.plan_cron = "* * * * * *".to_string();
        settings.jobs.dispatch_cron = "* * * * * *".to_string();
    }
}

/// Where an operator opens the console: `server.public_url`'s `/console`, except that
/// a loopback public URL (the embedded default, `http://127.0.0.1:8080`) takes the
/// port the service is bound to, so a changed `server.port` shows where it really is.
/// The host stays the public URL's: sign-in links lead there, and the session cookie
/// is only sent back to that host (`127.0.0.1` and `localhost` are different sites).
pub fn console_url(public_url: &url::Url, bound_port: u16) -> String {
    let loopback = match public_url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        None => false,
    };
    let mut url = public_url.clone();
    if loopback && url.port_or_known_default() != Some(bound_port) {
        let _ = url.set_port(Some(bound_port));
    }
    format!("{}/console", url.as_str().trim_end_matches('/'))
}

/// `http://HOST:PORT` of the listener, as a browser on this machine would reach it.
fn listening_url(host: &str, port: u16) -> String {
    let host = match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
        Ok(std::net::IpAddr::V6(ip)) => format!("[{ip}]"),
        _ => host.to_string(),
    };
    format!("http://{host}:{port}")
}

pub fn serve(mut settings: Settings, args: &ServeArgs) -> Result<(), Failure> {
    let clock = clock_of(&args.clock)?;
    demo_ticks(&mut settings, &args.clock);
    let no_scheduler = args.no_scheduler;
    runtime()?.block_on(async move {
        let url = settings.database.redacted_url();
        let host = settings.server.host.clone();
        let public_url = settings.server.public_url.clone();
        let services = Services::build(settings, clock).map_err(Failure::runtime)?;
        let app = Application::build(services.clone()).map_err(Failure::runtime)?;
        let metrics = start_metrics(&services)?;
        let worker = if no_scheduler {
            None
        } else {
            Some(Worker::start(&services).await.map_err(Failure::runtime)?)
        };
        let port = app.port();
        let (listening, console) = (listening_url(&host, port), console_url(&public_url, port));
        tracing::info!(
            port,
            console = %console,
            database = %url,
            scheduler = !no_scheduler,
            "smp-aftercare listening on {listening}; the console is at {console}"
        );
        app.run_until_stopped().await.map_err(Failure::runtime)?;
        if let Some(worker) = worker {
            worker.stop().await;
        }
        if let Some(metrics) = metrics {
            metrics.stop().await;
        }
        tracing::info!("stopped");
        Ok(())
    })
}

/// The engine alone: the same services as `serve`, no HTTP listener.
pub fn worker(mut settings: Settings, args: &ClockArgs) -> Result<(), Failure> {
    let clock = clock_of(args)?;
    demo_ticks(&mut settings, args);
    runtime()?.block_on(async move {
        let services = Services::build(settings, clock).map_err(Failure::runtime)?;
        let worker = Worker::start(&services).await.map_err(Failure::runtime)?;
        let metrics = start_metrics(&services)?;
        tracing::info!("smp-aftercare worker running; Ctrl-C or SIGTERM stops it");
        shutdown_signal().await;
        worker.stop().await;
        if let Some(metrics) = metrics {
            metrics.stop().await;
        }
        tracing::info!("stopped");
        Ok(())
    })
}

/// The metrics listener, when `metrics.bind` is set.
fn start_metrics(services: &Services) -> Result<Option<MetricsServer>, Failure> {
    let metrics = MetricsServer::start(services).map_err(Failure::runtime)?;
    if let Some(metrics) = &metrics {
        tracing::info!(
            port = metrics.port(),
            "metrics at GET /metrics (metrics.bind)"
        );
    }
    Ok(metrics)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(raw: &str) -> url::Url {
        raw.parse().unwrap()
    }

    #[test]
    fn the_console_is_at_the_public_url() {
        assert_eq!(
            console_url(&url("https://aftercare.northside.dev/"), 8080),
            "https://aftercare.northside.dev/console"
        );
        assert_eq!(
            console_url(&url("http://127.0.0.1:8080"), 8080),
            "http://127.0.0.1:8080/console"
        );
    }

    #[test]
    fn a_loopback_public_url_takes_the_bound_port() {
        assert_eq!(
            console_url(&url("http://127.0.0.1:8080"), 9090),
            "http://127.0.0.1:9090/console"
        );
        assert_eq!(
            console_url(&url("http://localhost:8080/"), 9090),
            "http://localhost:9090/console"
        );
    }

    #[test]
    fn an_unspecified_bind_is_reached_on_loopback() {
        assert_eq!(listening_url("0.0.0.0", 8080), "http://127.0.0.1:8080");
        assert_eq!(listening_url("::1", 80), "http://[::1]:80");
        assert_eq!(listening_url("127.0.0.1", 8080), "http://127.0.0.1:8080");
    }
}
