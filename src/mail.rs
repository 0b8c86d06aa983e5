//! Delivering a message: through the SMTP relay of `[smtp]`, or, without
//! one, into a folder; and handing an edition to the engine that sends it
//! on ([`HandOff`]: the relay, or a program), telling where it stopped.
//!
//! Secure by default, as lettre is: TLS unless `security = "none"`, which
//! the config refuses towards a host that is not loopback unless
//! `allow_plaintext` says so. The password is read from the environment
//! variable that `[smtp] password_env` names, only when a username is set,
//! and never appears in a message, a log or a Debug print. Each exchange
//! with the relay, from connecting to its last reply, has `timeout_s` in
//! all. Failures say which server, what went wrong, and what to try.

use crate::config::{Security, Smtp};
use crate::error::Error;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{Address, SmtpTransport, Transport as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

mod handoff;
pub use handoff::{HandOff, HandOffError, Pipe};

/// Why a message was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The relay (or the way to it) failed: exit code 3.
    #[error("cannot send through {server}: {what}\n  hint: {hint}")]
    Remote {
        server: String,
        what: String,
        hint: String,
    },
    /// The local setup is wrong: exit code 1.
    #[error("{0}")]
    Setup(String),
}

/// The library's error for a delivery that failed, with the same message:
/// the relay's failure is a remote peer's (exit code 3), the setup's a
/// local one (exit code 1).
impl From<MailError> for Error {
    fn from(e: MailError) -> Error {
        match e {
            MailError::Remote { server, what, hint } => Error::Relay { server, what, hint },
            MailError::Setup(message) => Error::Delivery { message },
        }
    }
}

/// Where a message went.
pub trait Transport {
    /// Delivers `message` from `from` to `to`; says where it went.
    fn deliver(&self, from: &Address, to: &Address, message: &[u8]) -> Result<String, MailError>;
}

/// Writes each message to `DIR/<name>.eml`.
pub struct Outbox {
    pub dir: PathBuf,
    pub name: String,
}

impl Transport for Outbox {
    fn deliver(&self, _from: &Address, _to: &Address, message: &[u8]) -> Result<String, MailError> {
        let path = self.dir.join(format!("{}.eml", self.name));
        write_whole(&path, message).map_err(|source| {
            MailError::Setup(
                crate::error::Error::Write {
                    path: path.clone(),
                    source,
                }
                .to_string(),
            )
        })?;
        Ok(format!(
            "written to {} (no [smtp] host is configured)",
            path.display()
        ))
    }
}

/// Writes `bytes` to `target` whole or not at all: into a temporary file of
/// this write's own, then renamed over it. Two test sends of one edition to
/// one address at once each rename a complete message; with one temporary
/// name for both, each truncated the file the other was writing.
fn write_whole(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::sync::atomic::{AtomicU64, Ordering};
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (temp, mut file) = loop {
        let n = WRITES.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{name}.{}-{n}.matinale-tmp", std::process::id()));
        // Exclusive: a file left by a killed run of the same pid is
        // stepped over, never shared.
        match std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&temp)
        {
            Ok(file) => break (temp, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    };
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&temp, target));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// The SMTP relay.
pub struct Relay<'c> {
    config: &'c Smtp,
    host: String,
    password: Option<Password>,
}

/// A password that never prints.
struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl std::fmt::Debug for Relay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("host", &self.host)
            .field("port", &self.config.port)
            .field("security", &self.config.security)
            .field("username", &self.config.username)
            .field("password", &self.password)
            .finish()
    }
}

impl<'c> Relay<'c> {
    /// The relay of `config`, with its password read from the environment
    /// through `env` (the CLI passes `std::env::var`).
    pub fn new(
        config: &'c Smtp,
        host: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Relay<'c>, MailError> {
        let password = match &config.username {
            None => None,
            Some(user) => Some(Password(env(&config.password_env).ok_or_else(|| {
                MailError::Setup(format!(
                    "[smtp] username is {user:?} but the environment variable {} that holds its password is not set",
                    config.password_env
                ))
            })?)),
        };
        Ok(Relay {
            config,
            host: host.to_owned(),
            password,
        })
    }

    fn server(&self) -> String {
        format!(
            "{}:{} (security = \"{}\")",
            self.host,
            self.config.port,
            self.config.security.name()
        )
    }

    fn transport(&self) -> Result<SmtpTransport, MailError> {
        let c = self.config;
        let tls = match c.security {
            Security::None => Tls::None,
            Security::Tls => Tls::Wrapper(self.tls_parameters()?),
            Security::StartTls => Tls::Required(self.tls_parameters()?),
        };
        let mut b = SmtpTransport::builder_dangerous(self.host.clone())
            .port(c.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(c.timeout_s)));
        if let (Some(user), Some(Password(p))) = (&c.username, &self.password) {
            b = b.credentials(Credentials::new(user.clone(), p.clone()));
        }
        Ok(b.build())
    }

    fn tls_parameters(&self) -> Result<TlsParameters, MailError> {
        let mut b = TlsParameters::builder(self.host.clone());
        if let Some(path) = &self.config.ca_file {
            b = b.add_root_certificate(read_ca(path)?);
        }
        b.build_rustls()
            .map_err(|e| MailError::Setup(format!("cannot set up TLS for {}: {e}", self.host)))
    }
}

fn read_ca(path: &Path) -> Result<Certificate, MailError> {
    let pem = std::fs::read(path).map_err(|e| {
        MailError::Setup(format!(
            "cannot read [smtp] ca_file {}: {e}",
            path.display()
        ))
    })?;
    Certificate::from_pem(&pem).map_err(|e| {
        MailError::Setup(format!(
            "[smtp] ca_file {} is not a PEM certificate: {e}",
            path.display()
        ))
    })
}

/// Where a test send's recipient comes from, for the hint of a refusal.
const TEST_RECIPIENT: &str = "the --to address";

/// Attempts on a temporary (4xx) refusal, and the pause before each retry.
const RETRIES: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(3)];

impl Transport for Relay<'_> {
    fn deliver(&self, from: &Address, to: &Address, message: &[u8]) -> Result<String, MailError> {
        let transport = self.transport()?;
        let envelope = Envelope::new(Some(from.clone()), vec![to.clone()])
            .map_err(|e| MailError::Setup(format!("cannot address the message: {e}")))?;
        let mut pauses = RETRIES.iter();
        loop {
            match self.send_within(&transport, &envelope, message)? {
                Ok(_) => return Ok(format!("sent to {to} through {}", self.server())),
                Err(e) if e.is_transient() => {
                    if let Some(p) = pauses.next() {
                        std::thread::sleep(*p);
                        continue;
                    }
                    return Err(self.explain(&e, TEST_RECIPIENT));
                }
                Err(e) => return Err(self.explain(&e, TEST_RECIPIENT)),
            }
        }
    }
}

impl Relay<'_> {
    /// One exchange with the relay, from connecting to its last reply,
    /// within `timeout_s` in all. lettre's timeout bounds each read and
    /// write, so a relay that trickles a byte a second would hold a send
    /// for ever: the exchange runs on a thread of its own, and is given up
    /// at the deadline. The thread is left to end with its connection
    /// (lettre's own timeout ends a silent one); a test send ends the
    /// process soon after.
    fn send_within(
        &self,
        transport: &SmtpTransport,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<Result<lettre::transport::smtp::response::Response, SmtpError>, MailError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let (transport, envelope, message) =
            (transport.clone(), envelope.clone(), message.to_vec());
        std::thread::Builder::new()
            .name("smtp".to_owned())
            .spawn(move || {
                let _ = tx.send(transport.send_raw(&envelope, &message));
            })
            .map_err(|e| MailError::Setup(format!("cannot start sending: {e}")))?;
        let timeout = Duration::from_secs(self.config.timeout_s);
        match rx.recv_timeout(timeout) {
            Ok(result) => Ok(result),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(self.no_answer()),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(MailError::Remote {
                server: self.server(),
                what: "the SMTP client failed (a bug)".to_owned(),
                hint: "the message may not have been sent; try again".to_owned(),
            }),
        }
    }

    fn no_answer(&self) -> MailError {
        MailError::Remote {
            server: self.server(),
            what: format!(
                "no complete answer within {} s ([smtp] timeout_s)",
                self.config.timeout_s
            ),
            hint: "check [smtp] host and port, and that a firewall lets the connection through"
                .to_owned(),
        }
    }
}

impl Relay<'_> {
    /// An actionable message for a lettre error; a refusal hints at
    /// `recipient`, where the address it refused comes from.
    fn explain(&self, e: &SmtpError, recipient: &str) -> MailError {
        let text = e.to_string();
        let code = e.status().map(|c| c.to_string()).unwrap_or_default();
        let refused = io_kind(e) == Some(std::io::ErrorKind::ConnectionRefused);
        let (what, hint) = if refused {
            (
                "connection refused".to_owned(),
                "is the relay running, and are [smtp] host and port right?".to_owned(),
            )
        } else if e.is_timeout()
            || io_kind(e) == Some(std::io::ErrorKind::TimedOut)
            || io_kind(e) == Some(std::io::ErrorKind::WouldBlock)
        {
            return self.no_answer();
        } else if e.is_tls()
            || text.contains("certificate")
            || text.contains("InvalidContentType")
            || text.contains("tls")
        {
            (
                text.clone(),
                "\"tls\" is implicit TLS (usually port 465), \"starttls\" starts in clear then upgrades (usually 587); \
for a relay with a private certificate, set [smtp] ca_file"
                    .to_owned(),
            )
        } else if code.starts_with("535") || code.starts_with("534") || code.starts_with("530") {
            (
                format!("authentication rejected ({text})"),
                format!(
                    "check [smtp] username and the password in ${}",
                    self.config.password_env
                ),
            )
        } else if e.is_transient() {
            (
                format!(
                    "temporarily refused after {} tries ({text})",
                    RETRIES.len() + 1
                ),
                "try again later".to_owned(),
            )
        } else if e.is_permanent() {
            (
                format!("refused ({text})"),
                format!(
                    "the relay's answer above says why; check {recipient} and [newsletter] from"
                ),
            )
        } else if matches!(
            io_kind(e),
            Some(
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
            )
        ) || text.contains("incomplete response")
        {
            (
                format!("the relay closed the connection before it accepted the message ({text})"),
                "the message was not sent; the relay's log says why (a size limit, a filter…); try again"
                    .to_owned(),
            )
        } else {
            (text, "check [smtp] host, port and security".to_owned())
        };
        MailError::Remote {
            server: self.server(),
            what,
            hint,
        }
    }
}

fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cause = c.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_prints() {
        let src = "[site]\ntitle = \"T\"\nurl = \"https://ex.org/\"\n\n[smtp]\nhost = \"smtp.ex.org\"\nusername = \"moi\"\n";
        let config = crate::Config::parse(src, std::path::Path::new("feed.toml")).unwrap();
        let secret = "s3cret-P4ss-never-seen";
        let relay = Relay::new(&config.smtp, "smtp.ex.org", |name| {
            (name == "MATINALE_SMTP_PASSWORD").then(|| secret.to_owned())
        })
        .unwrap();
        let printed = format!("{relay:?} {relay:#?} {:?}", config.smtp);
        assert!(printed.contains("Password(…)"), "{printed}");
        assert!(!printed.contains(secret), "{printed}");
    }

    #[test]
    fn a_mail_error_keeps_its_message_and_exit_code_as_the_library_error() {
        let remote = MailError::Remote {
            server: "smtp.ex.org:587 (security = \"starttls\")".to_owned(),
            what: "connection refused".to_owned(),
            hint: "is the relay running, and are [smtp] host and port right?".to_owned(),
        };
        let text = remote.to_string();
        let e = Error::from(remote);
        assert_eq!(e.to_string(), text);
        assert_eq!(
            text,
            "cannot send through smtp.ex.org:587 (security = \"starttls\"): connection refused\n  \
             hint: is the relay running, and are [smtp] host and port right?"
        );
        assert_eq!(e.exit_code(), 3);

        let setup = MailError::Setup("cannot read [smtp] ca_file ca.pem: gone".to_owned());
        let e = Error::from(setup);
        assert_eq!(e.to_string(), "cannot read [smtp] ca_file ca.pem: gone");
        assert_eq!(e.exit_code(), 1);
    }

    #[test]
    fn writes_into_the_outbox_at_once_each_land_whole() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox {
            dir: dir.path().join("outbox"),
            name: "same".to_owned(),
        };
        let address: Address = "moi@example.org".parse().unwrap();
        let (a, b) = (vec![b'a'; 1 << 20], vec![b'b'; 1 << 20]);
        std::thread::scope(|s| {
            for message in [&a, &b] {
                let (outbox, address, a, b) = (&outbox, &address, &a, &b);
                s.spawn(move || {
                    for _ in 0..20 {
                        outbox.deliver(address, address, message).unwrap();
                        let now = std::fs::read(outbox.dir.join("same.eml")).unwrap();
                        assert!(now == *a || now == *b, "a message torn by another");
                    }
                });
            }
        });
        let names: Vec<_> = std::fs::read_dir(&outbox.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["same.eml"]);
    }
}
