//! URLs as error messages and logs may show them: never their credentials.

/// The host (with port) and the path of a URL, without scheme, user, password or query:
/// `redis://:secret@cache:6379/0` → (`cache:6379`, `0`).
pub fn host_and_path(url: &str) -> (&str, &str) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let rest = rest.split('?').next().unwrap_or(rest);
    rest.split_once('/').unwrap_or((rest, ""))
}

#[cfg(test)]
mod tests {
    use super::host_and_path;

    #[test]
    fn credentials_and_queries_never_show() {
        assert_eq!(
            host_and_path("redis://:secret@cache:6379/0"),
            ("cache:6379", "0")
        );
        assert_eq!(
            host_and_path("redis://127.0.0.1:6380"),
            ("127.0.0.1:6380", "")
        );
        assert_eq!(
            host_and_path("postgres://app:hunter2@db.internal:5432/moonlight?sslmode=require"),
            ("db.internal:5432", "moonlight")
        );
    }
}
