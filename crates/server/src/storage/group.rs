//! Group commit: one writer task per SQLite database applies every push waiting for it in one
//! transaction, with one commit, so concurrent phones share one fsync.
//!
//! SQLite has one writer and, with `synchronous=FULL`, each commit waits for the disk: pushing
//! alone, every push pays a full fsync and more phones add nothing. Here a push is queued
//! (bounded channel: a full queue makes the handler wait, and the request timeout bounds that
//! wait), the task takes everything waiting (up to [`MAX_BATCH`]), applies the pushes in the order
//! they arrived, each in its own savepoint (a refused push leaves its batch-mates' writes in
//! place), commits once, and only then answers each: acknowledged still means committed.
//!
//! PostgreSQL does not use it: a pool of connections commits pushes to different towns in
//! parallel, and PostgreSQL already flushes the WAL records of concurrent commits together.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::{NewOp, PushOutcome, StorageError};

/// Pushes waiting at most in the queue; beyond, handlers wait for room.
const QUEUE: usize = 1024;

/// Pushes at most in one transaction: a bound on how long the first of them waits for the commit
/// (a push carries at most [`diagnostic::sync::MAX_BATCH`] operations).
pub const MAX_BATCH: usize = 64;

/// One push, as the storage applies it (borrowed from the handler or from the queue).
#[derive(Debug, Clone, Copy)]
pub struct PushArgs<'a> {
    pub town_id: i64,
    pub device_id: &'a str,
    pub ops: &'a [NewOp],
    pub now_ms: i64,
    /// A relayed push ([`diagnostic::sync::Push::relay`]): operations of other devices of the
    /// town are stored, their unknown devices get a placeholder row, and `ops.relayed_by` names
    /// the pusher. The batch passed [`diagnostic::sync::server::check_relay`].
    pub relay: bool,
}

/// A backend that can apply several pushes in one transaction (`queries.rs`).
pub trait PushBatch: Send + Sync + 'static {
    /// One outcome per push, in order.
    fn push_batch(
        &self,
        pushes: &[PushArgs<'_>],
    ) -> impl Future<Output = Vec<Result<PushOutcome, StorageError>>> + Send;
}

/// What the writer task has done since start, for `/metrics`.
#[derive(Debug, Default)]
pub struct GroupStats {
    /// Transactions committed (or tried) by the writer.
    pub batches: AtomicU64,
    /// Pushes they carried.
    pub pushes: AtomicU64,
}

struct Queued {
    town_id: i64,
    device_id: String,
    ops: Vec<NewOp>,
    now_ms: i64,
    relay: bool,
    reply: oneshot::Sender<Result<PushOutcome, StorageError>>,
}

/// The queue to a database's writer task. The task ends when the last clone is dropped.
#[derive(Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<Queued>,
    stats: Arc<GroupStats>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("batches", &self.stats.batches.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl GroupCommit {
    /// Starts the writer task over `backend`, which must not itself hold this queue (or the task
    /// would never end).
    pub fn spawn<B: PushBatch>(backend: B) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE);
        let stats = Arc::new(GroupStats::default());
        tokio::spawn(write(backend, waiting, stats.clone()));
        GroupCommit { queue, stats }
    }

    /// Queues the push and waits for its outcome, given after the commit that stored it.
    pub async fn push(&self, push: PushArgs<'_>) -> Result<PushOutcome, StorageError> {
        let (reply, outcome) = oneshot::channel();
        let queued = Queued {
            town_id: push.town_id,
            device_id: push.device_id.to_string(),
            ops: push.ops.to_vec(),
            now_ms: push.now_ms,
            relay: push.relay,
            reply,
        };
        self.queue
            .send(queued)
            .await
            .map_err(|_| StorageError::WriterStopped)?;
        outcome.await.map_err(|_| StorageError::WriterStopped)?
    }

    pub fn stats(&self) -> &GroupStats {
        &self.stats
    }
}

async fn write<B: PushBatch>(
    backend: B,
    mut waiting: mpsc::Receiver<Queued>,
    stats: Arc<GroupStats>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Waits for one push, then takes every other one already waiting.
    while waiting.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let pushes: Vec<PushArgs<'_>> = batch
            .iter()
            .map(|queued| PushArgs {
                town_id: queued.town_id,
                device_id: &queued.device_id,
                ops: &queued.ops,
                now_ms: queued.now_ms,
                relay: queued.relay,
            })
            .collect();
        let outcomes = backend.push_batch(&pushes).await;
        drop(pushes);
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats
            .pushes
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        for (queued, outcome) in batch.drain(..).zip(outcomes) {
            // The handler may be gone (client disconnected): its push stands all the same.
            let _ = queued.reply.send(outcome);
        }
    }
}

/// Every push of a batch gets the failure of the batch's transaction (its start or its commit).
pub fn shared_failure(err: StorageError, pushes: usize) -> Vec<Result<PushOutcome, StorageError>> {
    if pushes == 1 {
        return vec![Err(err)];
    }
    let err = Arc::new(err);
    (0..pushes)
        .map(|_| Err(StorageError::Batch(err.clone())))
        .collect()
}
