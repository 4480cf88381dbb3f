//! How a file of a given size splits into the chunks an upload session expects.

use std::ops::Range;

/// The chunk layout of one upload: `chunk_size` 0 means "the whole file in one request".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkPlan {
    /// Plaintext file size in bytes.
    pub size: u64,
    /// Chunk size from the upload session (0 = single request).
    pub chunk_size: u64,
}

impl ChunkPlan {
    /// A plan for `size` bytes split by the session's `chunk_size`.
    pub fn new(size: u64, chunk_size: u64) -> Self {
        Self { size, chunk_size }
    }

    /// Number of chunk requests; a 0-byte file still needs one (empty) request.
    pub fn count(&self) -> u64 {
        if self.chunk_size == 0 || self.size == 0 {
            1
        } else {
            self.size.div_ceil(self.chunk_size)
        }
    }

    /// Byte range of chunk `index` within the file.
    pub fn range(&self, index: u64) -> Range<u64> {
        assert!(index < self.count(), "chunk {index} out of range");
        if self.chunk_size == 0 {
            return 0..self.size;
        }
        let start = index * self.chunk_size;
        start..(start + self.chunk_size).min(self.size)
    }

    /// Length of chunk `index`.
    pub fn len(&self, index: u64) -> u64 {
        let r = self.range(index);
        r.end - r.start
    }

    /// Whether the file has no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// Chunk indices not in `acked`, in upload order.
    pub fn missing<'a>(
        &self,
        acked: &'a std::collections::BTreeSet<u64>,
    ) -> impl Iterator<Item = u64> + 'a {
        (0..self.count()).filter(move |i| !acked.contains(i))
    }

    /// Plaintext bytes covered by the chunks in `acked`.
    pub fn acked_bytes(&self, acked: &std::collections::BTreeSet<u64>) -> u64 {
        acked
            .iter()
            .filter(|&&i| i < self.count())
            .map(|&i| self.len(i))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn ranges(p: ChunkPlan) -> Vec<Range<u64>> {
        (0..p.count()).map(|i| p.range(i)).collect()
    }

    #[test]
    fn empty_file_is_one_empty_chunk() {
        assert_eq!(ranges(ChunkPlan::new(0, 10)), vec![0..0]);
        assert_eq!(ranges(ChunkPlan::new(0, 0)), vec![0..0]);
    }

    #[test]
    fn one_byte() {
        assert_eq!(ranges(ChunkPlan::new(1, 10)), vec![0..1]);
    }

    #[test]
    fn around_chunk_size() {
        assert_eq!(ranges(ChunkPlan::new(9, 10)), vec![0..9]);
        assert_eq!(ranges(ChunkPlan::new(10, 10)), vec![0..10]);
        assert_eq!(ranges(ChunkPlan::new(11, 10)), vec![0..10, 10..11]);
    }

    #[test]
    fn several_chunks_cover_the_file_exactly() {
        let p = ChunkPlan::new(35, 10);
        assert_eq!(ranges(p), vec![0..10, 10..20, 20..30, 30..35]);
        assert_eq!((0..p.count()).map(|i| p.len(i)).sum::<u64>(), 35);
    }

    #[test]
    fn chunk_size_zero_is_one_request() {
        let p = ChunkPlan::new(12345, 0);
        assert_eq!(p.count(), 1);
        assert_eq!(p.range(0), 0..12345);
    }

    #[test]
    fn missing_and_acked_bytes() {
        let p = ChunkPlan::new(35, 10);
        let acked: BTreeSet<u64> = [0, 3].into();
        assert_eq!(p.missing(&acked).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(p.acked_bytes(&acked), 15);
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn index_past_end_panics() {
        ChunkPlan::new(10, 10).range(1);
    }
}
