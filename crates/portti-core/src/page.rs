//! Paging and sorting of list requests.

/// The largest page a list answers; larger requests are clamped.
pub const MAX_COUNT: u32 = 500;
/// The page size when the request names none.
pub const DEFAULT_COUNT: u32 = 100;

/// Which slice of a result set to return, and in what order.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    /// 0-based offset of the first item.
    pub start: u64,
    /// Page size, already clamped to [`MAX_COUNT`].
    pub count: u32,
    /// Sort attribute and direction; `None` means creation order.
    pub sort: Option<Sort>,
}

impl PageRequest {
    /// A page request with `count` clamped to `1..=MAX_COUNT` (0 stays 0: count only).
    pub fn new(start: u64, count: Option<u32>, sort: Option<Sort>) -> Self {
        let count = count.unwrap_or(DEFAULT_COUNT).min(MAX_COUNT);
        PageRequest { start, count, sort }
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest::new(0, None, None)
    }
}

/// A sort key: an attribute path of the resource, and its direction.
#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    /// Attribute path, e.g. `username` or `meta.created`.
    pub by: String,
    /// Ascending when true.
    pub ascending: bool,
}

/// One page of results with the total count ignoring paging.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Every match, ignoring paging.
    pub total: u64,
    /// The request that produced the page.
    pub start: u64,
    /// The effective page size.
    pub count: u32,
}

impl<T> Page<T> {
    /// The same page with each item mapped.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            start: self.start,
            count: self.count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_is_clamped() {
        assert_eq!(PageRequest::new(0, Some(10_000), None).count, MAX_COUNT);
        assert_eq!(PageRequest::new(0, None, None).count, DEFAULT_COUNT);
    }
}
