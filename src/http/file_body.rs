//! A response body read from an open file as the client takes it (the admin backup: a copy of
//! the whole database, which is never held in memory). Its exact length is known up front, so
//! hyper sends a `Content-Length`; a file that ends early fails the response (hyper then closes
//! the connection, and the client sees a short body rather than a wrong one).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, ReadBuf};

/// Bytes read at most per frame.
const CHUNK: usize = 256 * 1024;

pub struct FileBody {
    file: tokio::fs::File,
    /// Bytes still to send.
    remaining: u64,
    /// The next frame, filled across polls (a read may answer `Pending` midway).
    buf: Vec<u8>,
}

impl FileBody {
    /// Streams the first `length` bytes of `file` (read from its current position).
    pub fn new(file: std::fs::File, length: u64) -> FileBody {
        FileBody { file: tokio::fs::File::from_std(file), remaining: length, buf: Vec::new() }
    }
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = usize::try_from(this.remaining).unwrap_or(usize::MAX).min(CHUNK);
        if this.buf.len() != want {
            this.buf.resize(want, 0);
        }
        let mut read = ReadBuf::new(&mut this.buf);
        match Pin::new(&mut this.file).poll_read(cx, &mut read) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Ready(Ok(())) => {
                let n = read.filled().len();
                if n == 0 {
                    let missing = this.remaining;
                    this.remaining = 0;
                    return Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("the file ended {missing} bytes early"),
                    ))));
                }
                this.remaining -= n as u64;
                let chunk = Bytes::copy_from_slice(&this.buf[..n]);
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn streams_the_file_in_frames_and_fails_when_it_ends_early() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let content: Vec<u8> = (0..(CHUNK * 2 + 10)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let body = FileBody::new(std::fs::File::open(&path).unwrap(), content.len() as u64);
        assert_eq!(body.size_hint().exact(), Some(content.len() as u64));
        let collected = body.collect().await.unwrap().to_bytes();
        assert_eq!(collected, content);

        let body = FileBody::new(std::fs::File::open(&path).unwrap(), content.len() as u64 + 1);
        let err = body.collect().await.expect_err("a short file fails");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
