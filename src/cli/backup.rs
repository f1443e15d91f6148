//! `contacts backup OUT --url URL --key KEY`: asks the running server for a backup (`GET
//! /admin/backup`; the server owns its file, so the copy is made there) and saves it as OUT:
//! downloaded into `OUT.tmp`, fsynced, checked (`store::check_file`: it opens, passes the
//! integrity checks and is at a schema version this binary knows), renamed to OUT and the
//! directory fsynced. OUT is never left half written, and an existing OUT is not replaced.
//!
//! The HTTP client is the smallest that does this: one blocking HTTP/1.1 GET over a plain TCP
//! socket, an answer with a `Content-Length` (which the server always sends for a backup)
//! copied to the file as it arrives. No TLS: the server speaks plain HTTP, normally on the
//! loopback address.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{exit, megabytes, Failed};
use crate::store;

/// Time to connect, and the longest silence while the server makes its copy (minutes for a
/// database of many gigabytes) or while the answer comes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// An answer's head is a few hundred bytes; more is not our server.
const MAX_HEAD: usize = 64 * 1024;

/// Where the server is: `host:port` and the path the API is mounted under.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    pub authority: String,
    pub base_path: String,
}

/// `http://host[:port][/prefix]` (the port defaults to 80).
pub fn parse_url(url: &str) -> Result<Target, Failed> {
    let rest = if let Some(rest) = url.strip_prefix("http://") {
        rest
    } else if url.starts_with("https://") {
        return Err(Failed::new(
            exit::FAILED,
            "https:// is not supported: the server speaks plain HTTP (use its http:// address)",
        ));
    } else {
        return Err(Failed::new(exit::FAILED, format!("{url} is not an http:// URL")));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return Err(Failed::new(exit::FAILED, format!("{url} names no host")));
    }
    let authority = if authority.rsplit_once(':').is_some_and(|(_, port)| port.parse::<u16>().is_ok())
        && !authority.ends_with(']')
    {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    Ok(Target { authority, base_path: path.trim_end_matches('/').to_string() })
}

/// Downloads a backup from the server at `url` with the administrator's `key` into `out`;
/// the line to print when it is done.
pub fn run(out: &Path, url: &str, key: &str) -> Result<String, Failed> {
    let started = Instant::now();
    if out.exists() {
        return Err(Failed::new(exit::FAILED, format!("{} already exists; name a new file", out.display())));
    }
    let target = parse_url(url)?;
    let temp = {
        let mut name = out.as_os_str().to_owned();
        name.push(".tmp");
        PathBuf::from(name)
    };
    let saved = download(&target, key, &temp).and_then(|bytes| {
        let check = store::check_file(&temp)?;
        if !check.is_sound() {
            return Err(Failed::new(
                exit::UNSOUND,
                format!("the downloaded copy failed its check:\n  {}", check.problems.join("\n  ")),
            ));
        }
        std::fs::rename(&temp, out).map_err(|e| io_failed("rename the download to", out, e))?;
        sync_dir(out)?;
        Ok((bytes, check))
    });
    let (bytes, check) = saved.inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })?;
    Ok(format!(
        "Saved a backup of {} contacts ({}, schema version {}) to {} in {:.1} s",
        check.contacts,
        megabytes(bytes),
        check.schema_version,
        out.display(),
        started.elapsed().as_secs_f64()
    ))
}

/// GETs the backup into `temp` (created or truncated) and fsyncs it; the bytes received.
fn download(target: &Target, key: &str, temp: &Path) -> Result<u64, Failed> {
    let unreachable = |e: std::io::Error| Failed::new(exit::FAILED, format!("cannot reach {}: {e}", target.authority));
    let addr = target
        .authority
        .to_socket_addrs()
        .map_err(unreachable)?
        .next()
        .ok_or_else(|| Failed::new(exit::FAILED, format!("{} names no address", target.authority)))?;
    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).map_err(unreachable)?;
    stream.set_read_timeout(Some(READ_TIMEOUT)).map_err(unreachable)?;
    let request = format!(
        "GET {}/admin/backup HTTP/1.1\r\nHost: {}\r\nX-Redmine-API-Key: {key}\r\nUser-Agent: contacts-backup\r\nConnection: close\r\n\r\n",
        target.base_path, target.authority
    );
    stream.write_all(request.as_bytes()).map_err(unreachable)?;
    let mut reader = BufReader::with_capacity(256 * 1024, stream);
    let head = read_head(&mut reader)?;
    match head.status {
        200 => {}
        401 => {
            return Err(Failed::new(exit::FAILED, "the server refused the API key (401): give the administrator's key"))
        }
        403 => return Err(Failed::new(exit::FAILED, "the key is not an administrator's (403)")),
        404 => {
            return Err(Failed::new(exit::FAILED, "the server has no /admin/backup (404): is it a contacts server?"))
        }
        status => {
            let mut body = Vec::new();
            let _ = reader.take(4096).read_to_end(&mut body);
            return Err(Failed::new(
                exit::FAILED,
                format!("the server answered {status}: {}", String::from_utf8_lossy(&body).trim()),
            ));
        }
    }
    let length = head.content_length.ok_or_else(|| Failed::new(exit::FAILED, "the answer has no Content-Length"))?;
    let mut file = std::fs::File::create(temp).map_err(|e| io_failed("create", temp, e))?;
    let copied = std::io::copy(&mut (&mut reader).take(length), &mut file)
        .map_err(|e| Failed::new(exit::FAILED, format!("the download broke off: {e}")))?;
    if copied != length {
        return Err(Failed::new(
            exit::FAILED,
            format!("the server closed the connection after {copied} of {length} bytes"),
        ));
    }
    file.sync_all().map_err(|e| io_failed("fsync", temp, e))?;
    Ok(copied)
}

struct Head {
    status: u16,
    content_length: Option<u64>,
}

/// The status line and headers, up to the blank line.
fn read_head(reader: &mut impl BufRead) -> Result<Head, Failed> {
    let broken = |what: String| Failed::new(exit::FAILED, format!("not an HTTP answer: {what}"));
    let mut read = 0;
    let mut line = String::new();
    let mut next_line = |line: &mut String| -> Result<(), Failed> {
        line.clear();
        let n = reader.read_line(line).map_err(|e| Failed::new(exit::FAILED, format!("reading the answer: {e}")))?;
        read += n;
        if n == 0 || read > MAX_HEAD {
            return Err(broken("the head ended early or is too long".into()));
        }
        Ok(())
    };
    next_line(&mut line)?;
    let status = line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| broken(line.trim().to_string()))?;
    let mut content_length = None;
    loop {
        next_line(&mut line)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                content_length = None;
            }
        }
    }
    Ok(Head { status, content_length })
}

fn sync_dir(path: &Path) -> Result<(), Failed> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    #[cfg(unix)]
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_failed("fsync the directory", dir, e))?;
    Ok(())
}

fn io_failed(what: &str, path: &Path, e: std::io::Error) -> Failed {
    Failed::new(exit::FAILED, format!("cannot {what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_host_a_port_and_a_prefix() {
        let t = |a: &str, p: &str| Target { authority: a.into(), base_path: p.into() };
        assert_eq!(parse_url("http://127.0.0.1:3000").unwrap(), t("127.0.0.1:3000", ""));
        assert_eq!(parse_url("http://example.org/crm/").unwrap(), t("example.org:80", "/crm"));
        assert_eq!(parse_url("http://[::1]:8080/x").unwrap(), t("[::1]:8080", "/x"));
        assert_eq!(parse_url("http://[::1]").unwrap(), t("[::1]:80", ""));
        assert!(parse_url("https://example.org").unwrap_err().message.contains("not supported"));
        assert!(parse_url("example.org").is_err());
        assert!(parse_url("http:///x").is_err());
    }

    #[test]
    fn the_head_gives_status_and_length() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.sqlite3\r\ncontent-length: 4096\r\n\r\nSQLite";
        let head = read_head(&mut &raw[..]).unwrap();
        assert_eq!((head.status, head.content_length), (200, Some(4096)));
        assert!(read_head(&mut &b"SSH-2.0-OpenSSH\r\n"[..]).is_err());
        assert!(read_head(&mut &b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"[..]).is_err(), "no blank line");
    }
}
