//! The private-address guard, class by class, v4 and v6, and `check_url`'s refusals.

use super::*;

/// Every class of address, v4 and v6, with whether a webhook may reach it.
const MATRIX: &[(&str, bool)] = &[
    // Public.
    ("8.8.8.8", true),
    ("1.1.1.1", true),
    ("93.184.215.14", true),
    ("9.255.255.255", true),
    ("11.0.0.0", true),
    ("100.63.255.255", true),
    ("100.128.0.0", true),
    ("172.15.255.255", true),
    ("172.32.0.0", true),
    ("192.0.1.1", true),
    ("192.167.255.255", true),
    ("192.169.0.0", true),
    ("198.17.255.255", true),
    ("198.20.0.0", true),
    ("223.255.255.255", true),
    ("2606:4700:4700::1111", true),
    ("2001:4860:4860::8888", true),
    ("2a00:1450:4001::1", true),
    ("::ffff:8.8.8.8", true),
    ("::8.8.8.8", true),
    ("64:ff9b::808:808", true),
    ("2002:808:808::1", true),
    // Unspecified and "this network".
    ("0.0.0.0", false),
    ("0.1.2.3", false),
    ("::", false),
    // Loopback.
    ("127.0.0.1", false),
    ("127.255.255.254", false),
    ("::1", false),
    // Private.
    ("10.0.0.5", false),
    ("10.255.255.255", false),
    ("172.16.0.1", false),
    ("172.31.255.255", false),
    ("192.168.0.1", false),
    ("192.168.255.255", false),
    // Link-local, the cloud metadata service among them.
    ("169.254.0.1", false),
    ("169.254.169.254", false),
    ("fe80::1", false),
    ("febf::1", false),
    // Carrier-grade NAT.
    ("100.64.0.1", false),
    ("100.127.255.255", false),
    // Unique local and the old site-local.
    ("fc00::1", false),
    ("fd12:3456:789a::1", false),
    ("fec0::1", false),
    // Multicast.
    ("224.0.0.1", false),
    ("239.255.255.250", false),
    ("ff02::1", false),
    ("ff0e::1", false),
    // Broadcast and reserved.
    ("255.255.255.255", false),
    ("240.0.0.1", false),
    ("192.0.0.8", false),
    ("192.88.99.1", false),
    ("100::1", false),
    ("4000::1", false),
    ("2001::1", false),
    ("2001:10::1", false),
    // Documentation and benchmarking.
    ("192.0.2.1", false),
    ("198.51.100.7", false),
    ("203.0.113.9", false),
    ("198.18.0.1", false),
    ("198.19.255.255", false),
    ("2001:db8::1", false),
    ("3fff::1", false),
    ("2001:2::1", false),
    // IPv6 forms judged by the IPv4 address they embed.
    ("::ffff:127.0.0.1", false),
    ("::ffff:10.0.0.1", false),
    ("::ffff:169.254.169.254", false),
    ("::ffff:0.0.0.0", false),
    ("::127.0.0.1", false),
    ("::192.168.1.1", false),
    ("64:ff9b::7f00:1", false),
    ("64:ff9b::a9fe:a9fe", false),
    ("2002:7f00:1::", false),
    ("2002:c0a8:101::1", false),
    ("2002:a00:1::", false),
];

#[test]
fn only_public_addresses_are_public() {
    let wrong: Vec<_> = MATRIX
        .iter()
        .filter(|(ip, public)| is_public(ip.parse().unwrap()) != *public)
        .collect();
    assert!(wrong.is_empty(), "misjudged: {wrong:?}");
}

#[test]
fn a_refusal_names_the_kind_of_address() {
    let kind = |ip: &str| not_public_kind(ip.parse().unwrap());
    assert_eq!(kind("127.0.0.1"), Some("a loopback address"));
    assert_eq!(kind("::ffff:127.0.0.1"), Some("a loopback address"));
    assert_eq!(kind("169.254.169.254"), Some("a link-local address"));
    assert_eq!(
        kind("100.64.0.1"),
        Some("a shared (carrier-grade NAT) address")
    );
    assert_eq!(kind("fd00::1"), Some("a private address"));
    assert_eq!(kind("255.255.255.255"), Some("a broadcast address"));
    assert_eq!(kind("0.0.0.0"), Some("an unspecified address"));
    assert_eq!(kind("2001:db8::1"), Some("a documentation address"));
    assert_eq!(kind("8.8.8.8"), None);
}

#[tokio::test]
async fn private_ip_literals_are_refused() {
    for url in [
        "https://127.0.0.1/hook",
        "https://127.1.2.3:8443/hook",
        "https://0x7f.1/hook",
        "https://10.0.0.5/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://255.255.255.255/hook",
        "https://198.51.100.7/hook",
        "https://[::1]/hook",
        "https://[::]/hook",
        "https://[fe80::1]/hook",
        "https://[fd12::1]/hook",
        "https://[ff02::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:a9fe:a9fe]/hook",
        "https://[64:ff9b::a00:5]/hook",
        "https://[2002:c0a8:101::]/hook",
        "https://[2001:db8::1]/hook",
    ] {
        let refusal = check_url(url, false).await.unwrap_err();
        assert!(
            matches!(refusal, UrlRefusal::PrivateAddress { .. }),
            "{url}: {refusal}"
        );
    }
    assert_eq!(
        check_url("https://10.0.0.5/hook", false)
            .await
            .unwrap_err()
            .to_string(),
        "the url's host is a private address (10.0.0.5), which webhooks may not reach"
    );
    assert_eq!(
        check_url("https://[::ffff:127.0.0.1]/", false)
            .await
            .unwrap_err()
            .to_string(),
        "the url's host is a loopback address (::ffff:127.0.0.1), which webhooks may not reach"
    );
}

#[tokio::test]
async fn a_name_that_resolves_to_loopback_is_refused() {
    let refusal = check_url("https://localhost:8443/hook", false)
        .await
        .unwrap_err();
    assert!(
        matches!(refusal, UrlRefusal::ResolvesToPrivate { kind, .. } if kind == "a loopback address"),
        "{refusal}"
    );
    assert!(refusal
        .to_string()
        .starts_with("the url's host resolves to a loopback address ("));
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_refused() {
    // The .invalid domain never resolves (RFC 6761).
    assert_eq!(
        check_url("https://hooks.example.invalid/x", false).await,
        Err(UrlRefusal::Unresolvable {
            host: "hooks.example.invalid".into()
        })
    );
}

#[tokio::test]
async fn a_public_ip_literal_is_accepted_without_resolving() {
    let url = check_url("https://93.184.215.14/hooks?x=1", false)
        .await
        .unwrap();
    assert_eq!(url.as_str(), "https://93.184.215.14/hooks?x=1");
    assert!(check_url("https://[2606:4700:4700::1111]:8443/", false)
        .await
        .is_ok());
}

#[tokio::test]
async fn the_form_of_the_url_is_checked() {
    let refused = |url: String, allow_private| async move {
        check_url(&url, allow_private)
            .await
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        refused("http://93.184.215.14/hook".into(), false).await,
        "the url must use https"
    );
    assert_eq!(
        refused("ftp://93.184.215.14/hook".into(), true).await,
        "the url must use https or http"
    );
    assert_eq!(
        refused("https://user:pw@93.184.215.14/".into(), false).await,
        "the url must not contain a user name or password"
    );
    assert_eq!(
        refused("https://user@93.184.215.14/".into(), false).await,
        "the url must not contain a user name or password"
    );
    assert_eq!(
        refused("/hooks".into(), false).await,
        "the url is not valid: relative URL without a base"
    );
    assert_eq!(
        refused("https://".into(), false).await,
        "the url is not valid: empty host"
    );
    let long = format!("https://93.184.215.14/{}", "a".repeat(MAX_URL_CHARS));
    assert_eq!(
        refused(long, false).await,
        "the url must be at most 2048 characters long"
    );
    let longest = format!("https://93.184.215.14/{}", "a".repeat(MAX_URL_CHARS - 22));
    assert_eq!(longest.len(), MAX_URL_CHARS);
    assert!(check_url(&longest, false).await.is_ok());
}

#[tokio::test]
async fn allow_private_accepts_http_and_private_hosts_without_resolving() {
    for url in [
        "http://127.0.0.1:3000/hook",
        "http://10.0.0.5/hook",
        "https://[::1]:8443/hook",
        "http://localhost:3000/hook",
        "https://hooks.example.invalid/hook",
    ] {
        assert!(check_url(url, true).await.is_ok(), "{url}");
    }
}

#[test]
fn only_public_resolved_addresses_are_kept() {
    let addresses = |list: &[&str]| -> Vec<SocketAddr> {
        list.iter()
            .map(|ip| SocketAddr::new(ip.parse().unwrap(), 443))
            .collect()
    };
    let mixed = addresses(&["10.0.0.5", "93.184.215.14", "::1", "2606:4700::1"]);
    assert_eq!(
        keep_reachable(mixed.clone(), false).unwrap(),
        addresses(&["93.184.215.14", "2606:4700::1"])
    );
    assert_eq!(keep_reachable(mixed.clone(), true).unwrap(), mixed);
    assert_eq!(
        keep_reachable(addresses(&["127.0.0.1", "::1"]), false),
        Err(UrlRefusal::ResolvesToPrivate {
            address: "127.0.0.1".parse().unwrap(),
            kind: "a loopback address"
        })
    );
}
