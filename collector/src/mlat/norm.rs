//! Clock normalisation: putting the readings of one transmission on a
//! common clock. A base receiver is chosen (the one with most synchronised
//! pairs among those that heard it, ties to the least variance) and every
//! other reading converted through the chain of pairs with the least total
//! variance (Dijkstra), as mlat-server's clocknorm.py does for its
//! receiver graph.

use super::sync::Clocks;

/// At most this many receivers take part in one normalisation.
pub const MAX_RX: usize = 32;

/// One reading on the base clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalised {
    /// Index into the caller's list.
    pub index: usize,
    /// Base-clock seconds.
    pub t: f64,
    /// Variance of the conversion, s² (0 for the base itself).
    pub var: f64,
}

/// Chooses the base among `rxs` (receiver ids) and returns it with the
/// least-variance path cost and predecessor of every reachable receiver.
fn shortest_paths(
    clocks: &Clocks,
    rxs: &[u16],
    base: usize,
) -> ([f64; MAX_RX], [Option<usize>; MAX_RX]) {
    let n = rxs.len().min(MAX_RX);
    let mut cost = [f64::INFINITY; MAX_RX];
    let mut prev = [None; MAX_RX];
    let mut done = [false; MAX_RX];
    cost[base] = 0.0;
    while let Some(u) = (0..n)
        .filter(|&i| !done[i] && cost[i].is_finite())
        .min_by(|&a, &b| cost[a].total_cmp(&cost[b]))
    {
        done[u] = true;
        for v in 0..n {
            if done[v] {
                continue;
            }
            if let Some(var) = clocks.sample_var(rxs[u], rxs[v])
                && cost[u] + var < cost[v]
            {
                cost[v] = cost[u] + var;
                prev[v] = Some(u);
            }
        }
    }
    (cost, prev)
}

/// Picks a base: `preferred` when given and present, else the receiver
/// with the most synchronised pairs among `rxs`.
pub fn choose_base(clocks: &Clocks, rxs: &[u16], preferred: Option<u16>) -> Option<usize> {
    let n = rxs.len().min(MAX_RX);
    let degree = |i: usize| {
        (0..n)
            .filter(|&j| j != i && clocks.synced(rxs[i], rxs[j]).is_some())
            .count()
    };
    if let Some(i) = preferred.and_then(|p| rxs[..n].iter().position(|&r| r == p))
        && degree(i) > 0
    {
        return Some(i);
    }
    (0..n).filter(|&i| degree(i) > 0).max_by_key(|&i| degree(i))
}

/// Converts readings `ts` of receivers `rxs` (same order, each receiver at
/// most once in `rxs`) to the clock of `rxs[base]`, appending the
/// reachable ones to `out`. `of_rx[k]` says which receiver reading `k` is.
pub fn normalise(
    clocks: &Clocks,
    rxs: &[u16],
    base: usize,
    readings: &[(usize, f64)],
    out: &mut Vec<Normalised>,
) {
    let (cost, prev) = shortest_paths(clocks, rxs, base);
    for (index, &(slot, t)) in readings.iter().enumerate() {
        if slot >= MAX_RX || !cost[slot].is_finite() {
            continue;
        }
        // Walk from the reading's receiver to the base, converting each hop.
        let (mut at, mut time, mut var) = (slot, t, 0.0);
        let mut ok = true;
        while let Some(p) = prev[at] {
            match clocks.convert(rxs[at], rxs[p], time) {
                Some((t2, v)) => {
                    time = t2;
                    var += v;
                    at = p;
                }
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok && at == base {
            out.push(Normalised {
                index,
                t: time,
                var,
            });
        }
    }
}
