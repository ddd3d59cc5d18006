//! Masking of personal data for public views (PIPL): by character, never by byte.

/// Masks a name to its first character: 张三丰 → 张**, 𠮷祥 → 𠮷*.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count().max(1);
            let mut out = String::with_capacity(first.len_utf8() + rest);
            out.push(first);
            out.extend(std::iter::repeat_n('*', rest));
            out
        }
    }
}

/// Masks a phone number, keeping the first three and last four digits: 13812348000 → 138****8000.
/// Short numbers keep only their last two characters.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    if n >= 11 {
        let mut out: String = chars[..3].iter().collect();
        out.push_str(&"*".repeat(n - 7));
        out.extend(&chars[n - 4..]);
        out
    } else if n > 2 {
        let mut out = "*".repeat(n - 2);
        out.extend(&chars[n - 2..]);
        out
    } else {
        "*".repeat(n)
    }
}

/// Whether a role needs a caller's name and phone number in full to do its work: operators and
/// shift leaders (calls), supervisors (callbacks), unit handlers (contacting the citizen).
/// Leaders, inspectors, knowledge-base and user administrators see them masked.
pub fn needs_contact(role: crate::role::Role) -> bool {
    use crate::role::Role as R;
    matches!(
        role,
        R::Operator | R::ShiftLeader | R::Supervisor | R::UnitHandler
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_by_character() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳修文"), "欧***");
        assert_eq!(mask_name("𠮷"), "𠮷*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn phones_keep_three_and_four() {
        assert_eq!(mask_phone("13812348000"), "138****8000");
        assert_eq!(mask_phone("12345"), "***45");
        assert_eq!(mask_phone("8"), "*");
    }
}
