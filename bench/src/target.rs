//! Where the load goes: only a server on this machine's loopback interface, over plain HTTP.

use std::time::Duration;

use reqwest::Url;

/// Checks `--url` and returns it as a base ending in `/`, so that `api/v1/…` joins under it.
/// Anything but `http://` on 127.0.0.1, localhost or ::1 is refused.
pub fn loopback_base(text: &str) -> Result<Url, String> {
    let mut url = Url::parse(text.trim()).map_err(|e| format!("--url {text:?} is not a URL ({e})"))?;
    if url.scheme() != "http" {
        return Err(format!(
            "--url {text:?}: only http:// is supported; yunwei-load drives a server on loopback, without TLS"
        ));
    }
    // The parser normalises hosts: `LOCALHOST` → `localhost`, `127.1` → `127.0.0.1`,
    // `[0:0::1]` → `[::1]`.
    let host = url.host_str().unwrap_or("");
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        return Err(format!(
            "refusing to load {host:?}: yunwei-load only drives a server on this machine's loopback \
             interface (127.0.0.1, localhost or ::1)"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("--url {text:?}: leave credentials out of the URL; use --token"));
    }
    url.set_query(None);
    url.set_fragment(None);
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Parses `30s`, `2m`, `1m30s`, `500ms` or an ISO 8601 duration (`PT30S`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let d: jiff::SignedDuration =
        text.trim().parse().map_err(|e| format!("{text:?} is not a duration such as 30s, 2m or 500ms ({e})"))?;
    Duration::try_from(d).map_err(|_| format!("{text:?}: a duration must not be negative"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_are_accepted_and_become_a_base_ending_in_a_slash() {
        for (given, base) in [
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
            ("http://localhost:18080/", "http://localhost:18080/"),
            ("http://LOCALHOST:18080", "http://localhost:18080/"),
            ("http://[::1]:8080", "http://[::1]:8080/"),
            ("http://127.1:8080", "http://127.0.0.1:8080/"),
            ("http://127.0.0.1:8080/yunwei?x=1#top", "http://127.0.0.1:8080/yunwei/"),
        ] {
            assert_eq!(loopback_base(given).unwrap().as_str(), base, "{given}");
            assert!(loopback_base(given).unwrap().join("api/v1/me").unwrap().path().ends_with("/api/v1/me"));
        }
    }

    #[test]
    fn other_hosts_schemes_and_credentials_are_refused() {
        for bad in [
            "http://10.0.0.5:8080",
            "http://192.168.1.2",
            "http://example.com",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
            "http://0.0.0.0:8080",
            "http://[::]:8080",
            "https://127.0.0.1:8443",
            "ftp://127.0.0.1",
            "http://admin:pw@127.0.0.1:8080",
            "127.0.0.1:8080",
            "not a url",
        ] {
            assert!(loopback_base(bad).is_err(), "{bad} was accepted");
        }
        assert!(loopback_base("http://10.0.0.5:8080").unwrap_err().contains("loopback"));
    }

    #[test]
    fn durations_read_the_way_people_write_them() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("PT5S"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("-5s").is_err());
    }
}
