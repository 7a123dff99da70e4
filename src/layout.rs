//! How a flat parameter vector splits into matrix- and vector-shaped blocks (a network's weight
//! matrices and bias vectors). Methods that precondition per block (Shampoo, K-FAC) read it; a
//! problem without structure is one vector block.

use crate::error::{Error, Result};

/// One block of the flat parameter vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamBlock {
    /// A `rows × cols` matrix stored row-major at `offset..offset + rows·cols`.
    Matrix {
        /// First index in the flat vector.
        offset: usize,
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
    },
    /// A vector at `offset..offset + len`.
    Vector {
        /// First index in the flat vector.
        offset: usize,
        /// Length.
        len: usize,
    },
}

impl ParamBlock {
    /// The index range the block covers.
    ///
    /// ```
    /// use curvlab::layout::ParamBlock;
    /// let b = ParamBlock::Matrix { offset: 3, rows: 2, cols: 4 };
    /// assert_eq!(b.range(), 3..11);
    /// ```
    pub fn range(&self) -> std::ops::Range<usize> {
        match *self {
            ParamBlock::Matrix { offset, rows, cols } => offset..offset + rows * cols,
            ParamBlock::Vector { offset, len } => offset..offset + len,
        }
    }
}

/// The blocks of a parameter vector, in order, covering it exactly.
///
/// ```
/// use curvlab::layout::{Layout, ParamBlock};
/// let l = Layout::new(7, vec![
///     ParamBlock::Matrix { offset: 0, rows: 2, cols: 3 },
///     ParamBlock::Vector { offset: 6, len: 1 },
/// ]).unwrap();
/// assert_eq!(l.blocks().len(), 2);
/// assert!(Layout::new(8, l.blocks().to_vec()).is_err()); // does not cover index 7
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    n: usize,
    blocks: Vec<ParamBlock>,
}

impl Layout {
    /// Checks that `blocks` tile `0..n` in order without gaps or overlaps.
    pub fn new(n: usize, blocks: Vec<ParamBlock>) -> Result<Self> {
        let mut next = 0;
        for (i, b) in blocks.iter().enumerate() {
            let r = b.range();
            if r.start != next || r.end <= r.start {
                return Err(Error::invalid(
                    "layout",
                    format!("block {i} covers {r:?}"),
                    &format!(
                        "blocks must tile 0..{n} in order, each non-empty (expected a block starting at {next})"
                    ),
                ));
            }
            next = r.end;
        }
        if next != n {
            return Err(Error::invalid(
                "layout",
                format!("blocks cover 0..{next}"),
                &format!("the parameter vector has {n} entries"),
            ));
        }
        Ok(Layout { n, blocks })
    }

    /// One vector block of length `n` (a problem without structure).
    ///
    /// ```
    /// let l = curvlab::layout::Layout::vector(5);
    /// assert_eq!(l.blocks()[0].range(), 0..5);
    /// ```
    pub fn vector(n: usize) -> Self {
        Layout {
            n,
            blocks: vec![ParamBlock::Vector { offset: 0, len: n }],
        }
    }

    /// Parses `"RxC"` blocks separated by commas, a bare number being a vector (e.g.
    /// `"2x3,3"`), for a vector of length `n`.
    ///
    /// ```
    /// let l = curvlab::layout::Layout::parse("2x3,3", 9).unwrap();
    /// assert_eq!(l.blocks().len(), 2);
    /// assert!(curvlab::layout::Layout::parse("2x3", 7).is_err());
    /// ```
    pub fn parse(s: &str, n: usize) -> Result<Self> {
        let mut blocks = Vec::new();
        let mut offset = 0usize;
        for part in s.split(',').map(str::trim) {
            let bad = || Error::invalid("shape", part, "expected ROWSxCOLS or a length");
            let (b, size) = match part.split_once('x') {
                Some((r, c)) => {
                    let rows: usize = r.trim().parse().map_err(|_| bad())?;
                    let cols: usize = c.trim().parse().map_err(|_| bad())?;
                    let size = rows.checked_mul(cols).ok_or_else(bad)?;
                    (ParamBlock::Matrix { offset, rows, cols }, size)
                }
                None => {
                    let len: usize = part.parse().map_err(|_| bad())?;
                    (ParamBlock::Vector { offset, len }, len)
                }
            };
            offset = match offset.checked_add(size) {
                Some(end) if end <= n => end,
                _ => {
                    return Err(Error::invalid(
                        "shape",
                        s,
                        &format!("the blocks need more than the problem's {n} parameters"),
                    ));
                }
            };
            blocks.push(b);
        }
        Self::new(n, blocks)
    }

    /// The blocks.
    pub fn blocks(&self) -> &[ParamBlock] {
        &self.blocks
    }

    /// The length of the parameter vector.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True for an empty parameter vector.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
}
