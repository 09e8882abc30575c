//! The buffer, the processing loop and the subscriber, started together
//! in the order that keeps every accepted batch storable: with the
//! embedded buffer at once; with Redis only once it answers, and the
//! subscriber (so the embedded broker opens to receivers) only then.

use tokio::sync::mpsc;

use super::Pipeline;
use crate::buffer::Embedded;
use crate::buffer::redis::{self, Feeder, RedisBuffer};
use crate::component::{Component, Tasks};
use crate::ingest::{Acker, Arrival, Subscriber};

/// Which buffer holds accepted batches.
#[derive(Debug, Clone)]
pub enum BufferChoice {
    /// The in-memory queue.
    Embedded,
    /// A Redis stream.
    Redis(redis::Settings),
}

/// Everything the processing side starts with.
#[derive(Debug)]
pub struct Processing {
    /// The loop, with the processor and the writer.
    pub pipeline: Pipeline,
    /// Which buffer.
    pub buffer: BufferChoice,
    /// The subscriber, started once the buffer is ready.
    pub subscriber: Subscriber,
    /// Its batch messages.
    pub queue: mpsc::Receiver<Arrival>,
    /// Acknowledges to the broker.
    pub acker: Acker,
}

impl Component for Processing {
    type Handle = ();

    async fn start(self, tasks: &Tasks) -> anyhow::Result<()> {
        let Processing {
            pipeline,
            buffer,
            subscriber,
            queue,
            acker,
        } = self;
        let cancel = tasks.cancel.clone();
        match buffer {
            BufferChoice::Embedded => {
                let buffer = Embedded::new(queue, acker, pipeline.confirmer.clone());
                tasks.spawn(pipeline.run(buffer, cancel));
                subscriber.start(tasks).await
            }
            BufferChoice::Redis(settings) => {
                let tasks = tasks.clone();
                let outer = tasks.clone();
                outer.spawn(async move {
                    let health = pipeline.shared.health.clone();
                    // Two connections: the consumer's blocking XREADGROUP
                    // must not hold up the feeder's XADDs on a shared
                    // (multiplexed) one.
                    let Some(consumer) = redis::connect(&settings, &health, &cancel).await else {
                        return;
                    };
                    let Some(feeding) = redis::connect(&settings, &health, &cancel).await else {
                        return;
                    };
                    let feeder = Feeder {
                        queue,
                        acker,
                        confirmer: pipeline.confirmer.clone(),
                        redis: feeding,
                        health: health.clone(),
                    };
                    tasks.spawn(feeder.run(cancel.clone()));
                    if let Err(e) = subscriber.start(&tasks).await {
                        tracing::error!(error = %e, "subscriber failed to start");
                        return;
                    }
                    pipeline
                        .run(RedisBuffer::new(consumer, health), cancel)
                        .await;
                });
                Ok(())
            }
        }
    }
}
