//! Agent alerts by email on the real server: a tiny SMTP server written here (not Python's
//! aiosmtpd: nothing to install), on loopback, receives and parses the alert; refusing the
//! first try shows the retry from the outbox and the failure in the operator's status.

use crate::channels::{kind, tenant_status};
use crate::host::TestHost;
use baton::store::KeyRole;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A tiny SMTP server on loopback: accepts every message (after refusing the first
/// recipient with a temporary error when `fail_first`) and hands each one over whole.
pub(crate) async fn smtp_sink(
    fail_first: bool,
) -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let refused = Arc::new(Mutex::new(!fail_first));
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (tx, refused) = (tx.clone(), refused.clone());
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "RCPT" => {
                            let mut r = refused.lock().unwrap();
                            if *r {
                                b"250 OK\r\n"
                            } else {
                                *r = true;
                                b"451 4.3.0 try again later\r\n"
                            }
                        }
                        "DATA" => {
                            write.write_all(b"354 go ahead\r\n").await.unwrap();
                            let mut message = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                message.push_str(l.strip_prefix('.').unwrap_or(&l));
                                message.push('\n');
                            }
                            let _ = tx.send(message);
                            b"250 OK queued\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 OK\r\n",
                    };
                    write.write_all(answer).await.unwrap();
                }
            });
        }
    });
    (port, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_alerts_the_agent_by_email_and_a_failed_alert_is_retried_and_counted() {
    let (port, mut mail) = smtp_sink(true).await;
    let options = baton::server::Options {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        smtp_from: Some("Baton <alerts@baton.test>".into()),
        ..Default::default()
    };
    let h = TestHost::start_with(&[], options).await;
    let channel = h.channel("acme-plumbing").await;
    let sam = h.agent("acme-plumbing", "sam").await;
    let operator = h.key(None, KeyRole::Operator, None).await;
    h.available(&sam, "sam").await;
    let asked = h
        .customer_says(
            &channel,
            "mail-1",
            "can I just talk to a real person please",
        )
        .await;
    assert_eq!(asked["handoff"]["offered_to"], "sam", "{asked}");

    // The relay refuses the first try: the alert is retrying, and the operator sees it.
    let mut seen_retrying = false;
    for _ in 0..50 {
        let (_, status) = h.get("/v1/admin/tenants", &operator).await;
        let acme = tenant_status(&status, "acme-plumbing");
        if acme["outbox"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kind"] == "alert_email" && k["retrying"] == 1)
        {
            assert_eq!(acme["delivery_failures"], 1, "{acme}");
            let e = kind(acme, "alert_email");
            assert!(
                e["last_error"]
                    .as_str()
                    .unwrap()
                    .contains("try again later"),
                "{e}"
            );
            seen_retrying = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen_retrying, "the failed alert shows in the admin status");

    // The retry (about 2 s later) gets through; the email is parsed here.
    let message = tokio::time::timeout(Duration::from_secs(15), mail.recv())
        .await
        .expect("the alert email arrives")
        .unwrap();
    let header = |name: &str| {
        message
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} in {message}"))
            .to_string()
    };
    assert_eq!(header("To"), "sam@acme.example");
    assert!(header("From").contains("alerts@baton.test"));
    let subject = header("Subject");
    assert!(
        subject.starts_with("[Acme Plumbing] Handoff for you: Dana Ruiz"),
        "{subject}"
    );
    let body = message.split_once("\n\n").map(|(_, b)| b).unwrap_or("");
    assert!(body.starts_with("Hi Sam,"), "{body}");
    assert!(body.contains("explicit request"), "{body}");
    assert!(body.contains("talk to a real person"), "{body}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, status) = h.get("/v1/admin/tenants", &operator).await;
    let acme = tenant_status(&status, "acme-plumbing");
    assert_eq!(kind(acme, "alert_email")["delivered"], 1, "{acme}");
    assert_eq!(acme["delivery_failures"], 0, "{acme}");
}
