//! Polling futures by hand: what strikes around a call, and the driver.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use avc_order_sync::ErrorKind;

use super::world::World;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CallKind {
    /// A read from Amazon or NetSuite.
    Read,
    /// A call with an effect at Amazon or NetSuite.
    Effect,
    /// A store read.
    Store,
    /// A store write.
    StoreWrite,
}

pub(super) enum Before {
    Go,
    Fail(ErrorKind),
    Hang,
}

pub(super) enum After {
    Keep,
    Lose,
    Hang,
}

/// How a driven future ended.
pub enum Driven<T> {
    Done(T),
    /// The process crashed in it; it was dropped there.
    Crashed,
    /// It neither finished nor crashed in a bounded number of polls.
    Stuck,
}

const POLL_LIMIT: usize = 500_000;

pub(super) type Task<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Polls the futures in turn (the world's generator picks which next) until each has
/// finished or crashed. One future is one engine's cycle.
pub fn drive<'a, T>(world: &World, tasks: Vec<Task<'a, T>>) -> Vec<Driven<T>> {
    let mut slots: Vec<Option<Task<'a, T>>> = tasks.into_iter().map(Some).collect();
    let mut results: Vec<Option<Driven<T>>> = slots.iter().map(|_| None).collect();
    let mut cx = Context::from_waker(Waker::noop());
    let mut polls = 0;
    loop {
        let live: Vec<usize> = (0..slots.len()).filter(|i| slots[*i].is_some()).collect();
        if live.is_empty() {
            break;
        }
        let index = live[world.sched_below(live.len() as u64) as usize];
        let Some(task) = slots[index].as_mut() else {
            continue;
        };
        let poll = task.as_mut().poll(&mut cx);
        if let Poll::Ready(output) = poll {
            slots[index] = None;
            results[index] = Some(Driven::Done(output));
        } else if world.take_crash() {
            slots[index] = None;
            results[index] = Some(Driven::Crashed);
        }
        polls += 1;
        if polls > POLL_LIMIT {
            for (slot, result) in slots.iter_mut().zip(results.iter_mut()) {
                if slot.take().is_some() {
                    *result = Some(Driven::Stuck);
                }
            }
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or(Driven::Stuck))
        .collect()
}

pub fn drive_one<T>(world: &World, task: impl Future<Output = T>) -> Driven<T> {
    drive(world, vec![Box::pin(task)])
        .pop()
        .unwrap_or(Driven::Stuck)
}
