//! Handing a message to the engine that sends it on: the relay in front of
//! a list server, or a program such as `sendmail -t -i`.
//!
//! Unlike a test send, a hand-off must tell *where* it stopped, because
//! that decides whether the next run may give the message again:
//!
//! - before the engine could take it (refused, unreachable, a command
//!   that fails): nothing was given, try again ([`HandOffError::NotGiven`]);
//! - after the whole message was given and before the engine's final
//!   answer (the connection lost, the deadline passed): it may have been
//!   taken, and giving it again could send it twice
//!   ([`HandOffError::Unknown`]).
//!
//! The caller records the hand-off through a gate called once, just before
//! the engine could take the message: for SMTP once the relay has said
//! "go ahead" to DATA, for a command once it runs. Nothing is given when
//! the gate fails. The whole exchange has `[smtp] timeout_s`.

use super::{MailError, Relay};
use crate::config::Security;
use crate::error::Error;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;
use lettre::transport::smtp::Error as SmtpError;
use lettre::Address;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Where a hand-off stopped, when it did not end with the engine's "yes".
#[derive(Debug)]
pub enum HandOffError {
    /// The engine did not take the message: it refused, could not be
    /// reached, or the command failed. Giving it again is safe.
    NotGiven(MailError),
    /// The whole message was given and no final answer came: the engine
    /// may have taken it.
    Unknown(MailError),
    /// The gate failed, so nothing was given.
    Gate(Error),
}

/// An engine that takes a message for the subscribers.
pub trait HandOff {
    /// Who takes the message, for messages: the relay, or the command.
    fn via(&self) -> String;

    /// Gives `message` from `from` to `to`, calling `gate` once just before
    /// the engine could take it, and giving nothing if `gate` fails.
    /// Returns the engine's final answer (`250 2.0.0 Ok: queued as …`).
    fn hand_off(
        &self,
        from: &Address,
        to: &Address,
        message: &[u8],
        gate: &mut dyn FnMut() -> Result<(), Error>,
    ) -> Result<String, HandOffError>;
}

/// Where the recipient of a delivery comes from, for the hint of a refusal.
const DELIVERY_RECIPIENT: &str = "[delivery] to";

/// What the SMTP thread tells the caller.
enum Step {
    /// The relay said "go ahead" to DATA: the body is next, once allowed.
    Ready,
    /// Stopped before the body.
    Failed(SmtpError),
    /// The message has 8-bit text and the relay does not take it.
    NoEightBit,
    /// The body's exchange ended; whether the whole body was written.
    Done(Result<Response, SmtpError>, bool),
}

/// Body chunks, noting when the last one has been written: lettre asks for
/// the next chunk only once it wrote the one before.
struct Chunks<'m> {
    rest: &'m [u8],
    whole: Arc<AtomicBool>,
}

impl<'m> Iterator for Chunks<'m> {
    type Item = &'m [u8];

    fn next(&mut self) -> Option<&'m [u8]> {
        if self.rest.is_empty() {
            self.whole.store(true, Ordering::SeqCst);
            return None;
        }
        let (chunk, rest) = self.rest.split_at(self.rest.len().min(64 * 1024));
        self.rest = rest;
        Some(chunk)
    }
}

impl Relay<'_> {
    /// Connects, secures and authenticates as `[smtp]` says.
    fn connect(
        host: &str,
        port: u16,
        security: Security,
        tls: Option<&TlsParameters>,
        credentials: Option<&Credentials>,
        timeout: Duration,
    ) -> Result<SmtpConnection, SmtpError> {
        let hello = ClientId::default();
        let wrapper = if security == Security::Tls { tls } else { None };
        let mut conn = SmtpConnection::connect((host, port), Some(timeout), &hello, wrapper, None)?;
        if security == Security::StartTls {
            if let Some(tls) = tls {
                conn.starttls(tls, &hello)?;
            }
        }
        if let Some(c) = credentials {
            conn.auth(DEFAULT_MECHANISMS, c)?;
        }
        Ok(conn)
    }

    /// The relay's final answer, as it said it.
    fn reply(response: &Response) -> String {
        let lines: Vec<&str> = response.message().collect();
        format!("{} {}", response.code(), lines.join(" "))
    }
}

impl HandOff for Relay<'_> {
    fn via(&self) -> String {
        self.server()
    }

    fn hand_off(
        &self,
        from: &Address,
        to: &Address,
        message: &[u8],
        gate: &mut dyn FnMut() -> Result<(), Error>,
    ) -> Result<String, HandOffError> {
        let c = self.config;
        let timeout = Duration::from_secs(c.timeout_s);
        let deadline = Instant::now() + timeout;
        let tls = match c.security {
            Security::None => None,
            Security::Tls | Security::StartTls => {
                Some(self.tls_parameters().map_err(HandOffError::NotGiven)?)
            }
        };
        let credentials = match (&c.username, &self.password) {
            (Some(user), Some(p)) => Some(Credentials::new(user.clone(), p.0.clone())),
            _ => None,
        };
        let (steps, step) = mpsc::sync_channel(2);
        let (go, allowed) = mpsc::sync_channel::<bool>(1);
        let (host, port, security) = (self.host.clone(), c.port, c.security);
        let (from, to, message) = (from.clone(), to.clone(), message.to_vec());
        // The exchange runs on a thread of its own so that the deadline
        // holds however slowly the relay answers; the thread gives the
        // body only when told to, and the caller tells it only once the
        // gate has passed, before the deadline.
        std::thread::Builder::new()
            .name("smtp-hand-off".to_owned())
            .spawn(move || {
                let envelope = |conn: &mut SmtpConnection| {
                    let mut options = Vec::new();
                    if !message.is_ascii() {
                        if !conn.server_info().supports_feature(Extension::EightBitMime) {
                            return Err(Step::NoEightBit);
                        }
                        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
                    }
                    let mut say = |command: &dyn std::fmt::Display| {
                        conn.command(command).map(drop).map_err(Step::Failed)
                    };
                    say(&Mail::new(Some(from.clone()), options))?;
                    say(&Rcpt::new(to.clone(), vec![]))?;
                    say(&Data)
                };
                let mut conn = match Relay::connect(
                    &host,
                    port,
                    security,
                    tls.as_ref(),
                    credentials.as_ref(),
                    timeout,
                ) {
                    Ok(conn) => conn,
                    Err(e) => {
                        let _ = steps.send(Step::Failed(e));
                        return;
                    }
                };
                if let Err(stop) = envelope(&mut conn) {
                    conn.abort();
                    let _ = steps.send(stop);
                    return;
                }
                if steps.send(Step::Ready).is_err() || allowed.recv() != Ok(true) {
                    conn.abort();
                    return;
                }
                let whole = Arc::new(AtomicBool::new(false));
                let chunks = Chunks {
                    rest: &message,
                    whole: whole.clone(),
                };
                let result = conn.message_iter(chunks);
                if result.is_ok() {
                    let _ = conn.quit();
                } else {
                    conn.abort();
                }
                let _ = steps.send(Step::Done(result, whole.load(Ordering::SeqCst)));
            })
            .map_err(|e| {
                HandOffError::NotGiven(MailError::Setup(format!("cannot start sending: {e}")))
            })?;
        let left = || deadline.saturating_duration_since(Instant::now());
        match step.recv_timeout(left()) {
            Ok(Step::Ready) => {}
            Ok(Step::Failed(e)) => {
                return Err(HandOffError::NotGiven(self.explain(&e, DELIVERY_RECIPIENT)))
            }
            Ok(Step::NoEightBit) => {
                return Err(HandOffError::NotGiven(MailError::Remote {
                    server: self.server(),
                    what: "the message has 8-bit text and the relay does not announce 8BITMIME"
                        .to_owned(),
                    hint: "use a relay that takes 8-bit mail (Postfix does)".to_owned(),
                }))
            }
            // Dropping `go` stops the thread before the body.
            Ok(Step::Done(..)) | Err(_) => return Err(HandOffError::NotGiven(self.no_answer())),
        }
        if let Err(e) = gate() {
            let _ = go.send(false);
            return Err(HandOffError::Gate(e));
        }
        if go.send(true).is_err() {
            return Err(HandOffError::NotGiven(MailError::Remote {
                server: self.server(),
                what: "the SMTP client stopped before the message (a bug)".to_owned(),
                hint: "nothing was sent; try again".to_owned(),
            }));
        }
        match step.recv_timeout(left()) {
            Ok(Step::Done(Ok(response), _)) => Ok(Relay::reply(&response)),
            // A refusal of the message itself: it was not taken.
            Ok(Step::Done(Err(e), _)) if e.status().is_some() => Err(HandOffError::NotGiven(
                self.explain(&e, DELIVERY_RECIPIENT),
            )),
            // Cut while the body was being written: a relay keeps no
            // message it did not receive to its final dot.
            Ok(Step::Done(Err(e), false)) => Err(HandOffError::NotGiven(MailError::Remote {
                server: self.server(),
                what: format!("the connection was lost while the message was being sent ({e})"),
                hint: "a relay keeps no message it did not receive whole; the next run tries again"
                    .to_owned(),
            })),
            Ok(Step::Done(Err(e), true)) => Err(HandOffError::Unknown(MailError::Remote {
                server: self.server(),
                what: format!(
                    "the whole message was sent, then the connection was lost before the relay's answer ({e})"
                ),
                hint: String::new(),
            })),
            Ok(Step::Ready | Step::Failed(_) | Step::NoEightBit) | Err(_) => {
                Err(HandOffError::Unknown(MailError::Remote {
                    server: self.server(),
                    what: format!(
                        "the message was being sent and no final answer came within {} s ([smtp] timeout_s)",
                        c.timeout_s
                    ),
                    hint: String::new(),
                }))
            }
        }
    }
}

/// A program that takes the message on its standard input, such as
/// `sendmail -t -i` or `mailman inject LIST`: its exit status is its
/// answer.
pub struct Pipe {
    pub command: Vec<String>,
    /// How long the program has to take the message and exit.
    pub timeout: Duration,
    /// Where the message waits for the program, read from a file, not a
    /// pipe (the layout's [`crate::layout::Layout::handoff_spool`]); a
    /// random suffix makes each hand-off's file its own.
    pub spool: std::path::PathBuf,
}

/// The most of a program's standard error that a message quotes.
const STDERR_QUOTED: usize = 2000;

impl Pipe {
    /// The command as a shell would take it: `sh -c 'cat > out.eml'`.
    fn shown(&self) -> String {
        let words: Vec<String> = self.command.iter().map(|w| shell_word(w)).collect();
        format!("`{}`", words.join(" "))
    }

    fn failed(&self, what: String, hint: &str) -> MailError {
        MailError::Remote {
            server: self.shown(),
            what,
            hint: hint.to_owned(),
        }
    }
}

fn shell_word(w: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !w.is_empty() && w.chars().all(plain) {
        w.to_owned()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

/// The end of a program's standard error, on one line per line.
fn quoted(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    let start = text
        .char_indices()
        .rev()
        .nth(STDERR_QUOTED)
        .map_or(0, |(i, _)| i);
    let tail = &text[start..];
    if tail.is_empty() {
        "nothing on its standard error".to_owned()
    } else if start > 0 {
        format!("…{tail}")
    } else {
        tail.to_owned()
    }
}

impl Pipe {
    /// The message in an unlinked file of the spool, opened twice on one
    /// open file description: one end is the program's standard input, the
    /// other tells, once it has exited, how far it read (they share the
    /// offset). A pipe could not: a message smaller than the pipe's buffer
    /// is "written" whether or not the program ever reads it.
    fn spooled(&self, message: &[u8]) -> std::io::Result<(std::fs::File, std::fs::File)> {
        use std::hash::BuildHasher;
        use std::io::Seek;
        if let Some(dir) = self.spool.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let random = std::collections::hash_map::RandomState::new().hash_one(message.len());
        let mut name = self.spool.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".{random:016x}"));
        let path = self.spool.with_file_name(name);
        let mut file = std::fs::File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        let _ = std::fs::remove_file(&path);
        file.write_all(message)?;
        file.rewind()?;
        let seen = file.try_clone()?;
        Ok((file, seen))
    }
}

impl HandOff for Pipe {
    fn via(&self) -> String {
        self.shown()
    }

    fn hand_off(
        &self,
        _from: &Address,
        _to: &Address,
        message: &[u8],
        gate: &mut dyn FnMut() -> Result<(), Error>,
    ) -> Result<String, HandOffError> {
        use std::process::{Command, Stdio};
        let deadline = Instant::now() + self.timeout;
        let (program, args) = self.command.split_first().ok_or_else(|| {
            HandOffError::NotGiven(MailError::Setup("[delivery] command is empty".to_owned()))
        })?;
        let (input, seen) = self.spooled(message).map_err(|e| {
            HandOffError::NotGiven(MailError::Setup(format!(
                "cannot write the message for [delivery] command into {}: {e}",
                self.spool.parent().unwrap_or(&self.spool).display()
            )))
        })?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::from(input))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                HandOffError::NotGiven(MailError::Setup(format!(
                    "cannot run [delivery] command {}: {e}",
                    self.shown()
                )))
            })?;
        // Until it reads its input to the end, the program has nothing to
        // send: stopped here, it is killed, never left with an empty input.
        if let Err(e) = gate() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(HandOffError::Gate(e));
        }
        // Each pipe on a thread of its own, so that neither fills while the
        // other waits; their results come back by channel, so that a
        // program that leaves a child holding a pipe cannot hold us.
        let (stderr_tx, stderr_rx) = mpsc::channel();
        let mut pipe = child.stderr.take();
        std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(p) = pipe.as_mut() {
                let _ = p.read_to_end(&mut out);
            }
            let _ = stderr_tx.send(out);
        });
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(HandOffError::Unknown(self.failed(
                        format!(
                            "it had the message and did not exit within {} s ([smtp] timeout_s); it was stopped",
                            self.timeout.as_secs()
                        ),
                        "",
                    )));
                }
                Err(e) => {
                    return Err(HandOffError::Unknown(
                        self.failed(format!("cannot wait for it: {e}"), ""),
                    ))
                }
            }
        };
        let grace = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_secs(1));
        let mut seen = seen;
        let written = match std::io::Seek::stream_position(&mut seen) {
            Ok(read) if read >= message.len() as u64 => Ok(()),
            Ok(read) => Err(std::io::Error::other(format!(
                "it read {read} of the message's {} bytes",
                message.len()
            ))),
            Err(e) => Err(e),
        };
        let stderr = stderr_rx.recv_timeout(grace).unwrap_or_default();
        match (status.code(), written) {
            (Some(0), Ok(())) => Ok("exit status 0".to_owned()),
            (Some(0), Err(e)) => Err(HandOffError::NotGiven(self.failed(
                format!("it exited with status 0 before reading the whole message ({e})"),
                "a program that takes the message reads it to the end; check [delivery] command",
            ))),
            (Some(code), _) => Err(HandOffError::NotGiven(self.failed(
                format!("it exited with status {code}: {}", quoted(&stderr)),
                "its message above says why; nothing was delivered, and the next run tries again",
            ))),
            (None, _) => Err(HandOffError::Unknown(self.failed(
                format!("it was stopped by a signal ({status}): {}", quoted(&stderr)),
                "",
            ))),
        }
    }
}
