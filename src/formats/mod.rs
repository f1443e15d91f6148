//! Exchange file formats (issue 15): vCard (`vcard.rs`) and CSV (`csv.rs`), read into and
//! written from `domain::exchange::Record`. Pure parsing and writing: no SQL, no HTTP. A file
//! that is not what it claims gets a [`FormatError`] naming its line, never a panic.

pub mod csv;
pub mod vcard;

use std::io::Read;

/// The longest physical line read (a 100 MB line is refused, not buffered). An inline photo
/// on one unfolded line is the largest thing real files hold.
pub const MAX_LINE: usize = 8 * 1024 * 1024;

/// The kinds of file an import or export knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Vcard,
    Csv,
}

impl Kind {
    /// `vcf`/`vcard` or `csv`.
    pub fn from_name(name: &str) -> Option<Kind> {
        match name.to_ascii_lowercase().as_str() {
            "vcf" | "vcard" | "text/vcard" | "text/x-vcard" => Some(Kind::Vcard),
            "csv" | "text/csv" => Some(Kind::Csv),
            _ => None,
        }
    }

    /// The kind a file's name or first bytes say: `.vcf`, `.csv`, else a file that starts with
    /// `BEGIN:VCARD` is a vCard and anything else CSV.
    pub fn guess(file_name: Option<&str>, head: &[u8]) -> Kind {
        if let Some(kind) = file_name.and_then(|n| n.rsplit_once('.')).and_then(|(_, ext)| Kind::from_name(ext)) {
            return kind;
        }
        let text = String::from_utf8_lossy(&head[..head.len().min(64)]);
        if text.trim_start_matches('\u{feff}').trim_start().to_ascii_uppercase().starts_with("BEGIN:VCARD") {
            Kind::Vcard
        } else {
            Kind::Csv
        }
    }
}

/// A file that is not what it claims, at a line (from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    pub line: u64,
    pub message: String,
}

impl FormatError {
    pub fn new(line: u64, message: impl Into<String>) -> FormatError {
        FormatError { line, message: message.into() }
    }
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// How a text file is encoded, found by reading it once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scan {
    /// Every byte sequence is UTF-8 (else the file is read as Windows-1252).
    pub utf8: bool,
    /// It starts with a UTF-8 byte order mark.
    pub bom: bool,
    pub lines: u64,
    pub bytes: u64,
}

/// Reads a text file through once: its encoding and size, refusing binary data (NUL bytes)
/// and lines longer than [`MAX_LINE`], each with its line.
pub fn scan(mut input: impl Read) -> Result<Scan, FormatError> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    let mut scan = Scan { utf8: true, bom: false, lines: 0, bytes: 0 };
    let mut line_len = 0usize;
    let mut first = true;
    loop {
        let n = input.read(&mut buf).map_err(|e| FormatError::new(scan.lines + 1, format!("cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        if first {
            scan.bom = chunk.starts_with(b"\xEF\xBB\xBF");
            first = false;
        }
        scan.bytes += n as u64;
        for b in chunk {
            match b {
                b'\n' => {
                    scan.lines += 1;
                    line_len = 0;
                }
                0 => return Err(FormatError::new(scan.lines + 1, "binary data, not a text file")),
                _ => {
                    line_len += 1;
                    if line_len > MAX_LINE {
                        let mib = MAX_LINE >> 20;
                        return Err(FormatError::new(scan.lines + 1, format!("the line is longer than {mib} MiB")));
                    }
                }
            }
        }
        if scan.utf8 {
            carry.extend_from_slice(chunk);
            match std::str::from_utf8(&carry) {
                Ok(_) => carry.clear(),
                Err(e) if e.error_len().is_none() => {
                    // A character cut by the chunk's end: keep its start for the next chunk.
                    carry.drain(..e.valid_up_to());
                }
                Err(_) => {
                    scan.utf8 = false;
                    carry.clear();
                }
            }
        }
    }
    if !carry.is_empty() {
        scan.utf8 = false;
    }
    if line_len > 0 {
        scan.lines += 1;
    }
    Ok(scan)
}

/// Decodes a field's bytes: UTF-8 when the file is, else Windows-1252.
pub fn decode(bytes: &[u8], utf8: bool) -> String {
    if utf8 {
        match std::str::from_utf8(bytes) {
            Ok(s) => return s.to_string(),
            Err(_) => return String::from_utf8_lossy(bytes).into_owned(),
        }
    }
    encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_find_the_encoding_and_refuse_binary_data_and_long_lines() {
        let s = scan(&b"\xEF\xBB\xBFa;b\nc;d\n"[..]).unwrap();
        assert!(s.utf8 && s.bom);
        assert_eq!(s.lines, 2);
        assert!(!scan(&b"M\xFCller\n"[..]).unwrap().utf8);
        assert_eq!(scan(&b"ok\nbad\0\n"[..]).unwrap_err().line, 2);
        let long = vec![b'x'; MAX_LINE + 10];
        assert_eq!(scan(&long[..]).unwrap_err().line, 1);
        assert_eq!(decode(b"M\xFCller", false), "Müller");
    }
}

#[cfg(test)]
mod samples;
