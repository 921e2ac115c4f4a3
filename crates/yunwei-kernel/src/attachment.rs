//! Rules for uploaded files: safe names and the content types they may be served with.

/// Strips directories, control characters and characters that are unsafe in file names or
/// headers; keeps letters of any script (Chinese names stay readable). Never empty.
pub fn sanitize_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String =
        base.chars().filter(|c| !c.is_control()).map(|c| if "<>:\"|?*;%".contains(c) { '_' } else { c }).collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let mut out: String = trimmed.chars().take(200).collect();
    if out.is_empty() {
        out = "attachment".to_string();
    }
    out
}

/// The content type to serve a file with and whether a browser may show it inline. Only
/// raster images and PDF are shown inline; everything else (HTML, SVG, scripts…) is served as
/// a download of type `application/octet-stream`, whatever the uploader claimed.
pub fn served_type(file_name: &str) -> (&'static str, bool) {
    let ext = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "png" => ("image/png", true),
        "jpg" | "jpeg" => ("image/jpeg", true),
        "gif" => ("image/gif", true),
        "webp" => ("image/webp", true),
        "pdf" => ("application/pdf", true),
        "txt" | "log" => ("text/plain; charset=utf-8", false),
        "csv" => ("text/csv; charset=utf-8", false),
        "xlsx" => ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", false),
        _ => ("application/octet-stream", false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_components_and_hidden_prefixes_are_removed() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("C:\\Users\\li\\报修单.xlsx"), "报修单.xlsx");
        assert_eq!(sanitize_file_name(".htaccess"), "htaccess");
        assert_eq!(sanitize_file_name("a<script>.html"), "a_script_.html");
        assert_eq!(sanitize_file_name("bad\r\nname.txt"), "badname.txt");
        assert_eq!(sanitize_file_name("///"), "attachment");
        assert_eq!(sanitize_file_name(&"长".repeat(300)).chars().count(), 200);
    }

    #[test]
    fn spreadsheets_are_downloaded_with_their_type() {
        assert_eq!(served_type("资产.CSV"), ("text/csv; charset=utf-8", false));
        assert_eq!(served_type("cis.xlsx").0, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    }

    #[test]
    fn html_and_svg_are_never_served_inline() {
        assert_eq!(served_type("x.html"), ("application/octet-stream", false));
        assert_eq!(served_type("x.svg"), ("application/octet-stream", false));
        assert_eq!(served_type("screen.PNG"), ("image/png", true));
        assert_eq!(served_type("noext"), ("application/octet-stream", false));
    }
}
