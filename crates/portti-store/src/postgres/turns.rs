//! A queue that a few worker tasks take turns at, each taking everything waiting at once:
//! the shape of PostgreSQL's grouped inserts and batched lookups.

use portti_core::{Error, Result};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// The receiving end of a queue, shared by its workers.
pub(super) struct Turns<T>(Arc<Mutex<mpsc::UnboundedReceiver<T>>>);

impl<T> Clone for Turns<T> {
    fn clone(&self) -> Self {
        Turns(self.0.clone())
    }
}

/// A new queue: where requests are sent, and where workers take them.
pub(super) fn queue<T>() -> (mpsc::UnboundedSender<T>, Turns<T>) {
    let (send, receive) = mpsc::unbounded_channel();
    (send, Turns(Arc::new(Mutex::new(receive))))
}

impl<T> Turns<T> {
    /// Wait for this worker's turn and for a request; take it and every other one waiting
    /// (at most `most`). `None` once every sender is gone.
    pub(super) async fn take(&self, most: usize) -> Option<Vec<T>> {
        let mut waiting = self.0.lock().await;
        let first = waiting.recv().await?;
        let mut taken = vec![first];
        while taken.len() < most {
            match waiting.try_recv() {
                Ok(next) => taken.push(next),
                Err(_) => break,
            }
        }
        Some(taken)
    }
}

/// Send the request `make` builds around its answer's channel, and wait for the answer.
pub(super) async fn ask<T, V>(
    queue: &mpsc::UnboundedSender<T>,
    make: impl FnOnce(oneshot::Sender<Result<V>>) -> T,
) -> Result<V> {
    let (answer, heard) = oneshot::channel();
    queue.send(make(answer)).map_err(|_| Error::Unavailable("the store is closing".into()))?;
    heard.await.map_err(|_| Error::Internal("a request to the store was lost".into()))?
}
