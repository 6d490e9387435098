//! Line, word and byte counts of a text, like `wc`.

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
        lines: text.lines().count(),
        words: text.split_whitespace().count(),
        bytes: text.len(),
    }
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
    fn empty_text() {
        assert_eq!(count(""), Counts::default());
    }
}
