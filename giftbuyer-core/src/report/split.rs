//! Cutting long text into messages that fit Telegram's length limit, on line boundaries.

/// Telegram's limit on one text message.
pub const TELEGRAM_MESSAGE_LIMIT: usize = 4096;

/// Length as Telegram counts it: UTF-16 code units. An emoji outside the basic plane counts
/// twice, so counting `char`s would let a message through that Telegram refuses.
fn telegram_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Splits `text` into messages of at most `limit` UTF-16 units, breaking between lines.
///
/// Lines are kept whole where they fit; a single line longer than the limit is cut at character
/// boundaries. Messages that would be blank are dropped, since Telegram refuses them, and so are
/// blank lines at the start or end of a message. `limit` is raised to 2 if smaller, so that any
/// character fits.
pub fn split_message(text: &str, limit: usize) -> Vec<String> {
    let limit = limit.max(2);
    let mut messages = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    for line in text.lines() {
        let line_len = telegram_len(line);
        let separator = usize::from(!current.is_empty());
        if current_len + separator + line_len <= limit {
            if separator == 1 {
                current.push('\n');
            }
            current.push_str(line);
            current_len += separator + line_len;
            continue;
        }
        finish(&mut messages, &mut current);
        current_len = 0;
        if line_len <= limit {
            current.push_str(line);
            current_len = line_len;
            continue;
        }
        for ch in line.chars() {
            if current_len + ch.len_utf16() > limit {
                finish(&mut messages, &mut current);
                current_len = 0;
            }
            current.push(ch);
            current_len += ch.len_utf16();
        }
    }
    finish(&mut messages, &mut current);
    messages
}

fn finish(messages: &mut Vec<String>, current: &mut String) {
    let message = std::mem::take(current);
    let message = message.trim_matches('\n');
    if !message.trim().is_empty() {
        messages.push(message.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_message() {
        assert_eq!(split_message("a\nb\n", 10), vec!["a\nb"]);
        assert!(split_message("", 10).is_empty());
        assert!(split_message("\n \n", 10).is_empty());
    }

    #[test]
    fn breaks_between_lines() {
        assert_eq!(split_message("aaa\nbbb\nccc", 7), vec!["aaa\nbbb", "ccc"]);
        assert_eq!(split_message("aaa\n\nbbb", 4), vec!["aaa", "bbb"]);
    }

    #[test]
    fn cuts_an_overlong_line_at_characters() {
        assert_eq!(split_message("abcdefg\nh", 3), vec!["abc", "def", "g\nh"]);
    }

    #[test]
    fn counts_utf16_units() {
        // 🧾 is outside the basic plane: two UTF-16 units each.
        assert_eq!(split_message("🧾🧾🧾", 4), vec!["🧾🧾", "🧾"]);
        assert_eq!(split_message("ж\nж", 3), vec!["ж\nж"]);
    }
}
