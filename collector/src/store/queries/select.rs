//! What a query selects: a time window, an area, a minute range and a
//! page (keyset pagination: rows after the last id of the previous page).

/// Times from `from` to `to`, Unix ms, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    /// Earliest, Unix ms.
    pub from: i64,
    /// Latest, Unix ms.
    pub to: i64,
}

impl TimeWindow {
    /// Every time.
    pub const ALL: Self = Self {
        from: 0,
        to: i64::MAX,
    };
}

/// A latitude/longitude box, degrees, edges included; west of east (one
/// that crosses the antimeridian matches nothing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    /// Southern edge.
    pub south: f64,
    /// Western edge.
    pub west: f64,
    /// Northern edge.
    pub north: f64,
    /// Eastern edge.
    pub east: f64,
}

impl Area {
    /// The whole world.
    pub const WORLD: Self = Self {
        south: -90.0,
        west: -180.0,
        north: 90.0,
        east: 180.0,
    };
}

/// Minutes (Unix time / 60) from `from` included to `to` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinuteRange {
    /// First minute.
    pub from: i64,
    /// The minute after the last.
    pub to: i64,
}

/// Up to `limit` rows with ids above `after`, in id order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// The last id of the previous page (0 for the first).
    pub after: i64,
    /// Most rows.
    pub limit: i64,
}

impl Page {
    /// The cursor for the page after this one, given this page's row
    /// count and last id: that id when the page is full, else none.
    pub fn next(&self, rows: usize, last_id: Option<i64>) -> Option<i64> {
        last_id.filter(|_| rows as i64 == self.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_full_page_has_a_next_one() {
        let page = Page { after: 0, limit: 2 };
        assert_eq!(page.next(2, Some(7)), Some(7));
        assert_eq!(page.next(1, Some(7)), None);
        assert_eq!(page.next(0, None), None);
    }
}
