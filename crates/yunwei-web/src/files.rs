//! Files sent to the browser: an attachment, or a module's export.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;

/// `bytes` as the file `file_name`: its type by its extension (images and PDF shown inline,
/// anything else downloaded), never sniffed, and sandboxed should a browser render it.
pub fn file_response(file_name: &str, bytes: Vec<u8>) -> Response {
    let (content_type, inline) = yunwei_kernel::attachment::served_type(file_name);
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        file_name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' })
            .collect::<String>(),
        percent_encode(file_name),
    );
    let mut res = Response::new(Body::from(bytes));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    res
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
