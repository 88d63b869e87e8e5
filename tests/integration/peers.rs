//! Real protocol peers started by the tests (see tests/peers/README.md): a scripted
//! SMTP server, a Web Push service and an S3 object store, each a Python process on a
//! free port.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// A running peer; stopped (stdin closed, then killed) when dropped.
pub struct Peer {
    pub port: u16,
    child: Child,
    _stdin: Option<ChildStdin>,
}

impl Peer {
    pub fn spawn(script: &str, args: &[&str]) -> Peer {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/peers")
            .join(script);
        let mut child = Command::new("python3")
            .arg(&path)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {script}: {e}"));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("peer stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("peer prints READY");
        let port = line
            .trim()
            .strip_prefix("READY ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!("{script} did not start (is `pip install -r tests/peers/requirements.txt` done?): {line:?}")
            });
        Peer {
            port,
            child,
            _stdin: stdin,
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self._stdin.take();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// aiosmtpd: recipients starting `tempfail`, `permfail`, `drop`, `stall` are scripted
/// failures; everything else lands in `maildir` as `<n>.eml`.
pub struct SmtpPeer {
    pub peer: Peer,
    pub maildir: PathBuf,
}

impl SmtpPeer {
    pub fn start(maildir: &Path) -> SmtpPeer {
        std::fs::create_dir_all(maildir).unwrap();
        let peer = Peer::spawn(
            "smtp_server.py",
            &[
                "--port",
                "0",
                "--maildir",
                maildir.to_str().unwrap(),
                "--stall-seconds",
                "10",
            ],
        );
        SmtpPeer {
            peer,
            maildir: maildir.to_path_buf(),
        }
    }

    /// The raw messages received so far, oldest first.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(&self.maildir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .filter_map(|p| Some((p.file_stem()?.to_str()?.parse().ok()?, p)))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, p)| std::fs::read_to_string(p).unwrap())
            .collect()
    }
}

/// The local Web Push service: verifies VAPID and decrypts with http_ece.
pub struct PushPeer {
    pub peer: Peer,
}

impl PushPeer {
    pub fn start() -> PushPeer {
        PushPeer::start_with_stall(10.0)
    }

    /// A peer whose "stall" subscriptions answer after `seconds`.
    pub fn start_with_stall(seconds: f64) -> PushPeer {
        let stall = seconds.to_string();
        PushPeer {
            peer: Peer::spawn(
                "push_service.py",
                &["--port", "0", "--stall-seconds", &stall],
            ),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.peer.port, path)
    }

    /// A browser-side subscription: exactly `PushSubscription.toJSON()` (the peer's
    /// own subscription id is left out; it is the last segment of the endpoint).
    pub async fn subscribe(&self, behaviour: &str) -> serde_json::Value {
        let mut subscription: serde_json::Value = reqwest::Client::new()
            .post(self.url("/subscriptions"))
            .json(&serde_json::json!({ "behaviour": behaviour }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        subscription.as_object_mut().unwrap().remove("id");
        subscription
    }
}

/// moto's S3 in server mode, with one bucket created.
pub struct S3Peer {
    pub peer: Peer,
    pub bucket: String,
}

impl S3Peer {
    pub fn start(bucket: &str) -> S3Peer {
        S3Peer {
            peer: Peer::spawn("s3_server.py", &["--port", "0", "--bucket", bucket]),
            bucket: bucket.to_string(),
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.peer.port)
    }

    /// The keys under `prefix`, as S3's own ListObjectsV2 gives them (a plain request,
    /// not through the service's client).
    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        let url = format!("{}/{}", self.endpoint(), self.bucket);
        let response = reqwest::Client::new()
            .get(url)
            .query(&[("list-type", "2"), ("prefix", prefix)])
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let body = response.text().await.unwrap();
        assert!(body.contains("<ListBucketResult"), "{body}");
        assert!(!body.contains("<IsTruncated>true"), "{body}");
        body.split("<Key>")
            .skip(1)
            .map(|rest| rest.split("</Key>").next().unwrap().to_string())
            .collect()
    }
}

/// The invitation token in a raw invitation email (the `/invite/{token}` link).
pub fn invitation_token(raw_email: &str) -> String {
    let decoded = decode_quoted_printable(raw_email);
    let start = decoded
        .find("/invite/")
        .expect("an invitation link in the email")
        + "/invite/".len();
    decoded[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

/// Decodes a quoted-printable body part well enough to find links in it.
pub fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}
