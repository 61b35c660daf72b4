//! A small LZ77 compressor for the memory store's settled records.
//!
//! The memory store keeps an order that waits for nothing (no wake-up, no side effect
//! in flight) as its record's JSON, compressed here. Records share most of their
//! bytes (field names, structure, the settings that filled them), so the store gives
//! every call the same dictionary: bytes that stand before the input as if they had
//! already been written, which a match may reach back into. The store never persists
//! these bytes, so the format is free to change between versions of the crate; this is
//! its description.
//!
//! # Format
//!
//! The compressed bytes are a header and a run of sequences:
//!
//! - The header is the decompressed length, as a varint.
//! - Each sequence is a token byte, literals, then a match:
//!   - The token's high four bits are the literal count, its low four bits the match
//!     length less [`MIN_MATCH`]. Fifteen in either says a varint follows that adds to
//!     fifteen: the literal count's right after the token, the match length's after
//!     the offset.
//!   - The literals are that many bytes, copied to the output as they are.
//!   - The match is the offset, a varint of at least one: how far back from the end of
//!     the output so far the copy starts, where the dictionary counts as the bytes
//!     just before the output. The copy may overlap the bytes it writes (an offset
//!     shorter than the length repeats them).
//! - The stream may end after any sequence, or right after a sequence's literals when
//!   its match length bits are zero: the last sequence carries the literals after the
//!   last match.
//!
//! A varint is LEB128: seven bits a byte, least significant first, the high bit set on
//! every byte but the last, at most ten bytes.
//!
//! Decompression checks everything it reads: a length beyond [`MAX_LEN`], an offset
//! reaching before the dictionary, a sequence cut short, or output longer or shorter
//! than the header says is an error, never a panic.

use std::fmt;

/// The longest input compressed, and the longest output a decompression produces.
pub(super) const MAX_LEN: usize = 16 << 20;

/// The shortest match written: a shorter one costs more than its literals.
pub(super) const MIN_MATCH: usize = 4;

/// Bits of the match finder's hash of four bytes, for the dictionary's chains.
const HASH_BITS: u32 = 14;

/// Bits of the hash for the input's own chains: an input is one record, and its
/// table is cleared for each.
const INPUT_HASH_BITS: u32 = 12;

/// How many earlier places with the same hash the match finder tries.
const MAX_CHAIN: usize = 32;

/// A match this long is taken without looking further.
const GOOD_ENOUGH: usize = 128;

/// No earlier place in a hash chain.
const NONE: u32 = u32::MAX;

/// Why compressed bytes do not decompress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DecodeError {
    /// The bytes end inside a header, token, literal run or match.
    Truncated(&'static str),
    /// A varint runs past ten bytes or past `u64`.
    VarintOverflow,
    /// The header's length is beyond [`MAX_LEN`].
    TooLong(u64),
    /// A match reaches before the start of the dictionary.
    Offset {
        /// The match's offset.
        offset: u64,
        /// How far back the window reached at that point.
        window: usize,
    },
    /// The output is longer or shorter than the header said.
    Length {
        /// The length the header said.
        declared: usize,
        /// The length the sequences make, or would make.
        found: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated(what) => write!(f, "compressed bytes end inside a {what}"),
            DecodeError::VarintOverflow => f.write_str("compressed bytes hold a varint too long"),
            DecodeError::TooLong(n) => {
                write!(f, "compressed bytes declare {n} bytes, more than {MAX_LEN}")
            }
            DecodeError::Offset { offset, window } => write!(
                f,
                "a match reaches {offset} bytes back with {window} bytes behind it"
            ),
            DecodeError::Length { declared, found } => write!(
                f,
                "compressed bytes declare {declared} bytes and decompress to {found}"
            ),
        }
    }
}

impl std::error::Error for DecodeError {}

fn push_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads a varint at `*pos`, moving `*pos` past it.
fn read_varint(data: &[u8], pos: &mut usize, what: &'static str) -> Result<u64, DecodeError> {
    let mut n: u64 = 0;
    for i in 0..10u32 {
        let byte = *data.get(*pos).ok_or(DecodeError::Truncated(what))?;
        *pos += 1;
        let bits = u64::from(byte & 0x7f);
        let shifted = bits.checked_shl(7 * i).ok_or(DecodeError::VarintOverflow)?;
        if shifted >> (7 * i) != bits {
            return Err(DecodeError::VarintOverflow);
        }
        n |= shifted;
        if byte & 0x80 == 0 {
            return Ok(n);
        }
    }
    Err(DecodeError::VarintOverflow)
}

fn read_len(data: &[u8], pos: &mut usize, what: &'static str) -> Result<usize, DecodeError> {
    let n = read_varint(data, pos, what)?;
    usize::try_from(n)
        .ok()
        .filter(|n| *n <= MAX_LEN)
        .ok_or(DecodeError::TooLong(n))
}

/// The hash of the four bytes at `at` in `bits` bits, or `None` near the end.
fn hash(buf: &[u8], at: usize, bits: u32) -> Option<usize> {
    let four: [u8; 4] = buf.get(at..at.checked_add(4)?)?.try_into().ok()?;
    let h = u32::from_le_bytes(four).wrapping_mul(0x9E37_79B1) >> (32 - bits);
    Some(h as usize)
}

/// How many bytes from `a` and from `b` (`a < b`) are equal, up to the end of `buf`.
fn common(buf: &[u8], a: usize, b: usize) -> usize {
    let (Some(x), Some(y)) = (buf.get(a..), buf.get(b..)) else {
        return 0;
    };
    // Eight bytes at a time, then the rest one by one.
    let mut n = 0;
    for (p, q) in x.chunks_exact(8).zip(y.chunks_exact(8)) {
        let (Ok(p), Ok(q)) = (<[u8; 8]>::try_from(p), <[u8; 8]>::try_from(q)) else {
            break;
        };
        let differ = u64::from_le_bytes(p) ^ u64::from_le_bytes(q);
        if differ != 0 {
            return n + (differ.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    let (Some(x), Some(y)) = (x.get(n..), y.get(n..)) else {
        return n;
    };
    n + x.iter().zip(y).take_while(|(p, q)| p == q).count()
}

/// A dictionary with its hash chains, built once and shared by every compression
/// against it.
pub(super) struct Dictionary {
    bytes: Box<[u8]>,
    head: Box<[u32]>,
    prev: Box<[u32]>,
}

impl Dictionary {
    /// `bytes` with their hash chains; `None` when they are too long for the match
    /// finder's positions.
    pub(super) fn new(bytes: Box<[u8]>) -> Option<Dictionary> {
        if bytes.len() > MAX_LEN {
            return None;
        }
        let mut head = vec![NONE; 1 << HASH_BITS].into_boxed_slice();
        let mut prev = vec![NONE; bytes.len()].into_boxed_slice();
        for at in 0..bytes.len() {
            let Some(h) = hash(&bytes, at, HASH_BITS) else {
                break;
            };
            if let (Some(head), Some(prev)) = (head.get_mut(h), prev.get_mut(at)) {
                *prev = *head;
                *head = at as u32;
            }
        }
        Some(Dictionary { bytes, head, prev })
    }

    /// The dictionary's bytes.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// The match finder over the dictionary and the input, one buffer: the input's own
/// hash chains, smaller, in front of the dictionary's.
struct Finder<'d> {
    buf: Vec<u8>,
    dict: &'d Dictionary,
    head: Vec<u32>,
    prev: Vec<u32>,
}

impl Finder<'_> {
    /// Enters the input position `at` in its chain.
    fn insert(&mut self, at: usize) {
        let Some(h) = hash(&self.buf, at, INPUT_HASH_BITS) else {
            return;
        };
        let Some(i) = at.checked_sub(self.dict.bytes.len()) else {
            return;
        };
        if let (Some(head), Some(prev)) = (self.head.get_mut(h), self.prev.get_mut(i)) {
            *prev = *head;
            *head = at as u32;
        }
    }

    /// The place before `c` with the same hash: along the input's chain, then, once it
    /// ends, the dictionary's.
    fn next(&self, c: usize, at: usize) -> u32 {
        let dict = self.dict.bytes.len();
        match c.checked_sub(dict) {
            Some(i) => match self.prev.get(i).copied().unwrap_or(NONE) {
                NONE => self.dict_head(at),
                p => p,
            },
            None => self.dict.prev.get(c).copied().unwrap_or(NONE),
        }
    }

    fn dict_head(&self, at: usize) -> u32 {
        hash(&self.buf, at, HASH_BITS)
            .and_then(|h| self.dict.head.get(h).copied())
            .unwrap_or(NONE)
    }

    /// The longest earlier match at `at`, as (length, offset), if one reaches
    /// [`MIN_MATCH`].
    fn longest(&self, at: usize) -> Option<(usize, usize)> {
        let h = hash(&self.buf, at, INPUT_HASH_BITS)?;
        let mut candidate = match self.head.get(h).copied() {
            Some(NONE) | None => self.dict_head(at),
            Some(c) => c,
        };
        let mut best: Option<(usize, usize)> = None;
        for _ in 0..MAX_CHAIN {
            if candidate == NONE {
                break;
            }
            let c = candidate as usize;
            if c >= at {
                break;
            }
            let len = common(&self.buf, c, at);
            if len >= MIN_MATCH && best.is_none_or(|(l, _)| len > l) {
                best = Some((len, at - c));
                if len >= GOOD_ENOUGH {
                    break;
                }
            }
            candidate = self.next(c, at);
        }
        best
    }
}

fn emit(out: &mut Vec<u8>, literals: &[u8], found: Option<(usize, usize)>) {
    let lit = literals.len();
    let extra = found.map_or(0, |(len, _)| len - MIN_MATCH);
    let token = ((lit.min(15) as u8) << 4) | extra.min(15) as u8;
    out.push(token);
    if lit >= 15 {
        push_varint(out, (lit - 15) as u64);
    }
    out.extend_from_slice(literals);
    if let Some((_, offset)) = found {
        push_varint(out, offset as u64);
        if extra >= 15 {
            push_varint(out, (extra - 15) as u64);
        }
    }
}

/// Compresses `input` against `dict`, or `None` when the input is longer than
/// [`MAX_LEN`] or the two together do not fit the match finder's positions. Builds the
/// dictionary's chains for this call; [`compress_with`] takes them built.
#[cfg(test)]
pub(super) fn compress(input: &[u8], dict: &[u8]) -> Option<Vec<u8>> {
    compress_with(input, &Dictionary::new(dict.into())?)
}

/// Compresses `input` against `dict`, as [`compress`] does.
pub(super) fn compress_with(input: &[u8], dict: &Dictionary) -> Option<Vec<u8>> {
    let dict_len = dict.bytes.len();
    if input.len() > MAX_LEN || dict_len.checked_add(input.len())? >= NONE as usize {
        return None;
    }
    let mut buf = Vec::with_capacity(dict_len + input.len());
    buf.extend_from_slice(&dict.bytes);
    buf.extend_from_slice(input);
    let total = buf.len();
    let mut finder = Finder {
        buf,
        dict,
        head: vec![NONE; 1 << INPUT_HASH_BITS],
        prev: vec![NONE; input.len()],
    };
    let mut out = Vec::with_capacity(input.len() / 4 + 16);
    push_varint(&mut out, input.len() as u64);
    let mut literal_start = dict_len;
    let mut at = dict_len;
    while at < total {
        let Some(mut found) = finder.longest(at) else {
            finder.insert(at);
            at += 1;
            continue;
        };
        // One step of lazy matching: a longer match one byte on is worth a literal.
        finder.insert(at);
        while at + 1 < total {
            match finder.longest(at + 1) {
                Some(next) if next.0 > found.0 + 1 => {
                    at += 1;
                    finder.insert(at);
                    found = next;
                }
                _ => break,
            }
        }
        let literals = finder.buf.get(literal_start..at).unwrap_or_default();
        emit(&mut out, literals, Some(found));
        for p in at + 1..at + found.0 {
            finder.insert(p);
        }
        at += found.0;
        literal_start = at;
    }
    if literal_start < total {
        let literals = finder.buf.get(literal_start..).unwrap_or_default();
        emit(&mut out, literals, None);
    }
    Some(out)
}

/// Decompresses what [`compress`] made of some input against the same `dict`.
///
/// # Errors
/// A [`DecodeError`] for bytes that are not such an output; never a panic.
pub(super) fn decompress(data: &[u8], dict: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut pos = 0;
    let declared = read_len(data, &mut pos, "header")?;
    let too_long = |found| DecodeError::Length { declared, found };
    let mut out: Vec<u8> = Vec::with_capacity(declared);
    while pos < data.len() {
        let token = *data.get(pos).ok_or(DecodeError::Truncated("token"))?;
        pos += 1;
        let mut lit = usize::from(token >> 4);
        if lit == 15 {
            lit = lit
                .checked_add(read_len(data, &mut pos, "literal count")?)
                .ok_or(DecodeError::TooLong(u64::MAX))?;
        }
        let end = pos
            .checked_add(lit)
            .ok_or(DecodeError::Truncated("literal run"))?;
        let literals = data
            .get(pos..end)
            .ok_or(DecodeError::Truncated("literal run"))?;
        let after = out.len().saturating_add(lit);
        if after > declared {
            return Err(too_long(after));
        }
        out.extend_from_slice(literals);
        pos = end;
        let extra = usize::from(token & 0x0f);
        if pos == data.len() && extra == 0 {
            break;
        }
        let offset = read_varint(data, &mut pos, "match")?;
        let mut len = extra + MIN_MATCH;
        if extra == 15 {
            len = len
                .checked_add(read_len(data, &mut pos, "match length")?)
                .ok_or(DecodeError::TooLong(u64::MAX))?;
        }
        let after = out.len().saturating_add(len);
        if after > declared {
            return Err(too_long(after));
        }
        copy_match(&mut out, dict, offset, len)?;
    }
    if out.len() != declared {
        return Err(too_long(out.len()));
    }
    Ok(out)
}

/// Appends `len` bytes starting `offset` back from the end of `dict` then `out`.
fn copy_match(out: &mut Vec<u8>, dict: &[u8], offset: u64, len: usize) -> Result<(), DecodeError> {
    let window = dict.len().saturating_add(out.len());
    let bad = DecodeError::Offset { offset, window };
    let back = usize::try_from(offset).map_err(|_| bad.clone())?;
    if back == 0 || back > window {
        return Err(bad);
    }
    // Where the copy starts, counting the dictionary as the bytes before the output.
    let start = window - back;
    let mut remaining = len;
    let from_out = if start < dict.len() {
        let n = remaining.min(dict.len() - start);
        let part = dict.get(start..start + n).ok_or_else(|| bad.clone())?;
        out.extend_from_slice(part);
        remaining -= n;
        0
    } else {
        start - dict.len()
    };
    let mut from = from_out;
    while remaining > 0 {
        // The bytes from `from` to the end of the output are there to copy; an
        // overlapping copy repeats them, a chunk at a time.
        let available = out.len().saturating_sub(from);
        if available == 0 {
            return Err(bad);
        }
        let n = remaining.min(available);
        out.extend_from_within(from..from + n);
        from += n;
        remaining -= n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn round_trip(input: &[u8], dict: &[u8]) -> Vec<u8> {
        let packed = compress(input, dict).expect("short inputs compress");
        decompress(&packed, dict).expect("compressed bytes decompress")
    }

    #[test]
    fn repeats_and_the_dictionary_shrink_the_output() {
        let record =
            br#"{"purchase_order":{"number":"PO0001","items":[{"sku":"A1"},{"sku":"A2"}]}}"#;
        let other =
            br#"{"purchase_order":{"number":"PO0002","items":[{"sku":"A1"},{"sku":"A3"}]}}"#;
        assert_eq!(round_trip(other, record), other);
        let alone = compress(other, &[]).unwrap();
        let primed = compress(other, record).unwrap();
        assert!(
            primed.len() * 3 < alone.len(),
            "{} vs {}",
            primed.len(),
            alone.len()
        );
        let runs = vec![7u8; 10_000];
        assert!(compress(&runs, &[]).unwrap().len() < 20);
        assert_eq!(round_trip(&runs, &[]), runs);
    }

    #[test]
    fn a_match_may_start_in_the_dictionary_and_run_into_the_output() {
        // By hand: no literals, a match of 4 + 3 = 7 bytes starting 3 bytes before
        // the end of the dictionary: "xyz" from it, then "xyzx" from the output.
        let data = [7, 0x03, 3];
        assert_eq!(decompress(&data, b"abcxyz").unwrap(), b"xyzxyzx");
        assert_eq!(
            decompress(&[7, 0x03, 7], b"abcxyz"),
            Err(DecodeError::Offset {
                offset: 7,
                window: 6
            })
        );
    }

    #[test]
    fn bad_bytes_are_errors() {
        assert_eq!(decompress(&[], &[]), Err(DecodeError::Truncated("header")));
        assert_eq!(
            decompress(&[3, 0x30, b'a'], &[]),
            Err(DecodeError::Truncated("literal run"))
        );
        assert_eq!(
            decompress(&[2, 0x30, b'a', b'b', b'c'], &[]),
            Err(DecodeError::Length {
                declared: 2,
                found: 3
            })
        );
        assert_eq!(
            decompress(&[4, 0x20, b'a', b'b'], &[]),
            Err(DecodeError::Length {
                declared: 4,
                found: 2
            })
        );
        assert_eq!(
            decompress(&[4, 0x11, b'a'], &[]),
            Err(DecodeError::Truncated("match"))
        );
        assert_eq!(
            decompress(&[0xff; 12], &[]),
            Err(DecodeError::VarintOverflow)
        );
        assert!(matches!(
            decompress(&[0x80, 0x80, 0x80, 0x80, 0x01], &[]),
            Err(DecodeError::TooLong(_))
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_round_trip(input in proptest::collection::vec(any::<u8>(), 0..3000)) {
            prop_assert_eq!(round_trip(&input, &[]), input);
        }

        /// Inputs made of few symbols repeat a lot, so they take the match paths.
        #[test]
        fn repetitive_bytes_round_trip_against_a_dictionary(
            input in proptest::collection::vec(0u8..4, 0..3000),
            dict in proptest::collection::vec(0u8..4, 0..3000),
        ) {
            prop_assert_eq!(round_trip(&input, &dict), input);
        }

        #[test]
        fn arbitrary_bytes_round_trip_against_a_dictionary(
            input in proptest::collection::vec(any::<u8>(), 0..2000),
            dict in proptest::collection::vec(any::<u8>(), 0..2000),
        ) {
            let mut input = input;
            // Some of the dictionary in the input, so that matches reach into it.
            input.extend_from_slice(dict.get(..dict.len() / 2).unwrap_or_default());
            prop_assert_eq!(round_trip(&input, &dict), input);
        }

        #[test]
        fn pieces_of_the_dictionary_and_of_the_input_itself_round_trip(
            own in proptest::collection::vec(0u8..4, 0..300),
            dict in proptest::collection::vec(0u8..4, 0..1500),
            cuts in proptest::collection::vec((0usize..1500, 0usize..200), 0..12),
        ) {
            // A small alphabet and repeated pieces: long chains in both tables.
            let mut input = own.clone();
            for (start, len) in cuts {
                input.extend_from_slice(dict.get(start..start + len).unwrap_or_default());
                input.extend_from_slice(&own);
            }
            prop_assert_eq!(round_trip(&input, &dict), input);
        }

        #[test]
        fn decompressing_arbitrary_bytes_never_panics(
            data in proptest::collection::vec(any::<u8>(), 0..400),
            dict in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let _ = decompress(&data, &dict);
            let _ = decompress(&data, &[]);
        }

        /// Bytes close to a valid output: one byte of a real one changed.
        #[test]
        fn decompressing_damaged_output_never_panics(
            input in proptest::collection::vec(0u8..8, 1..600),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let mut packed = compress(&input, &[]).unwrap();
            let i = at.index(packed.len());
            if let Some(b) = packed.get_mut(i) {
                *b = byte;
            }
            let _ = decompress(&packed, &[]);
        }
    }
}
