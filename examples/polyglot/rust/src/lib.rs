//! Line, word and byte counts of a text, like `wc`.
//!
//! Newlines are found with the `memchr` crate (SIMD search).

/// The counts of one text.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub lines: usize,
    pub words: usize,
    pub bytes: usize,
}

/// Counts the lines, words and bytes of `text`.
pub fn count(text: &str) -> Counts {
    Counts {
        lines: lines(text.as_bytes()),
        words: text.split_whitespace().count(),
        bytes: text.len(),
    }
}

/// The number of lines of `bytes`, as `str::lines` counts them: a last line without `\n` counts too.
fn lines(bytes: &[u8]) -> usize {
    let newlines = memchr::memchr_iter(b'\n', bytes).count();
    newlines + usize::from(!bytes.is_empty() && bytes.last() != Some(&b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_words_bytes() {
        let c = count("one two\nthree\n");
        assert_eq!(
            c,
            Counts {
                lines: 2,
                words: 3,
                bytes: 14
            }
        );
    }

    #[test]
    fn last_line_without_newline() {
        assert_eq!(count("a\nb").lines, 2);
        assert_eq!(count("a\n\n").lines, 2);
    }

    #[test]
    fn empty_text() {
        assert_eq!(count(""), Counts::default());
    }
}
